"""Who may call what: checks used by resolvers before they touch data."""

from __future__ import annotations

import uuid

from app.api import ids
from app.api.context import Context
from app.errors import Forbidden, NotFound


def tenant_key(ctx: Context, global_id: str, field: str = "tenantId") -> uuid.UUID:
    """The tenant behind a `Tenant` id the viewer can see; NOT_FOUND for anything else."""
    key = ids.decode_as(global_id, "Tenant")
    if key is None or not ctx.viewer.sees(key.id):
        raise NotFound("Tenant not found.", [field])
    return key.id


def object_key(ctx: Context, global_id: str, type_name: str, field: str = "id") -> ids.Key:
    """A tenant-owned object's key, if its tenant is visible; NOT_FOUND for anything else."""
    key = ids.decode_as(global_id, type_name)
    if key is None or key.tenant_id is None or not ctx.viewer.sees(key.tenant_id):
        raise NotFound(f"{type_name} not found.", [field])
    return key


# An id that does not decode, or names another tenant's object, is passed on as one that does not
# exist (the nil UUID never does): the action answers it after its own checks, as for a missing one.
NO_ID = uuid.UUID(int=0)


def id_in_tenant(global_id: str, type_name: str, tenant_id: uuid.UUID) -> uuid.UUID:
    """An object id of `tenant_id` given beside another of its objects (an initiative's goal, a
    decision's meeting); any other (another tenant's, malformed) is `NO_ID`."""
    found = ids.decode_as(global_id, type_name)
    return found.id if found and found.tenant_id == tenant_id else NO_ID


def staff(viewer) -> bool:
    """A signed-in practice admin or CIO (the compiled portfolio asks this before answering)."""
    return viewer.kind == "user" and viewer.role is not None and viewer.role.value in ("PRACTICE_ADMIN", "CIO")


def require_staff(ctx: Context) -> None:
    """Practice admins and CIOs (the portfolio, audit log)."""
    viewer = ctx.user_viewer()
    if not staff(viewer):
        raise Forbidden("Only practice admins and CIOs may do this.")


def require_admin(ctx: Context) -> None:
    if not ctx.user_viewer().is_admin:
        raise Forbidden("Only practice admins may do this.")
