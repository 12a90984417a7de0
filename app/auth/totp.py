"""TOTP codes (RFC 6238) and recovery codes: the rules alone, no storage.

SHA-1, 6 digits, 30-second steps: what every authenticator app reads from an `otpauth://` URI
without asking. A code of the step before or after the current one is accepted too (a phone's
clock a little off); a code is taken once: the caller keeps the last accepted step and passes it,
and only later steps are accepted. Recovery codes are 10 single-use random codes, shown once and
stored as sha256 hashes (they carry 50 random bits each, so a fast hash is enough, as for API keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    """160 random bits in base32, RFC 4226's recommended length."""
    return pyotp.random_base32(32)


def uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app scans (as a QR code) or takes pasted."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)


def step_at(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The step `code` is valid for (within the drift, after `last_step`), or None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp, current = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS), step_at(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7m2q-x9p4d` (10 characters of a 31-letter alphabet: about 50 bits each)."""
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_hash(code: str) -> str:
    """The stored form of a recovery code; dashes, spaces and case do not matter when typed."""
    return hashlib.sha256((code or "").strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


def looks_like_code(otp: str) -> bool:
    """A six-digit code (else `otp` is taken for a recovery code)."""
    otp = (otp or "").strip().replace(" ", "")
    return len(otp) == DIGITS and otp.isdigit()
