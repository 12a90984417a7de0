"""The requests the bench sends: the clients' own operations, the peer's equivalent, PSA pushes."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import httpx
import orjson

from app.api import ids
from app.bench.actors import Actors
from app.bench.database import PUSH_SOURCE
from app.bench.load import graphql_request
from app.bench.peer import TOP_RISKS as PEER_TOP_RISKS
from app.months import add_months

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { accessToken userErrors { message } } }"


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


COMPUTED = "top risks (no stored answers)"


def dashboard_variables(tenant_id: str, month: dt.date) -> dict:
    """The tenant dashboard's variables: a year of history up to `month` (`tenant_id` a Relay id)."""
    return {"id": tenant_id, "from": f"{add_months(month, -11):%Y-%m}", "to": f"{month:%Y-%m}", "fiscalYear": month.year}


def reads(api: str, computed: str, peer: str | None, actors: Actors, month: dt.date, cio: str, executive: str) -> dict:
    """name -> (url, request maker) of every read path measured; `computed` is an API that stores no answers."""
    bearer = {"authorization": f"Bearer {cio}"}
    dashboard = dashboard_variables(ids.encode("Tenant", actors.dashboard_tenant_id), month)
    paths = {
        "portfolio": (api, graphql_request(operation("portfolio"), {"month": f"{month:%Y-%m}"}, bearer)),
        "top risks": (api, graphql_request(operation("top_risks"), {"first": 200}, bearer)),
        COMPUTED: (computed, graphql_request(operation("top_risks"), {"first": 200}, bearer)),
        "tenant dashboard": (api, graphql_request(operation("tenant_dashboard"), dashboard,
                                                  {"authorization": f"Bearer {executive}"})),
    }
    if peer:
        paths["top risks (peer)"] = (peer, graphql_request(PEER_TOP_RISKS, {"userId": actors.cio_id},
                                                           {"x-tenant-ids": actors.cio_tenant_ids}))
    return paths


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
