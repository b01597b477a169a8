"""Dealers (tenants) and their API keys."""

from __future__ import annotations

import enum

from sqlmodel import Field

from dealerhub.db import now
from dealerhub.rows import Row


class KeyKind(enum.StrEnum):
    SECRET = "secret"  # noqa: S105 - a key kind, not a credential
    PUBLISHABLE = "publishable"


class Dealer(Row, table=True):
    __tablename__ = "dealers"
    __object_name__ = "account"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    created: int = Field(default_factory=now)


class ApiKey(Row, table=True):
    """An API key, stored only as its SHA-256; ``prefix`` and ``last4`` are for display."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=40)
    dealer_id: str = Field(foreign_key="dealers.id", index=True, max_length=40)
    livemode: bool
    kind: KeyKind
    key_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    last4: str = Field(max_length=4)
    created: int = Field(default_factory=now)
    # Set when the key is rolled: the key keeps working until this time (a grace period).
    expires_at: int | None = None
