"""Secrets at rest: passwords with Argon2id, API keys as SHA-256 of a high-entropy token."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "KEY_PREFIX",
    "generate_api_key",
    "generate_password",
    "hash_api_key",
    "hash_password",
    "verify_password",
]

KEY_PREFIX = "kz_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def generate_api_key() -> str:
    """A 256-bit token; shown once, never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # A 256-bit random key needs no slow hash: SHA-256 cannot be brute-forced here.
    return hashlib.sha256(key.encode()).hexdigest()
