"""Every job the app enqueues has a function of that name in the worker (one definition of each name)."""

from __future__ import annotations

import inspect

from app.health import recompute
from app.integrations import actions
from app.reports import delivery
from workers import main
from workers.main import WorkerSettings

ENQUEUED = {recompute.SCORE_BATCH, recompute.RECOMPUTE_STALE, recompute.RECOMPUTE_REQUESTED, actions.TENANT_JOB,
            delivery.DELIVER_REPORT}


def test_the_worker_runs_every_job_the_app_enqueues():
    assert ENQUEUED <= {f.name for f in WorkerSettings.functions}


def test_a_job_name_is_the_constant_itself():
    """Renaming a job where the app defines it renames it in the worker: nothing spells it twice."""
    text = inspect.getsource(main)
    for name in ENQUEUED:
        assert f'"{name}"' not in text and f"'{name}'" not in text, f"{name} is spelled out in workers/main.py"
