"""API.md's "Who may do what", for every mutation: the roles that may not are refused and change nothing.

Each mutation is sent with valid input aimed at the caller's OWN tenant and objects, so a refusal
cannot hide behind "not found": client executives only decide (`decideInitiative`, `acceptRisk`,
exercised in tests/decisions), API keys write ticket and asset data only, and CIOs cannot manage
users, keys or access. The allowed side is exercised by each area's tests.
"""

from app.api.schema import build_schema
from tests.security.database import changed, digest
from tests.security.test_cross_tenant import PROBES

ADMIN_ONLY = {"createUser", "createApiKey", "grantTenantAccess", "revokeTenantAccess", "revokeApiKey", "updateStandard",
              "setReportDelivery", "inviteUser", "setTwoFactorPolicy", "setOidcProvider", "removeOidcProvider"}
KEY_MAY = {"ingestTickets", "ingestAssets"}
EXECUTIVE_MAY = {"decideInitiative", "acceptRisk"}
# The caller's own account, not tenant data: every signed-in user may (app/api/calendar.py, app/api/deliveries.py).
OWN_ACCOUNT = {"resetCalendarFeed", "setReportOptOut", "revokeSessions", "enrollTotp", "confirmTotp", "disableTotp"}
# Signed out: a password, or a mailed link's token, is the credential (app/accounts).
SIGNED_OUT = {"login", "acceptInvitation", "requestPasswordReset", "resetPassword"}
# The practice's sign-in settings (app/api/twofactor.py, app/api/sso.py): no id to aim, tried below.
SIGN_IN_SETTINGS = {
    "setTwoFactorPolicy": "mutation { setTwoFactorPolicy(input: {requiredRoles: [CIO, CLIENT_EXECUTIVE]}) { __typename } }",
    "setOidcProvider": 'mutation { setOidcProvider(input: {issuer: "https://idp.example.com", clientId: "c", '
                       'clientSecret: "s", allowedDomains: ["example.com"]}) { __typename } }',
    "removeOidcProvider": "mutation { removeOidcProvider { __typename } }",
}


def refused_roles(mutation: str) -> set[str]:
    refused = ({"exec_a"} if mutation not in EXECUTIVE_MAY else set()) | ({"key_a"} if mutation not in KEY_MAY else set())
    return refused | ({"cio_a"} if mutation in ADMIN_ONLY else set())


def own_id(caller, slot: str) -> str | None:
    return caller.me if slot == "User" else caller.home.ids.get(slot)


async def test_every_mutation_refuses_the_roles_api_md_refuses(gql, cast, owner_engine):
    callers = {c.name: c for c in cast.callers}
    mutations = [p for p in PROBES if p.query.startswith("mutation")]
    assert len({p.query.split("{", 2)[1].split("(")[0].strip() for p in mutations}) >= 30
    before = await digest(owner_engine)
    tried = 0
    for probe in mutations:
        name = probe.name.split(".")[0]
        for role in sorted(refused_roles(name)):
            caller = callers[role]
            target = own_id(caller, probe.slot)
            if target is None:
                continue
            status, body = await gql.post(probe.query, probe.variables(target, caller), caller.token)
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
            assert codes == {"FORBIDDEN"}, (probe.name, role, status, body)
            tried += 1
    assert tried >= 80
    assert changed(before, await digest(owner_engine)) == []


# Mutations without an id slot to probe, each tried here with valid input (`createStandard` below).
UNPROBED = {
    "createTenant": ("CreateTenantInput", lambda c: {"name": "Planted", "employeeCount": 5}),
    "setHealthWeights": ("SetHealthWeightsInput", lambda c: dict.fromkeys(
        ("tickets", "risks", "budget", "plan", "policies", "steering"), 1 / 6)),
    "exportTenant": ("IdInput", lambda c: {"id": c.home.gid}),
    "setReportDelivery": ("SetReportDeliveryInput", lambda c: {"enabled": False}),
    "offboardTenant": ("OffboardTenantInput", lambda c: {"id": c.home.gid, "confirmSlug": c.home.tenant.slug}),
}


async def test_an_executive_may_make_only_the_two_decisions(gql, cast, owner_engine):
    """Every mutation of the schema but `decideInitiative` and `acceptRisk` (and those about the
    executive's own account) is refused to a client executive."""
    executive = next(c for c in cast.callers if c.name == "exec_a")
    before = await digest(owner_engine)
    for name, (input_type, build) in UNPROBED.items():
        _, body = await gql.post(f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename }} }}",
                                 {"i": build(executive)}, executive.token)
        assert {e.get("extensions", {}).get("code") for e in body.get("errors", [])} == {"FORBIDDEN"}, (name, body)
    probed = {p.name.split(".")[0] for p in PROBES if p.query.startswith("mutation")}
    every = set(build_schema(False)._schema.mutation_type.fields)
    allowed = every - {*SIGNED_OUT, "createStandard", *UNPROBED, *SIGN_IN_SETTINGS} - {
        m for m in probed if "exec_a" in refused_roles(m)}

    assert allowed == EXECUTIVE_MAY | OWN_ACCOUNT
    assert changed(before, await digest(owner_engine)) == []


async def test_only_practice_admins_add_standards(gql, cast, owner_engine):
    """`createStandard` takes no id (no probe): every other role is refused and the library is unchanged."""
    callers = {c.name: c for c in cast.callers}
    before = await digest(owner_engine)
    for role in ("cio_a", "exec_a", "key_a"):
        status, body = await gql.post(
            "mutation($i: CreateStandardInput!) { createStandard(input: $i) { standard { id } userErrors { code } } }",
            {"i": {"section": "S", "title": "T", "question": "Q?", "whyItMatters": "W", "priority": "LOW"}},
            callers[role].token,
        )
        assert {e.get("extensions", {}).get("code") for e in body.get("errors", [])} == {"FORBIDDEN"}, (role, body)
    assert changed(before, await digest(owner_engine)) == []


async def test_only_practice_admins_change_how_their_practice_signs_in(gql, cast, owner_engine):
    """The two-factor policy and single sign-on: CIOs, executives and API keys are refused and change
    nothing; an API key has no account to enrol either."""
    callers = {c.name: c for c in cast.callers}
    before = await digest(owner_engine)
    for role in ("cio_a", "exec_a", "key_a"):
        for name, document in SIGN_IN_SETTINGS.items():
            _, body = await gql.post(document, None, callers[role].token)
            assert {e.get("extensions", {}).get("code") for e in body.get("errors", [])} == {"FORBIDDEN"}, (role, name)
    for document in ("mutation { enrollTotp { secret } }", 'mutation { confirmTotp(input: {code: "123456"}) { __typename } }',
                     'mutation { disableTotp(input: {code: "123456"}) { __typename } }', "{ oidcProvider { issuer } }"):
        _, body = await gql.post(document, None, callers["key_a"].token)
        assert {e.get("extensions", {}).get("code") for e in body.get("errors", [])} == {"FORBIDDEN"}, document
    assert changed(before, await digest(owner_engine)) == []
