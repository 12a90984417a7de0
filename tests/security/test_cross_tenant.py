"""Cross-tenant attacks, generated: every caller tries ids it may not see in every id-taking field.

Hypothesis draws (caller, probe, hostile id); a probe is one query field or mutation with one id
slot under attack, the others filled with the caller's own valid ids. Each attempt must answer
exactly what the same request answers for an id that does not exist (same status, same body once
the ids are blanked), show no marker of a hidden tenant, and, over the whole run, change no row.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api import ids
from app.auth import tokens
from app.auth.apikeys import create_api_key
from app.auth.principal import Principal
from app.settings import get_settings
from app.steering.actions import schedule_meeting
from app.tenants.models import Role
from tests.security.cast import Caller, Cast, Gql
from tests.security.database import changed, digest

ATTEMPTS = 2200
TENANT_OWNED = ("Risk", "Initiative", "Vendor", "BudgetLine", "SteeringMeeting", "ActionItem", "Asset", "Review",
                "Finding", "BusinessGoal", "Decision")
NODE_TYPES = ("Tenant", "User", "Integration", "Standard", *TENANT_OWNED)
NODE_SELECTION = (
    "__typename id ... on Risk { title acceptedUntil decision { reason } } "
    "... on Initiative { title recurringCostPerYear findings { note } goal { title } decision { summary } } "
    "... on Decision { summary reason decidedBy { email } initiative { title } risk { title } meeting { agenda } } "
    "... on BusinessGoal { title kpi initiatives { title } } ... on Vendor { name } "
    "... on BudgetLine { name } ... on SteeringMeeting { agenda decisionsTaken { summary } "
    "suggestedAgenda { summary subject { id } } } ... on ActionItem { title } "
    "... on Integration { name } ... on Tenant { name } ... on User { email } ... on Asset { name serialNumber } "
    "... on Standard { title } "
    "... on Review { status answers { note standard { title } } findings { note } } ... on Finding { note standard { title } }"
)
PAYLOAD = "userErrors { code field message }"


@dataclass(frozen=True)
class Probe:
    """One field with one id slot under attack; `variables(attack, caller)` fills the rest validly."""

    name: str
    slot: str  # the type of object the slot expects
    query: str
    variables: Callable[[str, Caller], dict]


SHARED_INPUTS = {
    "disableIntegration": "IdInput", "reapplyIntegrationMapping": "IdInput", "replayWebhookDelivery": "IdInput",
    "grantTenantAccess": "TenantAccessInput", "revokeTenantAccess": "TenantAccessInput", "completeReview": "IdInput",
}


def input_type_of(name: str) -> str:
    if name in SHARED_INPUTS:
        return SHARED_INPUTS[name]
    if name.startswith("delete") and name != "deletePolicy":
        return "DeleteInput"
    return name[0].upper() + name[1:] + "Input"


def mutation(name: str, slot: str, selection: str, build: Callable[[str, Caller], dict]) -> Probe:
    input_type = input_type_of(name)
    query = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} {PAYLOAD} }} }}"
    return Probe(f"{name}.{slot}", slot, query, lambda attack, caller: {"i": build(attack, caller)})


def home(caller: Caller, type_name: str) -> str:
    return caller.home.ids[type_name]


TICKET = {"externalId": "T-1", "category": "SUPPORT", "openedAt": "2026-01-04T09:00:00Z"}
ASSET = {"externalId": "CI-1", "name": "Probe laptop", "kind": "LAPTOP", "purchasedOn": "2024-01-04"}
SOON = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
LINE = {"fiscalYear": 2026, "name": "Probe line", "kind": "OPEX", "category": "Licences", "planned": "10.00"}
PROBES: list[Probe] = [
    *[Probe(f"node.{t}", t, f"query($id: ID!) {{ node(id: $id) {{ {NODE_SELECTION} }} }}",
            lambda a, c: {"id": a}) for t in NODE_TYPES],
    Probe("tenant", "Tenant", "query($id: ID!) { tenant(id: $id) { id name risks { totalCount } } }",
          lambda a, c: {"id": a}),
    Probe("tenant.assets", "Tenant", "query($id: ID!) { tenant(id: $id) { id assets { totalCount nodes { name } } "
          "lifecycleForecast(quarters: 2) { quarter assets replacementCost } } }", lambda a, c: {"id": a}),
    Probe("auditEvents", "Tenant", "query($id: ID!) { auditEvents(tenantId: $id) { totalCount nodes { action } } }",
          lambda a, c: {"id": a}),
    Probe("integrations", "Tenant", "query($id: ID!) { integrations(tenantId: $id) { id name } }",
          lambda a, c: {"id": a}),
    Probe("webhookDeliveries", "Integration",
          "query($id: ID!) { webhookDeliveries(integrationId: $id) { id status } }", lambda a, c: {"id": a}),
    mutation("updateTenant", "Tenant", "tenant { id name }", lambda a, c: {"id": a, "name": "Renamed"}),
    mutation("createRisk", "Tenant", "risk { id }", lambda a, c: {
        "tenantId": a, "title": "Planted", "category": "SECURITY", "likelihood": 1, "impact": 1}),
    mutation("createInitiative", "Tenant", "initiative { id }", lambda a, c: {"tenantId": a, "title": "Planted"}),
    mutation("createVendor", "Tenant", "vendor { id }", lambda a, c: {
        "tenantId": a, "name": "Planted", "relationship": "COMMODITY"}),
    mutation("setBudgetLine", "Tenant", "budgetLine { id }", lambda a, c: {"tenantId": a, **LINE}),
    mutation("setBudgetLine", "Vendor", "budgetLine { id }", lambda a, c: {
        "tenantId": c.home.gid, **LINE, "vendorId": a}),
    mutation("setBudgetLine", "Initiative", "budgetLine { id }", lambda a, c: {
        "tenantId": c.home.gid, **LINE, "initiativeId": a}),
    mutation("recordTicketMetrics", "Tenant", "ticketMonth { total }", lambda a, c: {
        "tenantId": a, "month": "2026-02", "support": 1, "change": 0, "alert": 0}),
    mutation("ingestTickets", "Tenant", "accepted", lambda a, c: {"tenantId": a, "source": "probe", "tickets": [TICKET]}),
    mutation("setPolicy", "Tenant", "policy { kind status }", lambda a, c: {
        "tenantId": a, "kind": "REMOTE_ACCESS", "status": "DRAFT"}),
    mutation("deletePolicy", "Tenant", "policy { kind status }", lambda a, c: {"tenantId": a, "kind": "BACKUP_AND_RECOVERY"}),
    mutation("scheduleSteeringMeeting", "Tenant", "steeringMeeting { id }", lambda a, c: {
        "tenantId": a, "scheduledAt": "2026-05-01T10:00:00+00:00"}),
    mutation("requestHealthRecompute", "Tenant", "jobId", lambda a, c: {"tenantId": a, "month": "2026-01"}),
    mutation("createIntegration", "Tenant", "integration { id } secret", lambda a, c: {"tenantId": a, "vendor": "HALOPSA"}),
    mutation("createUser", "Tenant", "user { id }", lambda a, c: {
        "email": f"planted-{uuid.uuid4().hex[:6]}@example.com", "name": "Planted", "password": "long enough password",
        "role": "CIO", "tenantIds": [a]}),
    mutation("inviteUser", "Tenant", "invitation { email }", lambda a, c: {
        "email": f"invited-{uuid.uuid4().hex[:6]}@example.com", "name": "Planted", "role": "CIO", "tenantIds": [a]}),
    mutation("createApiKey", "Tenant", "key", lambda a, c: {"name": "Planted", "tenantIds": [a]}),
    mutation("grantTenantAccess", "Tenant", "user { id } tenant { id }", lambda a, c: {"userId": c.me, "tenantId": a}),
    mutation("grantTenantAccess", "User", "user { id } tenant { id }", lambda a, c: {"userId": a, "tenantId": c.home.gid}),
    mutation("revokeTenantAccess", "User", "user { id } tenant { id }", lambda a, c: {"userId": a, "tenantId": c.home.gid}),
    mutation("revokeApiKey", "ApiKey", "revokedId", lambda a, c: {"id": a}),
    mutation("updateRisk", "Risk", "risk { id title }", lambda a, c: {"id": a, "title": "Renamed", "likelihood": 1}),
    mutation("deleteRisk", "Risk", "deletedId", lambda a, c: {"id": a}),
    mutation("updateInitiative", "Initiative", "initiative { id recurringCostPerYear }", lambda a, c: {
        "id": a, "title": "Renamed", "costEstimate": None, "recurringCostPerYear": "12.00"}),
    mutation("deleteInitiative", "Initiative", "deletedId", lambda a, c: {"id": a}),
    mutation("updateBudgetLine", "BudgetLine", "budgetLine { id }", lambda a, c: {"id": a, "planned": "1.00"}),
    mutation("updateBudgetLine", "Vendor", "budgetLine { id }", lambda a, c: {"id": home(c, "BudgetLine"), "vendorId": a}),
    mutation("updateBudgetLine", "Initiative", "budgetLine { id }", lambda a, c: {
        "id": home(c, "BudgetLine"), "initiativeId": a}),
    mutation("recordSpend", "BudgetLine", "budgetLine { id }", lambda a, c: {"budgetLineId": a, "month": "2026-01", "amount": "9.00"}),
    mutation("deleteBudgetLine", "BudgetLine", "deletedId", lambda a, c: {"id": a}),
    mutation("updateVendor", "Vendor", "vendor { id }", lambda a, c: {"id": a, "name": "Renamed"}),
    mutation("deleteVendor", "Vendor", "deletedId", lambda a, c: {"id": a}),
    mutation("recordSteeringMeeting", "SteeringMeeting", "steeringMeeting { id }", lambda a, c: {"id": a, "status": "HELD"}),
    mutation("updateSteeringMeeting", "SteeringMeeting", "steeringMeeting { id }", lambda a, c: {"id": a, "agenda": ["x"]}),
    mutation("deleteSteeringMeeting", "SteeringMeeting", "deletedId", lambda a, c: {"id": a}),
    mutation("createActionItem", "SteeringMeeting", "actionItem { id }", lambda a, c: {"meetingId": a, "title": "Planted"}),
    mutation("updateActionItem", "ActionItem", "actionItem { id }", lambda a, c: {"id": a, "status": "DONE"}),
    mutation("deleteActionItem", "ActionItem", "deletedId", lambda a, c: {"id": a}),
    mutation("updateIntegration", "Integration", "integration { id }", lambda a, c: {"id": a, "name": "Renamed"}),
    mutation("disableIntegration", "Integration", "integration { id enabled }", lambda a, c: {"id": a}),
    mutation("reapplyIntegrationMapping", "Integration", "changed", lambda a, c: {"id": a}),
    mutation("replayWebhookDelivery", "WebhookDelivery", "status error", lambda a, c: {"id": a}),
    mutation("createAsset", "Tenant", "asset { id }", lambda a, c: {"tenantId": a, "name": "Planted", "kind": "SERVER"}),
    mutation("updateAsset", "Asset", "asset { id name }", lambda a, c: {"id": a, "name": "Renamed", "retiredOn": "2026-01-01"}),
    mutation("deleteAsset", "Asset", "deletedId", lambda a, c: {"id": a}),
    mutation("ingestAssets", "Tenant", "accepted", lambda a, c: {"tenantId": a, "source": "probe", "assets": [ASSET]}),
    Probe("tenant.reviews", "Tenant",
          "query($id: ID!) { tenant(id: $id) { reviews { totalCount nodes { id } } latestReview { findings { note } } } }",
          lambda a, c: {"id": a}),
    mutation("updateStandard", "Standard", "standard { id title }", lambda a, c: {"id": a, "title": "Renamed"}),
    mutation("startReview", "Tenant", "review { id }", lambda a, c: {"tenantId": a}),
    mutation("answerStandards", "Review", "review { id }", lambda a, c: {
        "reviewId": a, "answers": [{"standardId": home(c, "Standard"), "alignment": "ALIGNED"}]}),
    mutation("answerStandards", "Standard", "review { id }", lambda a, c: {
        "reviewId": home(c, "Review"), "answers": [{"standardId": a, "alignment": "ALIGNED", "note": "Planted"}]}),
    mutation("completeReview", "Review", "review { id alignmentScore }", lambda a, c: {"id": a}),
    mutation("linkFinding", "Finding", "finding { id }", lambda a, c: {"findingId": a, "initiativeId": home(c, "Initiative")}),
    mutation("linkFinding", "Initiative", "finding { id }", lambda a, c: {"findingId": home(c, "Finding"), "initiativeId": a}),
    Probe("tenant.goals", "Tenant", "query($id: ID!) { tenant(id: $id) { goals { title initiatives { title } } "
          "y: goals(fiscalYear: 2026) { kpi } } }", lambda a, c: {"id": a}),
    Probe("tenant.strategy", "Tenant", "query($id: ID!) { tenant(id: $id) { strategy { itMaturity cloudStrategy "
          "preferredPlatforms endorsedStack regulatoryConstraints itCapacityNote updatedAt } } }", lambda a, c: {"id": a}),
    mutation("setStrategyProfile", "Tenant", "strategy { endorsedStack }", lambda a, c: {
        "tenantId": a, "endorsedStack": ["Planted"], "itMaturity": 5}),
    Probe("tenant.roadmap", "Tenant", "query($id: ID!) { tenant(id: $id) { roadmap(fiscalYear: 2026) { quarter "
          "oneTimeCost recurringCostPerYear hoursSavedPerMonth revenueAtRisk initiatives { title recurringCostPerYear "
          "goal { title } } } budget(fiscalYear: 2026) { forecast { month planned actual forecast } } } }",
          lambda a, c: {"id": a}),
    Probe("tenant.executiveReport", "Tenant", "query($id: ID!) { tenant(id: $id) { executiveReport { month htmlUrl "
          "pdfUrl } old: executiveReport(month: \"2026-01\") { htmlUrl } } }", lambda a, c: {"id": a}),
    mutation("createGoal", "Tenant", "goal { id }", lambda a, c: {"tenantId": a, "title": "Planted", "fiscalYear": 2026}),
    mutation("updateGoal", "BusinessGoal", "goal { id title }", lambda a, c: {"id": a, "title": "Renamed", "current": 9}),
    mutation("deleteGoal", "BusinessGoal", "deletedId", lambda a, c: {"id": a}),
    mutation("createInitiative", "BusinessGoal", "initiative { id }", lambda a, c: {
        "tenantId": c.home.gid, "title": "Planted", "goalId": a}),
    mutation("updateInitiative", "BusinessGoal", "initiative { id goal { title } }", lambda a, c: {
        "id": home(c, "Initiative"), "goalId": a}),
    Probe("tenant.decisions", "Tenant", "query($id: ID!) { tenant(id: $id) { decisions { totalCount nodes { summary reason "
          "decidedBy { email } risk { title } meeting { agenda } } } } }", lambda a, c: {"id": a}),
    mutation("decideInitiative", "Initiative", "decision { id summary }", lambda a, c: {"initiativeId": a, "approve": True}),
    mutation("decideInitiative", "SteeringMeeting", "decision { id }", lambda a, c: {
        "initiativeId": home(c, "Initiative"), "approve": False, "reason": "Planted", "meetingId": a}),
    mutation("acceptRisk", "Risk", "decision { id risk { title } }", lambda a, c: {
        "riskId": a, "until": SOON, "reason": "Planted"}),
    mutation("acceptRisk", "SteeringMeeting", "decision { id }", lambda a, c: {
        "riskId": home(c, "Risk"), "until": SOON, "reason": "Planted", "meetingId": a}),
    mutation("recordDecision", "Tenant", "decision { id }", lambda a, c: {"tenantId": a, "summary": "Planted"}),
    Probe("tenant.reportDeliveries", "Tenant", "query($id: ID!) { tenant(id: $id) { reportDeliveries { id recipient "
          "state error } } }", lambda a, c: {"id": a}),
    mutation("sendExecutiveReport", "Tenant", "deliveries { id recipient }", lambda a, c: {
        "tenantId": a, "recipients": ["probe@client.example"]}),
    mutation("recordDecision", "SteeringMeeting", "decision { id }", lambda a, c: {
        "tenantId": c.home.gid, "summary": "Planted", "meetingId": a}),
    mutation("recordSteeringMeeting", "Initiative", "steeringMeeting { id }", lambda a, c: {
        "id": home(c, "SteeringMeeting"), "status": "HELD", "decisionsTaken": [{"initiativeId": a, "approve": True}]}),
    mutation("recordSteeringMeeting", "Risk", "steeringMeeting { id }", lambda a, c: {
        "id": home(c, "SteeringMeeting"), "status": "HELD", "decisionsTaken": [{"riskId": a, "until": SOON, "reason": "Planted"}]}),
]


def raw_id(global_id: str) -> uuid.UUID:
    return ids.decode(global_id).id


def missing_id(slot: str, caller: Caller) -> str:
    """An id of the slot's type that exists nowhere: the answer every attack must be identical to."""
    if slot in (*TENANT_OWNED, "WebhookDelivery"):
        return ids.encode(slot, uuid.uuid4(), caller.home.tenant.id)
    return ids.encode(slot, uuid.uuid4())


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def hostile_ids(cast: Cast, caller: Caller, slot: str, any_type: bool) -> st.SearchStrategy[str]:
    """Ids the caller may not use in a `slot` field: real ones of hidden tenants, forged, malformed."""
    hidden_objects = [(h, t, gid) for h in caller.hidden for t, gid in h.ids.items()]
    same_type = [gid for h, t, gid in hidden_objects if t == slot]
    if slot == "User":
        same_type += caller.hidden_users
    if slot == "ApiKey" and caller.name in ("admin_b", "admin_c"):
        same_type.append(ids.encode("ApiKey", cast.key_a_id))
    other_type = [gid for _, t, gid in hidden_objects if t != slot]
    if not any_type:  # the caller's own objects of another type (node() takes every type: no attack)
        other_type += [gid for t, gid in caller.home.ids.items() if t != slot]
    home_tenant = caller.home.tenant.id
    # The right tenant with another tenant's object, and another tenant with a right object.
    forged = [ids.encode(slot, raw_id(gid), home_tenant) for _, _, gid in hidden_objects]
    forged += [ids.encode(slot, raw_id(gid), h.tenant.id) for h in caller.hidden for gid in caller.home.ids.values()]
    forged += [ids.encode(slot, raw_id(gid)) for _, _, gid in hidden_objects]
    strategies = [st.sampled_from(other_type), st.sampled_from(forged)]
    if same_type:
        strategies.append(st.sampled_from(same_type))
    uuids = st.uuids().map(str)
    malformed = st.one_of(
        st.text(max_size=40),
        st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()),
        st.builds(lambda u: b64(f"{slot}:{u}:{u}:{u}"), uuids),
        st.builds(lambda junk: b64(f"{slot}:{junk}"), st.text(max_size=30)),
        st.builds(lambda u: b64(f"{slot}:{home_tenant}:{u}'; drop table risks; --"), uuids),
        st.integers(201, 120_000).map(lambda n: ("A" * n)),
        st.sampled_from(["", " ", "null", "0", "-1", "%00", "\u0000", "Risk", "VGVuYW50", "=" * 8]),
    )
    strategies.append(malformed)
    return st.one_of(*strategies)


