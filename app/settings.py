"""One Settings object, read from the environment only (`FCIO_*`, `DATABASE_URL`, `REDIS_URL`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.mail.config import SmtpServer, parse_smtp_url

DEFAULT_SECRET = "dev-secret-change-me-0123456789abcdef"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FCIO_", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    secret_key: str = DEFAULT_SECRET
    data_dir: Path = Path(".fcio")
    # Unset means "start an embedded server under data_dir" (fcio dev and the tests only).
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL"))
    public_url: str = "http://localhost:8000"
    # The web client, where mailed invitation and reset links lead (app/accounts/links.py) and single
    # sign-on ends (`{app_url}/signed-in#token=...`); unset: public_url.
    client_url: str | None = Field(default=None, validation_alias=AliasChoices("FCIO_APP_URL"))
    token_ttl_seconds: int = 3600
    db_pool_size: int = 10
    # Requests in progress at once per API process (app/admission.py); 0: no limit.
    max_requests_in_flight: int = 4
    health_batch_size: int = 500
    api_key_requests_per_minute: int = 600
    # argon2id's cost (app/auth/passwords.py): "cheapest" only for test suites, production refuses it.
    password_hash_profile: Literal["rfc9106-low-memory", "cheapest"] = "rfc9106-low-memory"
    log_level: str = "INFO"
    # Hot read documents answered by one compiled statement (app/api/compiled); off: the executor only.
    compiled_reads: bool = True
    # Their whole answers kept per API process while the tenants' data is unchanged (0: off).
    answer_cache_mb: int = 64
    # Outgoing mail (app/mail/config.py has the format). Unset: `fcio dev` starts an SMTP server of
    # its own that keeps every mail under data_dir/mail; elsewhere sending fails, saying so.
    smtp_url: str | None = None
    # The From of every mail; default "fcio <noreply@host of FCIO_PUBLIC_URL>".
    mail_from: str | None = None
    # Each step of a conversation with the SMTP server (connect, each command) waits this long at most.
    smtp_timeout_seconds: float = 30
    # How long a report delivery waits before each retry after a temporary refusal (4xx, no
    # connection); one try more than there are waits, then FAILED (app/reports/mailing.py). At most
    # 8 waits: the worker lets arq run the job 10 times (workers/main.py), one run spare for a crash.
    report_retry_seconds: list[float] = Field(default=[60, 300, 1500], max_length=8)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (not self.secret_key or self.secret_key == DEFAULT_SECRET):
            raise ValueError(
                "FCIO_SECRET_KEY is unset or the development default; production refuses to start. "
                "Set FCIO_SECRET_KEY to a long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        if self.env == "production" and self.password_hash_profile == "cheapest":
            raise ValueError(
                "FCIO_PASSWORD_HASH_PROFILE=cheapest is for test suites; production refuses to start. "
                "Unset it (the default is rfc9106-low-memory)."
            )
        if len(self.secret_key) < 32:
            raise ValueError("FCIO_SECRET_KEY must be at least 32 characters.")
        if self.smtp_url:
            parse_smtp_url(self.smtp_url)
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def smtp_server(self) -> SmtpServer | None:
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None

    @property
    def app_url(self) -> str:
        return self.client_url or self.public_url

    @property
    def sender(self) -> str:
        return self.mail_from or f"fcio <noreply@{urlsplit(self.public_url).hostname or 'localhost'}>"


@lru_cache
def get_settings() -> Settings:
    return Settings()
