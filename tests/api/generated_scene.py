"""The data the generated documents read: seeded, plus tenants made of edge cases through the API.

The synthetic generator's practice (four tenants, a year of every area, six months scored) plus,
written through the API's mutations, a tenant made of edge cases (ties in score and review date,
missing review dates, null money and integral floats, policies due on the 29th of February,
meetings at the same instant, attendees without a function, a name with quotes, a backslash and
an emoji) and a tenant with no data at all; and the viewers who ask (admin, CIO, client
executive, another practice's admin).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from app.api import ids, pagination
from app.api.tenants import TENANTS, tenant_list
from app.auth.principal import Principal
from app.db.scope import tenant_session
from app.health.actions import score_batch
from app.months import add_months
from app.seed.synthetic import seed_synthetic
from app.steering.models import SteeringMeeting
from app.tenants.models import Practice, Role, Tenant
from tests.api.compiled_pair import Pair
from tests.apitools import PASSWORD
from tests.conftest import World

END = dt.date(2026, 6, 1)
SCORED = [add_months(END, -n) for n in range(6)]  # 2026-01 .. 2026-06


@dataclass(frozen=True)
class Viewer:
    name: str
    token: str = field(repr=False)
    principal: Principal = field(repr=False)  # who the API takes it for (the list token depends on it)

    @property
    def practice_id(self) -> uuid.UUID:
        return self.principal.practice_id

    @property
    def tenant_ids(self) -> frozenset:
        return self.principal.tenant_ids

    @property
    def visible(self) -> list[str]:
        return [ids.encode("Tenant", t) for t in sorted(self.tenant_ids)]

    def tenants_token(self, search: str | None) -> str:
        return pagination.list_token(self.practice_id, tenant_list(TENANTS, self.principal, search).key)


@dataclass(frozen=True)
class Scene:
    viewers: list[Viewer]
    tenant_ids: list[str]  # every tenant's id, the other practice's included
    other_ids: list[str]  # ids of other types
    names: list[str]
    days: list[str]  # the UTC days of meetings, with the days either side


async def mutate(pair: Pair, token: str, mutation: str, **input) -> dict:
    """One mutation through the API, which must succeed; its payload."""
    response = await pair.post(pair.executor_app, mutation, {"i": input}, token)
    body = response.json()
    assert not body.get("errors"), body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return payload


async def login(pair: Pair, email: str) -> str:
    response = await pair.post(pair.executor_app, "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                               {"i": {"email": email, "password": PASSWORD}}, "")
    return response.json()["data"]["login"]["accessToken"]


RISK = "mutation($i: CreateRiskInput!) { createRisk(input: $i) { risk { id } userErrors { message } } }"
UPDATE_RISK = "mutation($i: UpdateRiskInput!) { updateRisk(input: $i) { risk { id } userErrors { message } } }"
ACCEPT_RISK = "mutation($i: AcceptRiskInput!) { acceptRisk(input: $i) { decision { id } userErrors { message } } }"
INITIATIVE = ("mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) { initiative { id } "
              "userErrors { message } } }")
VENDOR = "mutation($i: CreateVendorInput!) { createVendor(input: $i) { vendor { id } userErrors { message } } }"
POLICY = "mutation($i: SetPolicyInput!) { setPolicy(input: $i) { policy { kind } userErrors { message } } }"
LINE = "mutation($i: SetBudgetLineInput!) { setBudgetLine(input: $i) { budgetLine { id } userErrors { message } } }"
SPEND = "mutation($i: RecordSpendInput!) { recordSpend(input: $i) { budgetLine { id } userErrors { message } } }"
TICKETS = ("mutation($i: RecordTicketMetricsInput!) { recordTicketMetrics(input: $i) { userErrors { message } } }")
MEETING = ("mutation($i: ScheduleSteeringMeetingInput!) { scheduleSteeringMeeting(input: $i) { steeringMeeting { id } "
           "userErrors { message } } }")
NOTE = "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { decision { id } userErrors { message } } }"
GOAL = "mutation($i: CreateGoalInput!) { createGoal(input: $i) { goal { id } userErrors { message } } }"
ITEM = "mutation($i: CreateActionItemInput!) { createActionItem(input: $i) { actionItem { id } userErrors { message } } }"
HELD = ("mutation($i: RecordSteeringMeetingInput!) { recordSteeringMeeting(input: $i) { steeringMeeting { id } "
        "userErrors { message } } }")


async def craft(pair: Pair, token: str, tenant: str, seeded: str) -> None:
    """The edge cases, written through the API as a practice admin would."""
    risks = [  # (likelihood, impact, review due, status): ties in score and in review date, no dates
        (2, 3, None, None), (3, 2, "2026-12-15", "MITIGATING"), (2, 3, "2026-12-15", None), (4, 4, None, "ACCEPTED"),
        (1, 1, "2025-01-01", "CLOSED"), (5, 5, None, "MITIGATING"), (3, 2, "2027-03-01", None), (2, 3, None, "CLOSED"),
    ]
    for n, (likelihood, impact, due, status) in enumerate(risks):
        risk = await mutate(pair, token, RISK, tenantId=tenant, title=f"Risk {n} «ü»", category="SECURITY",
                            likelihood=likelihood, impact=impact, reviewDue=due, owner="Zoë" if n % 2 else None,
                            treatment="TRANSFER" if n % 3 == 0 else None, description='Say "hi" \\ \n twice' if n else None)
        if status:
            await mutate(pair, token, UPDATE_RISK, id=risk["risk"]["id"], status=status)
        if n == 2:  # accepted until a day to come (acceptedUntil; the status rule)
            until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
            await mutate(pair, token, ACCEPT_RISK, riskId=risk["risk"]["id"], until=until, reason="Insured")
    initiatives = [
        dict(title="Nothing known", priority=3),
        dict(title="Integral hours", status="APPROVED", priority=1, targetMonth="2026-09", hoursSavedPerMonth=40.0,
             costEstimate="1200.50", revenueAtRisk="0"),
        dict(title="Tiny hours", status="IN_PROGRESS", priority=1, targetMonth="2026-09", hoursSavedPerMonth=0.1,
             costEstimate="0.01", description="ünïcode 🚀"),
        dict(title="Done", status="DONE", priority=5, targetMonth="2025-11", hoursSavedPerMonth=2.5),
        dict(title="Later", status="DEFERRED", priority=2, targetMonth="2027-01", revenueAtRisk="99999.99"),
    ]
    for initiative in initiatives:
        await mutate(pair, token, INITIATIVE, tenantId=tenant, **initiative)
    for vendor in (dict(name="Ålpha"), dict(name="alpha", relationship="partner", annualCost="12.30"),
                   dict(name="Beta", annualCost="0", contractEnd="2027-02-28")):
        await mutate(pair, token, VENDOR, tenantId=tenant, **{"relationship": "COMMODITY", **vendor})
    for policy in (dict(kind="REMOTE_ACCESS", status="APPROVED", approvedOn="2024-01-31", reviewIntervalMonths=1),
                   dict(kind="INCIDENT_RESPONSE", status="APPROVED", approvedOn="2023-08-31", reviewIntervalMonths=6,
                        documentUrl="https://example.com/ir?x=1&y=\"2\""),
                   dict(kind="BACKUP_AND_RECOVERY", status="DRAFT")):
        await mutate(pair, token, POLICY, tenantId=tenant, **policy)
    line = await mutate(pair, token, LINE, tenantId=tenant, fiscalYear=2026, name="Licences", kind="OPEX",
                        category="Software", planned="1000.00")
    for month, amount in (("2026-08", "100.10"), ("2027-06", "0.05")):
        await mutate(pair, token, SPEND, budgetLineId=line["budgetLine"]["id"], month=month, amount=amount)
    await mutate(pair, token, LINE, tenantId=tenant, fiscalYear=2026, name="Unspent", kind="CAPEX", category="Hardware",
                 planned="0")
    await mutate(pair, token, LINE, tenantId=tenant, fiscalYear=2100, name="Far", kind="CAPEX", category="Hardware",
                 planned="5")
    for month, support, change, alert in (("2026-01", 5, 1, 0), ("2026-02", 0, 0, 0), ("2026-11", 2, 2, 2)):
        await mutate(pair, token, TICKETS, tenantId=tenant, month=month, support=support, change=change, alert=alert)
    meetings = [  # two at the same instant; one just before midnight UTC seen from UTC-2
        dict(scheduledAt="2027-02-03T15:30:00.250000+01:00", attendees=["Ann Lee (CFO)", "Bob", "Ünal (IT (ops))", "Gil ( )"],
             agenda=["Budget", 'Zoë\'s "plan"']),
        dict(scheduledAt="2027-02-03T14:30:00.250000Z"),
        dict(scheduledAt="2026-05-31T23:59:59.999999-02:00", attendees=["Cy"]),
        dict(scheduledAt="2026-03-10T00:00:00Z", attendees=["Dana Ruiz (Finance)", "Eve"], agenda=["Kick-off"]),
    ]
    made = [await mutate(pair, token, MEETING, tenantId=tenant, **m) for m in meetings]
    await mutate(pair, token, HELD, id=made[-1]["steeringMeeting"]["id"], status="HELD", decisions=["Go", "Ünd"])
    for title, owner, due in (("Call «them»", "Zoë", "2026-03-31"), ("No owner", None, None)):
        await mutate(pair, token, ITEM, meetingId=made[-1]["steeringMeeting"]["id"], title=title, owner=owner, dueOn=due)
    await mutate(pair, token, NOTE, tenantId=tenant, summary='Agreed: "go" \\ ü 🚀', meetingId=made[-1]["steeringMeeting"]["id"])
    for goal in (dict(title="Integral", fiscalYear=2026, baseline=0.0, target=40.0, current=1e-05),
                 dict(title="Nothing measured", fiscalYear=2027, status="AT_RISK")):
        await mutate(pair, token, GOAL, tenantId=tenant, **goal)
    await mutate(pair, token, MEETING, tenantId=seeded, scheduledAt="2027-01-12T09:00:00Z",
                 attendees=["Pat (CEO)", "Sam"])



async def build_scene(sessionmaker, pair: Pair) -> Scene:
    """The seeded practice, the crafted and the empty tenant, another practice, and a viewer of each role."""
    summary = await seed_synthetic(sessionmaker, tenants=4, months=12, practice=f"Generated {uuid.uuid4().hex[:6]}",
                                   progress=False, end_month=END)
    world = World(sessionmaker)
    async with tenant_session(sessionmaker, ()) as s:
        practice = await s.get(Practice, summary.practice_id)
        seeded = list(await s.scalars(select(Tenant).where(Tenant.practice_id == practice.id).order_by(Tenant.name)))
    crafted = await world.tenant(practice, name='Zoë "Q" \\ Ltd 🚀', employee_count=3, fiscal_year_start_month=7,
                                 currency="EUR")
    empty = await world.tenant(practice, name="Empty Co", employee_count=1)
    elsewhere = await world.practice()
    outside = await world.tenant(elsewhere, name="Zoë Elsewhere")
    users = {
        "admin": await world.user(practice, Role.PRACTICE_ADMIN),
        "cio": await world.user(practice, Role.CIO, tenants=[seeded[0], seeded[2], crafted]),
        "executive": await world.user(practice, Role.CLIENT_EXECUTIVE, tenants=[crafted]),
        "stranger": await world.user(elsewhere, Role.PRACTICE_ADMIN),
    }
    tokens = {name: await login(pair, user.email) for name, user in users.items()}
    await craft(pair, tokens["admin"], ids.encode("Tenant", crafted.id), ids.encode("Tenant", seeded[0].id))
    everyone = [t.id for t in [*seeded, crafted, empty, outside]]
    for month in SCORED:
        await score_batch(sessionmaker, [t.id for t in [*seeded, crafted]], month)
    principals = {name: await world.principal(user) for name, user in users.items()}
    async with tenant_session(sessionmaker, everyone) as s:
        times = await s.scalars(select(SteeringMeeting.scheduled_at))
        days = sorted({(t.astimezone(dt.UTC).date() + dt.timedelta(days=d)).isoformat() for t in times for d in (-1, 0, 1)})
        meeting = await s.scalar(select(SteeringMeeting).where(SteeringMeeting.tenant_id == crafted.id).limit(1))
    viewers = [Viewer(name, tokens[name], principals[name]) for name in users]
    assert [len(v.tenant_ids) for v in viewers] == [6, 3, 1, 1]
    return Scene(
        viewers=viewers,
        tenant_ids=[ids.encode("Tenant", t) for t in everyone],
        other_ids=[ids.encode("SteeringMeeting", meeting.id, crafted.id), ids.encode("User", users["admin"].id),
                   ids.encode("Tenant", uuid.uuid4()), ids.encode("Tenant", crafted.id) + "==", "not an id", ""],
        names=[t.name for t in [*seeded, crafted, empty, outside]],
        days=days,
    )