def collect_attempts(cast: Cast, count: int) -> list[tuple[Caller, Probe, str]]:
    """Let hypothesis draw `count` attempts (it explores the strategies; we run them afterwards)."""
    attempts: list[tuple[Caller, Probe, str]] = []

    @st.composite
    def attempt(draw):
        caller = draw(st.sampled_from(cast.callers))
        probe = draw(st.sampled_from(PROBES))
        return caller, probe, draw(hostile_ids(cast, caller, probe.slot, probe.name.startswith("node.")))

    @settings(max_examples=count, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(attempt())
    def draw(one):
        attempts.append(one)

    draw()
    return attempts


def blanked(status: int, body: dict, *values: str) -> bytes:
    """The answer with the ids it was asked about blanked, for comparison with the "missing" answer."""

    def blank(node):
        if isinstance(node, dict):
            return {k: blank(v) for k, v in node.items()}
        if isinstance(node, list):
            return [blank(v) for v in node]
        return "<ID>" if isinstance(node, str) and node in values else node

    return orjson.dumps({"status": status, "body": blank(body)}, option=orjson.OPT_SORT_KEYS)


@pytest.mark.slow
async def test_generated_cross_tenant_attempts_see_and_change_nothing(gql, cast, owner_engine):
    await attack(gql, cast, owner_engine, ATTEMPTS, "cross-tenant")


@pytest.mark.slow
async def test_the_api_alone_holds_the_line(bypassing_gql, cast, owner_engine):
    """Lock 1 alone: the same attempts against an app whose connections bypass row security (the
    table owner's role, no runtime role), so only the API's own checks and queries stand."""
    await attack(bypassing_gql, cast, owner_engine, ATTEMPTS // 2, "cross-tenant, row security bypassed")


async def attack(gql: Gql, cast: Cast, owner_engine, count: int, label: str) -> None:
    """`count` generated attempts: none may return a hidden object or change a row, and each must
    answer exactly as an id that does not exist does."""
    attempts = collect_attempts(cast, count)
    baselines: dict[tuple[str, str], tuple[str, int, dict]] = {}
    before = await digest(owner_engine)

    async def baseline(caller: Caller, probe: Probe) -> tuple[str, int, dict]:
        key = (caller.name, probe.name)
        if key not in baselines:
            missing = missing_id(probe.slot, caller)
            baselines[key] = (missing, *await gql.post(probe.query, probe.variables(missing, caller), caller.token))
        return baselines[key]

    failures: list[str] = []

    async def run(caller: Caller, probe: Probe, attack: str) -> None:
        missing, missing_status, missing_body = await baseline(caller, probe)
        expected = blanked(missing_status, missing_body, missing, attack)
        status, body = await gql.post(probe.query, probe.variables(attack, caller), caller.token)
        answer = orjson.dumps(body).decode()
        leaked = [h.marker for h in caller.hidden if h.marker in answer]
        if leaked or status >= 500 or blanked(status, body, attack, missing) != expected:
            failures.append(f"{caller.name} {probe.name} {attack[:80]!r}: {status} {answer[:300]} (expected {expected[:300]!r})")

    for start in range(0, len(attempts), 8):
        await asyncio.gather(*(run(*a) for a in attempts[start:start + 8]))
    after = await digest(owner_engine)

    probes_hit = {p.name for _, p, _ in attempts}
    print(f"\n{label}: {len(attempts)} attempts, {len(probes_hit)}/{len(PROBES)} probes, "
          f"{len(cast.callers)} callers, {len(failures)} leaks or differences, tables changed: {changed(before, after)}")
    assert len(attempts) >= count * 0.9
    assert len(probes_hit) == len(PROBES)
    assert failures == [], "\n".join(failures[:20])
    assert changed(before, after) == []


async def test_the_report_settings_read_back_are_the_viewers_practice_and_account_only(gql, bypassing_gql, world):
    """`reportDeliveryEnabled` is the viewer's practice's switch and `reportOptOut` the viewer's own
    flag: another practice's admin turning the report off, or another user opting out, changes
    neither (with row security and without it). An API key reads neither."""
    practice_a, practice_b = await world.practice(), await world.practice()
    tenant_a = await world.tenant(practice_a)
    admin_a, admin_b = await world.user(practice_a, Role.PRACTICE_ADMIN), await world.user(practice_b, Role.PRACTICE_ADMIN)
    executive_a = await world.user(practice_a, Role.CLIENT_EXECUTIVE, [tenant_a])
    executive_a2 = await world.user(practice_a, Role.CLIENT_EXECUTIVE, [tenant_a])
    token = lambda user: tokens.issue(get_settings().secret_key, user.id, 60)  # noqa: E731
    await gql.data("mutation { setReportDelivery(input: {enabled: false}) { enabled } }", token=token(admin_b))
    await gql.data("mutation { setReportOptOut(input: {optOut: true}) { optOut } }", token=token(executive_a2))
    for client in (gql, bypassing_gql):
        for user, expected in ((admin_a, (True, False)), (executive_a, (True, False)), (admin_b, (False, False)),
                               (executive_a2, (True, True))):
            read = await client.data("{ reportDeliveryEnabled reportOptOut }", token=token(user))
            assert (read["reportDeliveryEnabled"], read["reportOptOut"]) == expected, (user.role, read)
    async with world.scope(()) as s:
        _, key = await create_api_key(s, await world.principal(admin_a), "PSA push", None)
    for document in ("{ reportDeliveryEnabled }", "{ reportOptOut }"):
        status, body = await gql.post(document, token=key)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


async def test_a_calendar_feed_holds_only_the_meetings_of_the_tenants_its_user_sees(gql, bypassing_gql, world):
    """The feed has no id to attack, only a secret naming its user: each user's feed shows exactly
    the meetings of the tenants that user sees, never another practice's or an ungranted tenant's,
    with row security (gql) and without it (bypassing_gql: the feed's own query alone). An API
    key has no feed."""
    practice_a, practice_b = await world.practice(), await world.practice()
    a1, a2, b1 = await world.tenant(practice_a), await world.tenant(practice_a), await world.tenant(practice_b)
    markers = {t.id: f"MARK{uuid.uuid4().hex[:10]}" for t in (a1, a2, b1)}
    for tenant in (a1, a2, b1):
        async with world.scope([tenant.id]) as s:
            await schedule_meeting(s, Principal.system([tenant.id], tenant.practice_id), tenant.id,
                                   scheduled_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
                                   agenda=[f"Agenda {markers[tenant.id]}"])
    sees = {
        await world.user(practice_a, Role.PRACTICE_ADMIN): {a1.id, a2.id},
        await world.user(practice_a, Role.CIO, [a1]): {a1.id},
        await world.user(practice_a, Role.CLIENT_EXECUTIVE, [a2]): {a2.id},
        await world.user(practice_b, Role.PRACTICE_ADMIN): {b1.id},
        await world.user(practice_b, Role.CIO): set(),
    }
    for client in (gql, bypassing_gql):
        for user, visible in sees.items():
            token = tokens.issue(get_settings().secret_key, user.id, 60)
            url = (await client.data("{ calendarFeedUrl }", token=token))["calendarFeedUrl"]
            feed = (await client.http.get(url.split("localhost:8000", 1)[1])).text
            assert {t for t, marker in markers.items() if marker in feed} == visible, (user.role, feed)

    admin = next(iter(sees))
    async with world.scope(()) as s:
        _, key = await create_api_key(s, await world.principal(admin), "PSA push", None)
    for document in ("{ calendarFeedUrl }", "mutation { resetCalendarFeed { url } }"):
        status, body = await gql.post(document, token=key)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


async def test_a_practice_sign_in_settings_reach_only_that_practice(gql, bypassing_gql, cast):
    """The two-factor policy and the single sign-on provider take no id: they are always the
    caller's practice's. An admin of B setting both changes nothing A or C reads, with row
    security and without it (these tables have none: the API's practice check holds alone)."""
    callers = {c.name: c for c in cast.callers}
    policy = "{ twoFactorPolicy { requiredRoles } }"
    provider = "{ oidcProvider { issuer allowedDomains } }"
    for client in (gql, bypassing_gql):
        await client.data('mutation { setOidcProvider(input: {issuer: "https://idp.b.example", clientId: "b", '
                          'clientSecret: "b-secret", allowedDomains: ["b.example"]}) { userErrors { code } } }',
                          token=callers["admin_b"].token)
        await client.data("mutation { setTwoFactorPolicy(input: {requiredRoles: [CLIENT_EXECUTIVE]}) { __typename } }",
                          token=callers["admin_b"].token)
        for name in ("admin_a", "admin_c"):
            assert await client.data(provider, token=callers[name].token) == {"oidcProvider": None}, name
            assert await client.data(policy, token=callers[name].token) == {"twoFactorPolicy": {"requiredRoles": []}}
        assert (await client.data(policy, token=callers["cio_a"].token))["twoFactorPolicy"]["requiredRoles"] == []
        mine = await client.data(provider, token=callers["admin_b"].token)
        assert mine == {"oidcProvider": {"issuer": "https://idp.b.example", "allowedDomains": ["b.example"]}}
        await client.data("mutation { removeOidcProvider { removed } }", token=callers["admin_b"].token)
        await client.data("mutation { setTwoFactorPolicy(input: {requiredRoles: []}) { __typename } }",
                          token=callers["admin_b"].token)
