"""The report's addresses, and the mailed link's `access` token that opens one without signing in.

A token is `<expiry>.<recipient>.<signature>`: HMAC-SHA256 under the practice's `report_secret`
of the tenant, the month, the recipient's email and the expiry (Unix seconds, 30 days after
issue). The tenant and month are not in the token but in the URL it is appended to, so a token
moved to another tenant's or month's URL fails its signature like a forged one. Giving the
practice a new secret (`rotate_secret`, `fcio report rotate-secret`) voids every link it mailed.

Whom a link reads as: `link_reader`, a client executive of that one tenant, signed in as nobody.
It reads only the report it was issued for (the endpoint takes it for that tenant and month only),
writes nothing (`Principal.can_write_tenant_data` and `can_decide` are false for it) and never
reaches the GraphQL API. The recipient is who the link was mailed to; anyone holding the mail
holds the link, which is why it expires and why rotation voids it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import ids
from app.auth.principal import Principal
from app.db.scope import GENERIC_PLANS
from app.tenants.models import Practice, Role, Tenant, TenantStatus

LINK_DAYS = 30
MAX_TOKEN = 512  # longer is not one of ours: refused before any work
PURPOSE = b"fcio executive report link v1"


def report_path(tenant_id: uuid.UUID, month: dt.date, extension: str) -> str:
    return f"/reports/{ids.encode('Tenant', tenant_id)}/{month:%Y-%m}.{extension}"


def report_url(public_url: str, tenant_id: uuid.UUID, month: dt.date, extension: str, access: str | None = None) -> str:
    """The absolute address; with `access` (a token from `issue`), the mailed link's."""
    url = public_url.rstrip("/") + report_path(tenant_id, month, extension)
    return f"{url}?access={access}" if access else url


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signature(secret: str, tenant_id: uuid.UUID, month: dt.date, recipient: str, expires: int) -> bytes:
    message = b"\n".join([PURPOSE, tenant_id.bytes.hex().encode(), f"{month:%Y-%m}".encode(), recipient.encode(),
                          str(expires).encode()])
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).digest()


def issue(secret: str, tenant_id: uuid.UUID, month: dt.date, recipient: str, now: dt.datetime | None = None) -> str:
    """The `access` token of one tenant's report of `month` for `recipient` (an email), valid LINK_DAYS."""
    recipient = recipient.strip().lower()
    expires = int(((now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=LINK_DAYS)).timestamp())
    return f"{expires}.{b64(recipient.encode())}.{b64(signature(secret, tenant_id, month, recipient, expires))}"


def verify(secret: str, tenant_id: uuid.UUID, month: dt.date, token: str, now: dt.datetime | None = None) -> str | None:
    """The recipient the token was issued to for this tenant and month, or None (forged, altered,
    expired, for another tenant or month, or signed with a secret the practice no longer has)."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        expires_text, recipient_text, mac_text = token.split(".")
        expires, recipient, mac = int(expires_text), unb64(recipient_text).decode(), unb64(mac_text)
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return None
    expected = signature(secret, tenant_id, month, recipient, expires)
    if not hmac.compare_digest(mac, expected):
        return None
    if expires <= (now or dt.datetime.now(dt.UTC)).timestamp():
        return None
    return recipient


def link_reader(practice_id: uuid.UUID, tenant_id: uuid.UUID) -> Principal:
    """Who a valid link reads the report as: a client executive of that one tenant, no user."""
    return Principal("link", None, practice_id, Role.CLIENT_EXECUTIVE, frozenset({tenant_id}))


async def reader(session: AsyncSession, tenant_id: uuid.UUID, month: dt.date, token: str,
                 generic_plans: bool = False) -> Principal | None:
    """The link's reader when `token` opens this tenant's report of `month`; None otherwise,
    whether the tenant is missing, offboarded or the token is not good for it. With `generic_plans`
    the statement sets `scope.GENERIC_PLANS` for the report's transaction too."""
    found = (await session.execute(
        select(Tenant.practice_id, Practice.report_secret, *([GENERIC_PLANS] if generic_plans else [])).join(Practice, Practice.id == Tenant.practice_id)
        .where(Tenant.id == tenant_id, Tenant.status == TenantStatus.ACTIVE)
    )).one_or_none()
    if found is None or verify(found.report_secret, tenant_id, month, token) is None:
        return None
    return link_reader(found.practice_id, tenant_id)


async def secret_of(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    """The report secret of the tenant's practice (to issue links), None for a tenant that does not exist."""
    return await session.scalar(select(Practice.report_secret).join(Tenant, Tenant.practice_id == Practice.id)
                                .where(Tenant.id == tenant_id))


async def rotate_secret(session: AsyncSession, practice_name: str) -> bool:
    """Give the practice a new report secret (256 random bits): every link it mailed stops opening.
    False when no practice has that name."""
    changed = await session.execute(update(Practice).where(Practice.name == practice_name)
                                    .values(report_secret=secrets.token_hex(32)).returning(Practice.id))
    return changed.first() is not None
