"""Each rule of a read has one definition, used by the executor and the compiled statement alike.

For every list (filters, order, cursor key) and derived value the compiled reads answer, the
test replaces the one definition in its area and nothing else: both paths must change, and
still agree byte for byte (`both` fails the test otherwise). A copy of the rule left in either
path would keep answering the old way and fail here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func

from app.api import planning, policies, portfolio, risks, steering, tenants, vendors
from app.api.compiled.run import Compilations
from app.budgets import forecast
from app.health import formula, inputs
from app.lifecycle import actions as lifecycle_actions
from app.months import add_months
from app.planning import roadmap
from app.policies import actions as policy_actions
from app.risks import rules as risk_rules
from app.risks.models import RiskStatus
from app.steering import actions as steering_actions
from app.steering import agenda
from app.tenants.models import TenantStatus
from tests.api.test_compiled_reads import EVERYTHING, OPERATIONS, both, pair, practice  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="session")


def replacing(module, name, make):
    """(module, name, the replacement built from the original definition)."""
    return pytest.param(module, name, make, id=f"{module.__name__.rsplit('.', 1)[-1]}.{name}")


RULES = [
    replacing(risks, "risk_list", lambda orig: lambda t, *a: orig(t, *a)._replace(order=[t.c.title.desc(), t.c.id])),
    replacing(risks, "risk_list", lambda orig: lambda t, *a: orig(t, *a)._replace(where=[t.c.score >= 20])),
    replacing(risks, "risk_list", lambda orig: lambda t, *a: orig(t, *a)._replace(key=("another list",))),
    replacing(risk_rules, "status_on",
              lambda orig: lambda status, accepted_until, day: orig(status, accepted_until, day + dt.timedelta(days=100))),
    replacing(planning, "initiative_list",
              lambda orig: lambda t, *a: orig(t, *a)._replace(order=[t.c.title.desc(), t.c.id])),
    replacing(tenants, "tenant_order", lambda orig: lambda t: [t.c.name.desc(), t.c.id]),
    replacing(tenants, "active", lambda orig: lambda t: t.c.status != TenantStatus.ACTIVE),
    replacing(vendors, "vendor_order", lambda orig: lambda t: [t.c.name.desc(), t.c.id]),
    replacing(steering, "meeting_order", lambda orig: lambda t: [t.c.scheduled_at.desc(), t.c.id]),
    replacing(steering, "meeting_window", lambda orig: lambda t, from_, to: []),
    replacing(steering, "upcoming", lambda orig: lambda t: [t.c.scheduled_at < func.now()]),
    replacing(formula, "ticket_target", lambda orig: lambda employees: orig(employees) + 1),
    replacing(policy_actions, "review_due", lambda orig: lambda approved_on, months: orig(approved_on, months + 1)),
    replacing(policies, "MISSING", lambda orig: {**orig, "version": 7}),
    replacing(steering_actions, "attendee_label", lambda orig: lambda name, function: orig(name, name)),
]


@pytest.fixture
def change_rule(pair, monkeypatch):  # noqa: F811
    """Replace a rule while the app runs (never in production): what the app compiled before, and
    what it compiles with the changed rule, must not outlive the change (nor the test)."""

    def change(module, name, make) -> None:
        monkeypatch.setattr(module, name, make(getattr(module, name)))
        pair.compiled_app.state.compilations = Compilations()

    yield change
    pair.compiled_app.state.compilations = Compilations()


@pytest.mark.parametrize(("module", "name", "make"), RULES)
async def test_changing_a_rule_where_it_is_defined_changes_both_paths(
    api, pair, practice, change_rule, module, name, make  # noqa: F811
):
    summary, _ = practice
    token = await api.login(summary.cio_email)
    variables = {"first": 6, "month": "2026-06"}
    before = await both(pair, EVERYTHING, variables, token)
    change_rule(module, name, make)
    after = await both(pair, EVERYTHING, variables, token)
    assert after != before, f"{module.__name__}.{name} changed, the answers did not"


PORTFOLIO_RULES = [
    replacing(inputs, "risk_level", lambda orig: lambda t, day, low, below=None: orig(t, day, 1, below)),
    replacing(inputs, "active_risk", lambda orig: lambda t, day: t.c.status.is_not(None)),
    replacing(risk_rules, "open_on", lambda orig: lambda status, accepted_until, day: status.is_not(None)),
    replacing(risk_rules, "acceptance_expired",
              lambda orig: lambda status, accepted_until, day: status == RiskStatus.ACCEPTED),
    replacing(inputs, "month_tickets", lambda orig: lambda month, tenants: orig(add_months(month, -1), tenants)),
    replacing(inputs, "budget_figures",
              lambda orig: lambda month, tenants, years, start=None, routed=False: orig(add_months(month, -4), tenants, years,
                                                                                         start, routed)),
    replacing(inputs, "fiscal_year_of", lambda orig: lambda month, start: (lambda y, e: (y, e + 1))(*orig(month, start))),
    replacing(portfolio, "variance_percent", lambda orig: lambda planned, actual, months: orig(planned, actual * 2, months)),
    replacing(portfolio, "tenth", lambda orig: lambda value: orig(value * 3)),
    replacing(portfolio, "average_score", lambda orig: lambda total, count: orig(total * 2, count)),
    replacing(portfolio, "row_order", lambda orig: lambda score, tenant_id: orig(None, tenant_id)),
    replacing(formula, "ticket_target", lambda orig: lambda employees: orig(employees) + 1),
    replacing(steering, "upcoming", lambda orig: lambda t: [t.c.scheduled_at < func.now()]),
    replacing(inputs, "batch_tenants",
              lambda orig: lambda t, ids, practice_id=None: [*orig(t, ids, practice_id), t.c.id != min(ids)]),
]


@pytest.mark.parametrize(("module", "name", "make"), PORTFOLIO_RULES)
async def test_changing_a_rule_of_the_portfolio_changes_both_paths(
    api, pair, practice, change_rule, module, name, make  # noqa: F811
):
    """The portfolio's figures (app/api/portfolio.py, app/health/inputs.py): the executor's path
    reads them through the scoring inputs, the compiled one in its statement."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    query, variables = (OPERATIONS / "portfolio.graphql").read_text(), {"month": "2026-06"}
    before = await both(pair, query, variables, token)
    change_rule(module, name, make)
    after = await both(pair, query, variables, token)
    assert after != before, f"{module.__name__}.{name} changed, the answers did not"


