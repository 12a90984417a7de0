"""`User` and `Role`: the account type, apart from tenants so that areas naming a user (a decision's
`decidedBy`) need not import the tenant module that composes them."""

from __future__ import annotations

import strawberry

from app.api import ids
from app.api.node import Node, from_row
from app.tenants.models import Role as RoleModel

Role = strawberry.enum(RoleModel, name="Role")


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: Role
    totp_enabled: bool = strawberry.field(description="Two-factor sign-in is in force: every login needs `otp`.")


def user_node(row) -> User:
    return from_row(User, row, id=ids.encode("User", row.id), totp_enabled=row.totp_enabled_at is not None)
