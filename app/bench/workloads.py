"""The requests the bench sends: the clients' own operations, the peer's equivalent, PSA pushes."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson

from app.api import ids
from app.bench.actors import SMALL_CIO_TENANTS, Actors
from app.bench.database import PUSH_SOURCE, Size
from app.bench.load import graphql_request
from app.bench.peer import TOP_RISKS as PEER_TOP_RISKS
from app.months import add_months
from app.reports.formats import FORMATS
from app.reports.links import report_path

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { accessToken userErrors { message } } }"
# What a caller of any scope asks for on every page: who am I, and the first page of its clients.
ME = "query Me { me { id email role } }"
TENANT_PAGE = ("query TenantPage { tenants(first: 20) { totalCount pageInfo { hasNextPage endCursor } "
               "nodes { id name slug industry employeeCount } } }")


def operation(name: str, which: str | None = None) -> str:
    """A documented operation; `which` (e.g. "query RiskRegister") picks one of several in the file."""
    text = (OPERATIONS / f"{name}.graphql").read_text()
    if which is None:
        return text
    start = text.index(which)
    end = min((i for i in (text.find("\nquery ", start + 1), text.find("\nmutation ", start + 1)) if i > 0), default=len(text))
    return text[start:end]


def login_body(email: str, password: str) -> bytes:
    return orjson.dumps({"query": LOGIN, "variables": {"input": {"email": email, "password": password}}})


def login(url: str, email: str, password: str) -> str:
    answer = httpx.post(url, content=login_body(email, password), headers={"content-type": "application/json"}).json()
    token = answer["data"]["login"]["accessToken"]
    if not token:
        raise SystemExit(f"bench login as {email} failed: {answer}")
    return token


OURS = "top risks"  # the peer workload on our API as production serves it
COMPUTED = "top risks (no stored answers)"
PEER = "top risks (peer)"
SCOPED = ("me", "tenant dashboard", "tenant page")  # read by a 10-tenant CIO and by the bench practice's admin
HTTP_FLOOR = "healthz (no database, no token)"  # the API's bare answer: the floor of every path


def get_request(_i: int) -> tuple[None, dict]:
    """A GET with no headers of its own (load.run sends a GET for a None body)."""
    return None, {}


def portfolio_path(tenants: int, executor: bool = False) -> str:
    return f"portfolio, {tenants:,} tenants" + (" (executor)" if executor else "")


def callers(size: Size) -> tuple[str, str]:
    """The two callers the scoped reads compare: a CIO of 10 tenants and the admin of all of them."""
    return f"{SMALL_CIO_TENANTS}-tenant CIO", f"{size.tenants:,}-tenant admin"


def scoped_path(read: str, caller: str) -> str:
    return f"{read}, {caller}"


def dashboard_variables(tenant_id: str, month: dt.date) -> dict:
    """The tenant dashboard's variables: a year of history up to `month` (`tenant_id` a Relay id)."""
    return {"id": tenant_id, "from": f"{add_months(month, -11):%Y-%m}", "to": f"{month:%Y-%m}", "fiscalYear": month.year}


def top_risks() -> tuple[str, dict]:
    """The CIO's top risks: every granted tenant with its latest score and five worst risks."""
    return operation("top_risks"), {"first": 200}


def tenant_dashboard(actors: Actors, month: dt.date) -> tuple[str, dict]:
    """The dashboard of the client executive's tenant, a year up to `month`."""
    return operation("tenant_dashboard"), dashboard_variables(ids.encode("Tenant", actors.dashboard_tenant_id), month)


def headline_reads(actors: Actors, month: dt.date, token: Callable[[str], str]) -> dict:
    """name -> request maker of the two reads every comparison of servers starts with: top risks
    (as the CIO) and the tenant dashboard (as its client executive)."""
    return {"top risks": as_user(token, actors.cio_email, *top_risks()),
            "tenant dashboard": as_user(token, actors.executive_email, *tenant_dashboard(actors, month))}


def as_user(token: Callable[[str], str], email: str, query: str, variables: dict | None):
    return graphql_request(query, variables, {"authorization": f"Bearer {token(email)}"})


