"""Invitations: a practice admin names an address, a role and tenants; the invitee sets a password.

`invite_user` stores the invitation (the address's earlier ones in the practice voided) and, after
the commit, enqueues the job that mints the token and mails the link (`mail_invitation`, run by
the worker), so the token exists only in the mail and as a hash, never in the queue. Mailing again
(a retry) mints a new token, which voids the one mailed before. `accept_invitation` consumes the
token once and creates the user, or gives a disabled user of the practice the account back, with
the role and tenants the invitation named, and signs them in.

An address with an account in another practice is invited like any other (the inviting admin
learns nothing about other practices); accepting then says the address is taken.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import validation as v
from app.accounts import links
from app.accounts.models import Invitation
from app.accounts.sessions import end_sessions, record_for_account
from app.audit.actions import record
from app.auth import ratelimit
from app.auth.login import token_for_new_password
from app.auth.passwords import check_password, hash_password
from app.auth.principal import Principal
from app.db.queue import session_queue
from app.db.scope import after_commit, tenant_session
from app.errors import Conflict, Forbidden, Invalid, Limit
from app.services import Services
from app.settings import Settings
from app.tenants.actions import create_user, require_practice_tenants
from app.tenants.models import Grant, Practice, Role, Tenant, User

MAIL_INVITATION = "mail_invitation"  # (invitation_id: str), workers/main.py
LIFETIME = dt.timedelta(hours=72)
PER_INVITEE = (10, 3600)  # invitations to one address, window in seconds: no mail bombing through us
PAGE = "accept-invitation"


def job_id(invitation_id: uuid.UUID) -> str:
    return f"invitation:{invitation_id}"


async def invite_user(session: AsyncSession, redis, actor: Principal, *, email: str, name: str, role: Role,
                      tenant_ids: list[uuid.UUID]) -> Invitation:
    """Invite `email` to the admin's practice (see the module's text)."""
    if not actor.is_admin:
        raise Forbidden("Only practice admins invite users.")
    email, name = v.email(email), v.text(name, "name")
    tenant_ids = [] if role == Role.PRACTICE_ADMIN else sorted(set(tenant_ids))  # admins see the whole practice
    if role == Role.CLIENT_EXECUTIVE and len(tenant_ids) != 1:
        raise Invalid("A client executive is granted exactly one tenant.", ["tenantIds"])
    await require_practice_tenants(session, actor.practice_id, tenant_ids)
    member = await session.scalar(select(User.id).where(User.email == email, User.practice_id == actor.practice_id,
                                                        User.disabled_at.is_(None)))
    if member:
        raise Conflict("This address already has an account in the practice: it can sign in, or reset its password.",
                       ["email"])
    wait = await ratelimit.hit(redis, f"invite:email:{email}", *PER_INVITEE)
    if wait:
        raise Limit(f"Too many invitations to this address. Try again in {wait} seconds.", ["email"], retry_after=wait)
    voided = list(await session.scalars(
        update(Invitation).where(Invitation.practice_id == actor.practice_id, Invitation.email == email,
                                 Invitation.used_at.is_(None), Invitation.voided_at.is_(None))
        .values(voided_at=func.now()).returning(Invitation.id).execution_options(synchronize_session=False)))
    invitation = Invitation(practice_id=actor.practice_id, email=email, name=name, role=role,
                            tenant_ids=tenant_ids, invited_by=actor.id,
                            expires_at=dt.datetime.now(dt.UTC) + LIFETIME)
    session.add(invitation)
    await session.flush()
    await record(session, actor, tenant_ids or actor.tenant_ids, "invitation.create", "Invitation", invitation.id,
                 None, {"email": email, "role": role.value, "tenant_ids": [str(t) for t in tenant_ids],
                        "invited_by": str(actor.id), "voids": [str(i) for i in voided]})
    queue = session_queue(session)
    if queue is not None:
        async def enqueue() -> None:
            await queue.enqueue_job(MAIL_INVITATION, str(invitation.id), _job_id=job_id(invitation.id))

        after_commit(session, enqueue)
    return invitation


async def mail_invitation(services: Services, invitation_id: uuid.UUID) -> bool:
    """Mint the token of a pending invitation and mail its link; False when it is no longer pending.

    The token's hash is committed before the mail goes: a link that arrives always works.
    MailError propagates (the job retries a temporary one)."""
    settings = services.settings
    async with tenant_session(services.sessionmaker, ()) as session:
        token, digest = links.mint()
        pending = (await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used_at.is_(None), Invitation.voided_at.is_(None),
                   Invitation.expires_at > func.now())
            .values(token_hash=digest).returning(Invitation.email, Invitation.name, Invitation.expires_at,
                                                  Practice.name.label("practice"))
            .where(Practice.id == Invitation.practice_id))).one_or_none()
    if pending is None:
        return False
    await links.mail(settings, pending.email, f"You are invited to {pending.practice} on fcio", (
        f"Hello {pending.name},\n\n{pending.practice} invites you to fcio. Choose your password here "
        f"(the link works once, until {pending.expires_at:%Y-%m-%d %H:%M} UTC):\n{links.url(settings, PAGE, token)}\n\n"
        "If you did not expect this, ignore this mail.\n"))
    return True


async def accept_invitation(session: AsyncSession, redis, settings: Settings, token: str, password: str,
                            address: str) -> tuple[str | None, User]:
    """`acceptInvitation`: the invitee's account with the invitation's role and tenants, and a token."""
    check_password(password)
    invitation = await links.consume(session, Invitation, token, address, redis)
    user = await joined(session, invitation, password)
    return await token_for_new_password(session, settings, user), user


async def join_by_sign_on(session: AsyncSession, practice_id: uuid.UUID, email: str) -> User | None:
    """The account a live invitation of `email` to the practice names, made now (the invitation is
    used, as by its link), for a first single sign-on; None without one. Its password is random:
    the identity provider vouches for the invitee, and a reset gives them one if they want it."""
    invitation = (await session.execute(
        update(Invitation)
        .where(Invitation.practice_id == practice_id, Invitation.email == email, Invitation.used_at.is_(None),
               Invitation.voided_at.is_(None), Invitation.expires_at > func.now())
        .values(used_at=func.now()).returning(Invitation).execution_options(synchronize_session=False))).scalar_one_or_none()
    return None if invitation is None else await joined(session, invitation, secrets.token_urlsafe(32))


async def joined(session: AsyncSession, invitation: Invitation, password: str) -> User:
    """The invitee's account with the invitation's role and tenants and `password`, audited."""
    user = await session.scalar(select(User).where(User.email == invitation.email))
    if user is not None and user.practice_id != invitation.practice_id:
        raise Conflict("This address already has an account with another practice: sign in there.", ["token"])
    if user is not None and user.disabled_at is None:
        raise Conflict("This address already has an account: sign in, or reset its password.", ["token"])
    # Tenants deleted since the invitation are left out; an offboarded one is granted, and not seen.
    tenant_ids = list(await session.scalars(select(Tenant.id).where(
        Tenant.practice_id == invitation.practice_id, Tenant.id.in_(invitation.tenant_ids))))
    if user is None:
        user = await create_user(session, invitation.practice_id, email=invitation.email, name=invitation.name,
                                 password=password, role=invitation.role, tenant_ids=tenant_ids)
    else:  # a disabled account of the practice comes back as invited; its old tokens stay dead
        await session.execute(delete(Grant).where(Grant.user_id == user.id).returning(Grant.tenant_id))
        user = await end_sessions(session, user.id, name=invitation.name, role=invitation.role,
                                  password_hash=hash_password(password), disabled_at=None)
        session.add_all(Grant(user_id=user.id, tenant_id=t) for t in tenant_ids)
        await session.flush()
    await record_for_account(session, None, user.id, "invitation.accept",
                             {"invitation_id": str(invitation.id), "email": user.email, "role": user.role.value,
                              "invited_by": str(invitation.invited_by) if invitation.invited_by else None})
    return user
