"""Idempotency-Key storage and replay (Stripe's semantics, kept in the database).

A request with a key first takes an *in-flight lock* on it: on PostgreSQL a transaction-level
advisory lock of the request's own transaction, on SQLite a byte lock on a file next to the
database held by the request. Both end with the request however it ends — the commit, the
rollback, or the death of its process (PostgreSQL drops a vanished client's locks; the kernel
drops a dead process's file locks) — so a concurrent request with the same key gets 409 at
once, and a retry after a crash runs at once rather than waiting for a timeout.

Under the lock the request looks the key up in its own transaction: a stored response is
replayed; otherwise it inserts the record and, after the view, stores its response in the same
transaction, so the work and its recorded result commit together. A rollback or a crash leaves
neither, and the next request with the key runs afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Index, Text, delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import Column, Field, col

from dealerhub.db import Database, new_id, now
from dealerhub.errors import IdempotencyInUse, IdempotencyMismatch, InvalidRequest
from dealerhub.filelock import try_lock_byte
from dealerhub.rows import Row
from dealerhub.tenancy import Tenant


class IdempotencyRecord(Row, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("uq_idempotency_scope", "dealer_id", "livemode", "key", unique=True),)

    id: str = Field(primary_key=True, max_length=40)
    dealer_id: str = Field(max_length=40)
    livemode: bool
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    created: int = Field(default_factory=now, index=True)
    response_status: int | None = None
    response_body: str | None = Field(default=None, sa_column=Column(Text))


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


def fingerprint(key_kind: str, method: str, path: str, query: str, body: bytes) -> str:
    """Hash of what makes two requests "the same": JSON bodies compare by value. The key's
    kind is part of it, so a publishable key that sends a secret key's Idempotency-Key gets
    a mismatch, never the secret-key response stored under it."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (key_kind.encode(), method.encode(), path.encode(), query.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= 255:
        raise InvalidRequest(
            "Idempotency-Key must be between 1 and 255 characters.", param="Idempotency-Key"
        )
    return key


Release = Callable[[], None]


def hold(session: Session, db: Database, tenant: Tenant, key: str) -> Release:
    """Take the in-flight lock on ``key`` for this request, or raise 409 while another request
    holds it. Call the returned function once the request's transaction has ended."""
    digest = hashlib.sha256(f"{tenant.dealer_id}\0{tenant.livemode}\0{key}".encode()).digest()
    if not db.is_sqlite:
        # Ends with the transaction: no release needed.
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        if not session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))):
            raise IdempotencyInUse(param="Idempotency-Key")
        return _nothing
    if db.sqlite_file is None:  # an in-memory database lives and dies with this process
        return _hold_in_process(digest)
    fd = try_lock_byte(Path(f"{db.sqlite_file}.idempotency"), int.from_bytes(digest[:8]) >> 2)
    if fd is None:
        raise IdempotencyInUse(param="Idempotency-Key")
    return lambda: os.close(fd)


def _nothing() -> None:
    pass


_held_in_process: set[bytes] = set()
_held_lock = threading.Lock()


def _hold_in_process(digest: bytes) -> Release:
    with _held_lock:
        if digest in _held_in_process:
            raise IdempotencyInUse(param="Idempotency-Key")
        _held_in_process.add(digest)

    def release() -> None:
        with _held_lock:
            _held_in_process.discard(digest)

    return release


def claim(session: Session, tenant: Tenant, key: str, fp: str) -> IdempotencyRecord | Replay:
    """Under :func:`hold`: the stored response for ``key``, or a new record (added to the
    request's session) that :func:`complete` fills in. Raises 400 on a parameter mismatch."""
    record = session.scalars(
        select(IdempotencyRecord).where(
            col(IdempotencyRecord.dealer_id) == tenant.dealer_id,
            col(IdempotencyRecord.livemode) == tenant.livemode,
            col(IdempotencyRecord.key) == key,
        )
    ).first()
    if record is not None:
        if record.fingerprint != fp:
            raise IdempotencyMismatch(param="Idempotency-Key")
        if record.response_status is not None:
            return Replay(record.response_status, record.response_body or "")
        return record  # written before responses were stored with the work: take it over
    record = IdempotencyRecord(
        id=new_id("idem"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        key=key,
        fingerprint=fp,
        created=now(),
    )
    session.add(record)
    return record


def complete(record: IdempotencyRecord, status: int, body: str) -> None:
    """Store the response (in the request's own transaction, which holds ``record``)."""
    record.response_status = status
    record.response_body = body


def purge_expired(session: Session, ttl_hours: int) -> int:
    cutoff = now() - ttl_hours * 3600
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created) < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
