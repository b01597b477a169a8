"""The sandbox PEN keeps its "remote" records in our database, so every process sees the same
PEN, as they would share the real one. PEN dealer ids and DSI log ids are issued by the
database (autoincrement), never computed by the caller."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import now
from dealerhub.rows import Row

# Issued ids start here, so a PEN dealer id never looks like a small count or like 0 (which
# means "register me" in a SetDealer request).
DEALER_ID_BASE = 700_000
LOG_ID_BASE = 9_000_000


class SandboxPenDealer(Row, table=True):
    __tablename__ = "pen_sandbox_dealers"
    __table_args__ = (Index("ix_pen_sandbox_dealers_account", "account", "active"),)

    id: int | None = Field(default=None, primary_key=True)  # PEN dealer id - DEALER_ID_BASE
    account: str = Field(max_length=40)  # the PEN partner account (sandbox: our dealer id)
    active: bool = True
    dealership_name: str = Field(max_length=200)
    # The whole SetDealer profile (contact details included), encrypted like any PII.
    profile: str = Field(sa_type=Encrypted)
    created: int = Field(default_factory=now)
    updated: int = Field(default_factory=now)


class SandboxPenLog(Row, table=True):
    """One row per SetDealer call: what PEN's ``DSILogId`` points at."""

    __tablename__ = "pen_sandbox_log"

    id: int | None = Field(default=None, primary_key=True)  # DSI log id - LOG_ID_BASE
    account: str = Field(max_length=40, index=True)
    action: str = Field(max_length=12)
    pen_dealer_id: int
    success: bool
    error_code: str | None = Field(default=None, max_length=60)
    created: int = Field(default_factory=now)
