"""A practice's OpenID Connect provider: above tenancy, like integrations (looked up by the practice
named in the sign-in URL, before anyone is signed in)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned


class OidcProvider(Versioned, Base):
    __tablename__ = "oidc_providers"

    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True)
    # The issuer identifier: discovery is `{issuer}/.well-known/openid-configuration` and ID tokens
    # must name it exactly in `iss`.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    # Encrypted like the integration secrets (app/integrations/secrets.py); never stored in plain text.
    client_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Lower-cased email domains whose verified addresses may sign in (`example.com`).
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(Text))
