"""The standards library through GraphQL: every practice's copy of the built-in library, and its admins' edits."""

from __future__ import annotations

from sqlalchemy import select

from app.api import ids
from app.standards.models import LibraryStandard
from app.tenants.models import Role
from tests.apitools import Scene, error_codes, user_error_codes

ERRORS = "userErrors { field code message }"
FIELDS = "id version section title question whyItMatters priority active"
LIST = f"""query($first: Int, $after: String, $section: String) {{ standards(first: $first, after: $after, section: $section) {{
  totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {FIELDS} }} }} }}"""
CREATE = f"mutation($input: CreateStandardInput!) {{ createStandard(input: $input) {{ standard {{ {FIELDS} }} {ERRORS} }} }}"
UPDATE = f"mutation($input: UpdateStandardInput!) {{ updateStandard(input: $input) {{ standard {{ {FIELDS} }} {ERRORS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { ... on Standard { title } } }"
NEW = {"section": "Identity and MFA", "title": "Hardware keys for admins", "question": "Do admins use hardware keys?",
       "whyItMatters": "Admin accounts are the first target.", "priority": "HIGH"}


async def test_every_practice_starts_with_the_whole_built_in_library(api, scene: Scene, world):
    built_in = await api.rows([], select(LibraryStandard.key, LibraryStandard.section))
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)

    mine = await api.data(admin, LIST, {"first": 200})
    theirs = await api.data(await world.user(await world.practice(), Role.PRACTICE_ADMIN), LIST, {"first": 200})

    assert len(built_in) >= 44 and len({r.section for r in built_in}) >= 14
    assert mine["standards"]["totalCount"] == theirs["standards"]["totalCount"] == len(built_in)
    nodes = mine["standards"]["nodes"]
    assert all(n["question"].endswith("?") and n["whyItMatters"] and n["active"] and n["version"] == 1 for n in nodes)
    assert [(n["section"], n["title"]) for n in nodes] == sorted((n["section"], n["title"]) for n in nodes)
    assert not {n["id"] for n in nodes} & {n["id"] for n in theirs["standards"]["nodes"]}
    assert {n["priority"] for n in nodes} == {"HIGH", "MEDIUM", "LOW"}


async def test_the_library_pages_and_filters_by_section_for_cios(api, scene: Scene):
    first = await api.data(scene.cio, LIST, {"first": 2, "section": "Backup and disaster recovery"})
    rest = await api.data(scene.cio, LIST, {"first": 50, "section": "Backup and disaster recovery",
                                            "after": first["standards"]["pageInfo"]["endCursor"]})

    page = first["standards"]
    assert page["pageInfo"]["hasNextPage"] and page["totalCount"] == 4
    titles = [n["title"] for n in page["nodes"] + rest["standards"]["nodes"]]
    assert "Restores are tested" in titles and len(set(titles)) == 4


async def test_executives_and_api_keys_do_not_list_the_library(api, scene: Scene, world):
    assert error_codes(await api.run(scene.executive, LIST, {})) == ["FORBIDDEN"]
    some = (await api.data(scene.cio, LIST, {"first": 1}))["standards"]["nodes"][0]
    assert (await api.data(scene.executive, NODE, {"id": some["id"]}))["node"] is None
    assert (await api.data(scene.cio, NODE, {"id": some["id"]}))["node"] == {"title": some["title"]}
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    key = (await api.mutate(admin, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }",
                            {"name": "PSA"}))["key"]
    assert error_codes(await api.post(LIST, {}, key)) == ["FORBIDDEN"]


async def test_admins_add_edit_and_deactivate_standards(api, scene: Scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)

    created = await api.mutate(admin, CREATE, {**NEW, "title": "  Hardware keys for admins "})
    standard = created["standard"]
    assert created["userErrors"] == [] and standard | {"id": None} == {"id": None, **NEW, "version": 1, "active": True}
    stale = await api.mutate(admin, UPDATE, {"id": standard["id"], "expectedVersion": 1, "active": False, "priority": "LOW"})
    conflict = await api.mutate(admin, UPDATE, {"id": standard["id"], "expectedVersion": 1, "title": "Too late"})
    blank = await api.mutate(admin, UPDATE, {"id": standard["id"], "question": "  "})
    cleared = await api.mutate(admin, UPDATE, {"id": standard["id"], "active": None})

    assert (stale["standard"]["active"], stale["standard"]["priority"], stale["standard"]["version"]) == (False, "LOW", 2)
    assert user_error_codes(conflict) == [("CONFLICT", ["expectedVersion"])]
    assert user_error_codes(blank) == [("INVALID", ["question"])]
    assert user_error_codes(cleared) == [("INVALID", ["active"])]
    listed = await api.data(scene.cio, LIST, {"first": 200, "section": "Identity and MFA"})
    assert {"title": NEW["title"], "active": False} in [{"title": n["title"], "active": n["active"]} for n in listed["standards"]["nodes"]]
    # The library is above tenancy: its history is in every tenant's audit trail.
    assert (await api.audit_actions(scene.tenant))[-2:] == (await api.audit_actions(scene.other))[-2:] == [
        "standard.create", "standard.update"]


async def test_only_admins_edit_and_only_their_own_practices_library(api, scene: Scene, world):
    admin = await world.user(scene.practice, Role.PRACTICE_ADMIN)
    outsider = await world.user(await world.practice(), Role.PRACTICE_ADMIN)
    mine = (await api.mutate(admin, CREATE, NEW))["standard"]

    for user in (scene.cio, scene.executive):
        assert error_codes(await api.run(user, CREATE, {"input": NEW})) == ["FORBIDDEN"]
        assert error_codes(await api.run(user, UPDATE, {"input": {"id": mine["id"], "title": "x"}})) == ["FORBIDDEN"]
    for target in (mine["id"], ids.encode("Standard", ids.decode(mine["id"]).id, scene.tenant.id), "junk"):
        payload = await api.mutate(outsider, UPDATE, {"id": target, "title": "Taken over"})
        assert user_error_codes(payload) == [("NOT_FOUND", ["id"])]
    assert (await api.data(outsider, NODE, {"id": mine["id"]}))["node"] is None
    assert (await api.data(admin, NODE, {"id": mine["id"]}))["node"] == {"title": NEW["title"]}
