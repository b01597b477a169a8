"""Field encryption with a MultiFernet key ring, key hashing and masking.

The first key encrypts; every key decrypts, so rotating is: put a new key first, deploy, run
``dealerhub keys rotate-encryption`` (which re-encrypts every :class:`Encrypted` column), then
drop the old key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

MASK = "********"


class KeyRing:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("the encryption key ring needs at least one key")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        return self._fernet.decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)


_keyring: KeyRing | None = None


def configure(keys: Sequence[str]) -> None:
    """Install the process-wide key ring (called by ``create_app``)."""
    global _keyring
    _keyring = KeyRing(keys)


def keyring() -> KeyRing:
    if _keyring is None:
        raise RuntimeError("crypto.configure() has not been called")
    return _keyring


def encrypt_str(value: str) -> str:
    return keyring().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    return keyring().decrypt(token.encode()).decode()


def encrypt_bytes(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return keyring().decrypt(token)


class Encrypted(TypeDecorator[str]):
    """A text column stored as a Fernet token; Python code only ever sees plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt_str(value)


# Extra rotation steps (e.g. encrypted certificate files) registered by areas; each gets the
# session and the app's Settings and returns how many values it re-encrypted.
rotation_hooks: list[Callable[[Session, Any], int]] = []


def rotate_all(session: Session, metadata: Any, settings: Any = None) -> int:
    """Re-encrypt every :class:`Encrypted` column (and registered extras) under the newest key."""
    ring = keyring()
    count = 0
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if not columns:
            continue
        pk = next(iter(table.primary_key.columns))
        for column in columns:
            raw = type_coerce(column, Text)
            rows = session.execute(select(pk, raw).where(column.is_not(None))).all()
            for key, token in rows:
                new = ring.rotate(token.encode()).decode()
                if new != token:
                    session.execute(
                        update(table).where(pk == key).values({column.name: type_coerce(new, Text)})
                    )
                    count += 1
    for hook in rotation_hooks:
        count += hook(session, settings)
    return count


def hash_key(secret: str) -> str:
    """API keys carry 192 bits of randomness, so an unsalted SHA-256 is a safe lookup hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def mask_ssn(ssn: str) -> str:
    digits = re.sub(r"\D", "", ssn)
    return f"***-**-{digits[-4:]}" if len(digits) >= 4 else MASK


def mask_last4(value: str, keep: int = 4) -> str:
    """``****1234``: for card numbers, account numbers, licence numbers."""
    clean = re.sub(r"[\s-]", "", value)
    return "*" * max(len(clean) - keep, 4) + clean[-keep:] if len(clean) > keep else MASK


def mask_date(_value: str) -> str:
    """Dates of birth are shown only as ``****-**-**``; the year alone can identify someone."""
    return "****-**-**"


def mask_key(key: str) -> str:
    """``sk_test_…abcd``: API keys are only ever shown by prefix and last four characters."""
    prefix = key[: key.index("_", 3) + 1] if key.count("_") >= 2 else key[:3]
    return f"{prefix}…{key[-4:]}"


def is_decryptable(token: str) -> bool:
    try:
        decrypt_str(token)
    except InvalidToken:
        return False
    return True