def reads(actors: Actors, size: Size, month: dt.date, token: Callable[[str], str], peer: bool) -> dict:
    """name -> (server, request maker) of every read path measured. The server is one of the API
    processes (`processes.API_SERVERS`: `computed` stores no answers, `executor` compiles none) or
    the peer; `token(email)` is a bearer token of that user."""

    def request(server: str, query: str, variables: dict | None, email: str) -> tuple:
        return server, as_user(token, email, query, variables)

    dashboard = tenant_dashboard(actors, month)
    portfolio = operation("portfolio"), {"month": f"{month:%Y-%m}"}
    small, large = size.portfolios
    headline = headline_reads(actors, month, token)
    paths = {
        "top risks": ("api", headline["top risks"]),
        COMPUTED: request("computed", *top_risks(), actors.cio_email),
        "tenant dashboard": ("api", headline["tenant dashboard"]),
        portfolio_path(small): request("computed", *portfolio, actors.portfolio_admin(small).email),
        portfolio_path(small, executor=True): request("executor", *portfolio, actors.portfolio_admin(small).email),
        portfolio_path(large): request("computed", *portfolio, actors.portfolio_admin(large).email),
    }
    scoped = dict(zip(SCOPED, ((ME, None), dashboard, (TENANT_PAGE, None)), strict=True))
    for caller, email in zip(callers(size), (actors.small_cio_email, actors.admin_email), strict=True):
        for read, (query, variables) in scoped.items():
            paths[scoped_path(read, caller)] = request("computed", query, variables, email)
    if peer:
        paths[PEER] = "peer", graphql_request(PEER_TOP_RISKS, {"userId": actors.cio_id}, {"x-tenant-ids": actors.cio_tenant_ids})
    return paths


REPORT = "executive report"


def report_name(extension: str) -> str:
    return f"{REPORT}, {extension}"


def reports(actors: Actors, month: dt.date, token: Callable[[str], str]) -> dict:
    """name -> (path, request maker) of the executive report in every format served: the dashboard
    tenant's report of `month`, read by its executive (who reads its dashboard), a GET each."""
    headers = {"authorization": f"Bearer {token(actors.executive_email)}"}
    return {report_name(extension): (report_path(actors.dashboard_tenant_id, month, extension), lambda _i: (None, headers))
            for extension in FORMATS}


def same_top_risks(ours: dict, theirs: dict) -> bool:
    """Both answers hold the same tenants, scores and risks (ids are encoded differently)."""
    def risk(r):
        return (r["title"], r["score"], r["status"])

    mine = sorted(
        (e["node"]["name"], e["node"]["health"]["score"], e["node"]["health"]["month"][:7],
         tuple(risk(x["node"]) for x in e["node"]["risks"]["edges"]))
        for e in ours["data"]["tenants"]["edges"]
    )
    peer = sorted(
        (g["tenant"]["name"], g["tenant"]["health"][0]["score"], g["tenant"]["health"][0]["month"][:7],
         tuple(risk(x) for x in g["tenant"]["risks"]))
        for g in theirs["data"]["allGrantsList"]
    )
    return mine == peer


def ticket_push(api_keys: list[str], tenant_id: str, month: dt.date, run: str, tickets: int):
    """ingestTickets with `tickets` new tickets in `month` a call (`tenant_id` a Relay id), the keys taking turns."""
    query = operation("psa_ticket_push")
    categories = ("SUPPORT", "CHANGE", "ALERT")

    def make(i: int) -> tuple[bytes, dict]:
        batch = [
            {"externalId": f"{run}-{i}-{n}", "category": categories[n % 3], "priority": "P3",
             "title": f"Bench ticket {n}", "openedAt": f"{month:%Y-%m}-{n % 28 + 1:02d}T09:00:00Z"}
            for n in range(tickets)
        ]
        headers = {"content-type": "application/json", "authorization": f"Bearer {api_keys[i % len(api_keys)]}"}
        variables = {"input": {"tenantId": tenant_id, "source": PUSH_SOURCE, "tickets": batch}}
        return orjson.dumps({"query": query, "variables": variables}), headers

    return make


def webhook_request(secret: str, month: dt.date, run: str):
    """A HaloPSA ticket update in `month` with HTTP Basic credentials, a new delivery each time."""
    auth = "Basic " + base64.b64encode(f"halo:{secret}".encode()).decode()
    headers = {"content-type": "application/json", "authorization": auth}

    def make(i: int) -> tuple[bytes, dict]:
        stamp = f"{month:%Y-%m}-15T10:00:00Z"
        return orjson.dumps({
            "webhook_id": f"bench-{run}", "event": "Ticket Updated", "object_id": i, "timestamp": stamp,
            "ticket": {"id": f"{run}-{i}", "summary": "Disk space low", "tickettype_id": 3, "tickettype_name": "Alert",
                       "dateoccurred": stamp, "datecleared": "0001-01-01T00:00:00", "lastactiondate": stamp},
        }), headers

    return make
