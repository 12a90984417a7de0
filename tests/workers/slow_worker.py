"""A real worker process whose every commit takes SLOW_COMMIT_SECONDS: the crash test kills it.

Run as `python -m tests.workers.slow_worker` with DATABASE_URL, REDIS_URL, QUEUE_NAME and
JOB_TIMEOUT in the environment. The pause sits inside the transaction, just before COMMIT, so a
kill -9 lands while a batch's rows are written but not committed.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.settings import Settings
from workers.main import run_worker


def main() -> None:
    pause = float(os.environ["SLOW_COMMIT_SECONDS"])
    event.listen(Session, "before_commit", lambda session: time.sleep(pause))
    run_worker(
        Settings(),
        queue_name=os.environ["QUEUE_NAME"],
        job_timeout=float(os.environ["JOB_TIMEOUT"]),
        max_jobs=1,
        poll_delay=0.05,
        cron_jobs=[],
    )


if __name__ == "__main__":
    main()
