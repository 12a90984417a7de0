"""Calendar feed secrets: `/calendar/<secret>.ics`, where the secret is the user's id (32 hex digits)
and an HMAC-SHA256, under FCIO_SECRET_KEY, of that id and the user's `calendar_feed_key`.

Why signed rather than random and hashed like an API key: `calendarFeedUrl` answers the same URL
on every call, so the URL must be derivable, and a derivation needs a key the database does not
hold. Nothing stored is the secret or a hash of it: a dump of the database gives no working URL,
and neither does the server key alone. `resetCalendarFeed` draws a new feed key, which voids
every URL given out before. Changing FCIO_SECRET_KEY voids every feed (as it does every token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.actions import record
from app.auth.principal import Principal
from app.db.scope import set_tenants
from app.errors import Forbidden
from app.settings import Settings
from app.tenants.models import User

ID_LENGTH = 32  # a UUID in hex
MAC_LENGTH = 43  # 32 bytes in unpadded URL-safe base64


def secret(secret_key: str, user_id: uuid.UUID, feed_key: uuid.UUID) -> str:
    mac = hmac.new(secret_key.encode(), f"calendar-feed:{user_id}:{feed_key}".encode(), hashlib.sha256).digest()
    return user_id.hex + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def feed_url(settings: Settings, user_id: uuid.UUID, feed_key: uuid.UUID) -> str:
    return f"{settings.public_url.rstrip('/')}/calendar/{secret(settings.secret_key, user_id, feed_key)}.ics"


def _user_of(actor: Principal) -> uuid.UUID:
    if actor.kind != "user" or actor.id is None:
        raise Forbidden("A calendar feed belongs to a signed-in user; an API key has none.")
    return actor.id


async def viewer_feed_url(session: AsyncSession, settings: Settings, actor: Principal) -> str:
    """The actor's own feed URL (the same on every call until it is reset)."""
    user_id = _user_of(actor)
    feed_key = await session.scalar(select(User.calendar_feed_key).where(User.id == user_id))
    return feed_url(settings, user_id, feed_key)


async def reset_feed(session: AsyncSession, settings: Settings, actor: Principal) -> str:
    """A new feed URL for the actor; the old one answers 404 from now on. Audited under each tenant it sees."""
    user = await session.get(User, _user_of(actor))
    user.calendar_feed_key = uuid.uuid4()
    await session.flush()
    await set_tenants(session, *actor.scope())
    await record(session, actor, actor.tenant_ids, "user.reset_calendar_feed", "User", user.id)
    return feed_url(settings, user.id, user.calendar_feed_key)


async def feed_owner(session: AsyncSession, secret_key: str, value: str) -> uuid.UUID | None:
    """The user whose current feed secret `value` is; None for anything else (malformed, reset, disabled)."""
    if len(value) != ID_LENGTH + MAC_LENGTH:
        return None
    try:
        user_id = uuid.UUID(hex=value[:ID_LENGTH])
    except ValueError:
        return None
    row = (await session.execute(
        select(User.calendar_feed_key).where(User.id == user_id, User.disabled_at.is_(None))
    )).one_or_none()
    if row is None or not hmac.compare_digest(secret(secret_key, user_id, row.calendar_feed_key), value):
        return None
    return user_id
