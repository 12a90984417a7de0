"""Who the monthly run mails the executive report to: the practice's switch and each user's opt-out.

The practice's `reports_enabled` (on by default) is a practice admin's, like the health weights:
off, the monthly run queues nothing for any of its tenants (`sendExecutiveReport` still sends on
request). A user's `report_opt_out` is their own: opted out, a client executive gets no monthly
mail and is left out of `sendExecutiveReport`'s default recipients (named explicitly, they get it).
Both changes are audited under every tenant the actor sees, as other changes above tenancy are.
Each is read back by the one it belongs to: the switch by any signed-in user of the practice
(whether the client's executives get the mail is no secret inside it), the opt-out by its user.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth.principal import Principal
from app.db.scope import set_tenants
from app.errors import Forbidden
from app.tenants.models import Practice, User


async def set_reports_enabled(session: AsyncSession, actor: Principal, enabled: bool) -> bool:
    """Turn the monthly report by mail on or off for the actor's practice (practice admins only)."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins turn the monthly executive report on or off.")
    practice = await session.get(Practice, actor.practice_id)
    before = {"reports_enabled": practice.reports_enabled}
    practice.reports_enabled = enabled
    await session.flush()
    await record(session, actor, actor.tenant_ids, "practice.reports_enabled", "Practice", practice.id, before,
                 {"reports_enabled": enabled})
    return enabled


async def set_report_opt_out(session: AsyncSession, actor: Principal, opt_out: bool) -> bool:
    """The actor's own choice not to get the monthly report by mail (signed-in users only)."""
    if actor.kind != "user" or actor.id is None:
        raise Forbidden("Opting out of the report belongs to a signed-in user; an API key has none.")
    user = await session.get(User, actor.id)
    before = {"report_opt_out": user.report_opt_out}
    user.report_opt_out = opt_out
    await session.flush()
    await set_tenants(session, *actor.scope())
    await record(session, actor, actor.tenant_ids, "user.report_opt_out", "User", user.id, before,
                 {"report_opt_out": opt_out})
    return opt_out


async def reports_enabled(session: AsyncSession, viewer: Principal) -> bool:
    """The viewer's practice's switch, as `set_reports_enabled` leaves it."""
    return await session.scalar(select(Practice.reports_enabled).where(Practice.id == viewer.practice_id))


async def report_opt_out(session: AsyncSession, viewer: Principal) -> bool:
    """The viewer's own opt-out, as `set_report_opt_out` leaves it."""
    return await session.scalar(select(User.report_opt_out).where(User.id == viewer.id))
