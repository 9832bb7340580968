"""Encryption at rest for secrets such as source credentials (Fernet, key rotation with MultiFernet).

Keys come from ATRIUM_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first).
The embedded default derives one key from SECRET_KEY so `make run` needs no setup;
production settings refuse to start without explicit keys.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored secret could not be decrypted with the configured keys."""


@functools.cache
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "ATRIUM_ENCRYPTION_KEYS", []) or [])
    if not keys:
        derived = hashlib.sha256(("atrium-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_text(plaintext: str) -> str:
    """Encrypt `plaintext`; the result is ASCII, safe to store in a TextField."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The stored secret cannot be decrypted with the configured keys.") from exc


def reset_key_cache() -> None:
    """Forget the cached keys (tests that change ATRIUM_ENCRYPTION_KEYS call this)."""
    _fernet.cache_clear()
