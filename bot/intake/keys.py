"""Intake keys and signatures: a key is shown once and kept only as its hash; each caller also
gets a secret that signs the callbacks sent to them (the Standard Webhooks scheme)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["NewKey", "key_hash", "new_key", "public_id", "sign", "token"]

KEY_PREFIX = "posom_"
SECRET_PREFIX = "whsec_"
HINT_LENGTH = len(KEY_PREFIX) + 6


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key as created: the key and the signing secret are printed once, then only hashed or
    kept for signing."""

    key: str
    hash: str
    hint: str
    signing_secret: str


def key_hash(key: str) -> str:
    """The stored form of a key (or of a session token): SHA-256, hex.

    The keys are 256 random bits, so a fast hash is enough; a slow one would only slow every
    call."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> NewKey:
    """A fresh random key and signing secret."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()
    return NewKey(key, key_hash(key), key[:HINT_LENGTH], secret)


def token() -> str:
    """A random token (session cookie, form token, idempotency key of a page form)."""
    return secrets.token_urlsafe(32)


def public_id() -> str:
    """The id a caller sees for a request: short, random, not guessable from another's."""
    return "r" + secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")


def sign(signing_secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: v1,base64(HMAC-SHA256(secret, "id.timestamp.body"))."""
    secret = base64.b64decode(signing_secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
