"""Secrets at rest: encrypted with the configured keys, rotatable, never stored in clear."""

import pytest
from cryptography.fernet import Fernet

from apps.core.crypto import DecryptionError, decrypt_text, encrypt_text, reset_key_cache


@pytest.fixture(autouse=True)
def fresh_keys():
    reset_key_cache()
    yield
    reset_key_cache()


def test_it_round_trips_without_keeping_the_plaintext():
    token = encrypt_text("postgresql://etl:s3cret@db/warehouse")

    assert "s3cret" not in token
    assert decrypt_text(token) == "postgresql://etl:s3cret@db/warehouse"


def test_rotation_keeps_old_secrets_readable(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ATRIUM_ENCRYPTION_KEYS = [old_key]
    reset_key_cache()
    token = encrypt_text("s3cret")

    settings.ATRIUM_ENCRYPTION_KEYS = [new_key, old_key]
    reset_key_cache()

    assert decrypt_text(token) == "s3cret"


def test_a_secret_from_another_key_is_refused_with_a_clear_error(settings):
    settings.ATRIUM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    reset_key_cache()
    token = encrypt_text("s3cret")
    settings.ATRIUM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    reset_key_cache()

    with pytest.raises(DecryptionError, match="cannot be decrypted"):
        decrypt_text(token)
