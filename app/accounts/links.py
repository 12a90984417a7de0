"""The mailed links' tokens: minted, hashed, consumed once; and the one answer a bad one gets.

A token is 32 random bytes, url-safe; only its SHA-256 is stored, so a copy of the database opens
no account. A token is consumed by one UPDATE that also checks it is unused, not voided and not
expired: two requests racing with the same token cannot both win. Whatever is wrong with a token
(made up, used, voided, expired, malformed), the answer is the same INVALID, and each such answer
counts toward the caller's address limit, as a wrong password does for `login`.
"""

from __future__ import annotations

import hashlib
import secrets
from email.message import EmailMessage
from urllib.parse import urlencode

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import LinkToken
from app.auth import lockout, ratelimit
from app.errors import Invalid, Limit
from app.mail.send import send_message
from app.settings import Settings

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # a minted token is 43 characters; anything much longer is not one
BAD_TOKEN = "This link is not valid (it may have been used, replaced or expired): ask for a new one."
PER_ADDRESS = lockout.PER_ADDRESS  # failed link tokens per client address, as many as failed logins


def mint() -> tuple[str, str]:
    """A new token and the hash that is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url(settings: Settings, page: str, token: str) -> str:
    """`{FCIO_APP_URL}/<page>?token=<token>`: the web client's page that takes the token."""
    return f"{settings.app_url.rstrip('/')}/{page}?{urlencode({'token': token})}"


async def consume(session: AsyncSession, model: type[LinkToken], token: str | None, address: str, redis):
    """The link row of `token`, marked used; INVALID (counted against `address`) for any other token."""
    key = f"link:addr:{address}"
    limit, window = PER_ADDRESS
    wait = await ratelimit.blocked(redis, key, limit)
    if wait:
        raise Limit(f"Too many invalid links. Try again in {wait} seconds.", retry_after=wait)
    row = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        row = (await session.execute(
            update(model)
            .where(model.token_hash == digest(token), model.used_at.is_(None), model.voided_at.is_(None),
                   model.expires_at > func.now())
            .values(used_at=func.now()).returning(model).execution_options(synchronize_session=False))).scalar_one_or_none()
    if row is None:
        await ratelimit.hit(redis, key, limit, window)
        raise Invalid(BAD_TOKEN, ["token"])
    return row


async def mail(settings: Settings, to: str, subject: str, text: str) -> None:
    """Send one link's mail (MailError when not sent: the job retries a temporary failure)."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    await send_message(settings, message)
