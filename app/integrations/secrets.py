"""The per-integration secret (Autotask's SecretKey, HaloPSA's Basic-auth password), encrypted at rest.

We must be able to read the secret back (an HMAC is computed with it), so it cannot be stored as
a hash. It is encrypted with keys derived from FCIO_SECRET_KEY using only the standard library:
HMAC-SHA256 as a pseudo-random function in counter mode for the keystream, and a separate
HMAC-SHA256 tag over version, nonce and ciphertext (encrypt-then-MAC). A changed byte, a blob of
another deployment (another FCIO_SECRET_KEY) or a truncated blob fails the tag check.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

VERSION = b"\x01"
NONCE_BYTES = 16
TAG_BYTES = 32


class SecretUnreadable(ValueError):
    """The stored secret does not authenticate under this deployment's FCIO_SECRET_KEY."""


def new_secret() -> str:
    """43 URL-safe characters (256 bits): within Autotask's 64-character SecretKey limit."""
    return secrets.token_urlsafe(32)


def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), b"fcio/integration-secret/" + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest() for counter in range(blocks)
    )[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def encrypt(secret_key: str, plaintext: str) -> bytes:
    data = plaintext.encode()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _xor(data, _keystream(_key(secret_key, b"enc"), nonce, len(data)))
    body = VERSION + nonce + ciphertext
    return body + hmac.new(_key(secret_key, b"mac"), body, hashlib.sha256).digest()


def decrypt(secret_key: str, blob: bytes) -> str:
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != VERSION:
        raise SecretUnreadable("Stored integration secret has an unknown format.")
    body, tag = blob[:-TAG_BYTES], blob[-TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.new(_key(secret_key, b"mac"), body, hashlib.sha256).digest()):
        raise SecretUnreadable("Stored integration secret does not match FCIO_SECRET_KEY.")
    nonce, ciphertext = body[1 : 1 + NONCE_BYTES], body[1 + NONCE_BYTES :]
    return _xor(ciphertext, _keystream(_key(secret_key, b"enc"), nonce, len(ciphertext))).decode()
