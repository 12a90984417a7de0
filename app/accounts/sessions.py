"""Ending a user's sessions: one counter per user, `users.session_generation`.

Every access token carries the generation it was issued at (app/auth/tokens.py) and is good only
while the user's is the same; the check runs where the principal is loaded, on the user row that
statement reads anyway (app/auth/access.py), so it costs no statement and works at once, as a
disabled user's tokens stop. Tokens stay short-lived (FCIO_TOKEN_TTL_SECONDS) and there are no
refresh tokens: a client signs in again, and nothing long-lived is left to steal or to revoke.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth import access
from app.auth.principal import Principal
from app.auth.roster import Rosters
from app.db.scope import set_tenants
from app.tenants.models import User


async def end_sessions(session: AsyncSession, user_id: uuid.UUID, **changes) -> User:
    """Raise the user's generation (with `changes` to the row, e.g. a new password hash): every
    token issued to the user so far stops working. One UPDATE, so concurrent calls each count."""
    return (await session.execute(
        update(User).where(User.id == user_id)
        .values(session_generation=User.session_generation + 1, version=User.version + 1, updated_at=func.now(),
                **changes)
        .returning(User).execution_options(synchronize_session=False, populate_existing=True))).scalar_one()


async def revoke_sessions(session: AsyncSession, actor: Principal) -> None:
    """`revokeSessions`: every token issued to the signed-in user so far, this request's too."""
    await end_sessions(session, actor.id)
    await record(session, actor, actor.tenant_ids, "user.sessions_revoke", "User", actor.id)


async def record_for_account(session: AsyncSession, actor: Principal | None, user_id: uuid.UUID, action: str,
                             after: dict | None = None) -> None:
    """An event of a signed-out flow (a sign-in, an accepted invitation, a reset) in the history of every tenant
    the account reaches, as the account itself unless `actor` says otherwise (the worker). The
    transaction's scope is the account's while recording, then nothing again, as it came."""
    user = await access.user_principal(session, user_id, rosters=Rosters(), scope=True)
    if user is not None:
        await record(session, actor or user, user.tenant_ids, action, "User", user_id, None, after)
    await set_tenants(session, ())


async def enabled_user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email, User.disabled_at.is_(None)))