REPORT_RULES = [
    replacing(forecast, "twelfth", lambda orig: lambda amount, k: orig(amount, k) + 1),
    replacing(roadmap, "quarter_of", lambda orig: lambda month, first: orig(month, first) + 1),
    replacing(roadmap, "on_roadmap", lambda orig: lambda t, first, last: [*orig(t, first, last), t.c.priority <= 2]),
    replacing(lifecycle_actions, "fiscal_quarter_label", lambda orig: lambda year, quarter: orig(year, quarter + 4)),
    replacing(agenda, "SECTIONS", lambda orig: orig[::-1]),
    replacing(agenda, "acceptance_ending", lambda orig: lambda r, day: orig(r, day + dt.timedelta(days=400))),
    replacing(agenda, "in_fiscal_quarter", lambda orig: lambda month, day, start: orig(month, day + dt.timedelta(days=92), start)),
]
REPORT_RULES_DOCUMENT = """{ tenants { nodes {
  roadmap(fiscalYear: 2026) { quarter oneTimeCost hoursSavedPerMonth initiatives { title } }
  budget(fiscalYear: 2026) { forecast { month planned actual forecast } }
  steeringMeetings { scheduledAt suggestedAgenda { kind summary } } } } }"""


@pytest.mark.parametrize(("module", "name", "make"), REPORT_RULES)
async def test_changing_a_rule_of_the_executive_report_changes_both_paths(
    api, pair, practice, change_rule, module, name, make  # noqa: F811
):
    """The rules the report's document derives (the forecast, the roadmap's quarters, the agenda):
    the executor runs them, the compiled statement renders them."""
    summary, _ = practice
    token = await api.login(summary.cio_email)
    before = await both(pair, REPORT_RULES_DOCUMENT, {}, token)
    change_rule(module, name, make)
    after = await both(pair, REPORT_RULES_DOCUMENT, {}, token)
    assert after != before, f"{module.__name__}.{name} changed, the answers did not"
