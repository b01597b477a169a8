"""Idempotency-Key storage and replay (Stripe's semantics, kept in the database).

The key is claimed in its own short transaction, so a concurrent request with the same key
sees it at once (409). The stored response is written in the *request's* transaction, so the
work and its recorded result commit together: a crash in between leaves neither, and a stale
claim (older than ``STALE_AFTER``) may then be taken over by a retry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Index, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import Column, Field, col

from dealerhub.db import Database, new_id, now
from dealerhub.errors import IdempotencyInUse, IdempotencyMismatch, InvalidRequest
from dealerhub.rows import Row
from dealerhub.tenancy import Tenant

STALE_AFTER = 300  # seconds; longer than any request may run (gunicorn's timeout is 120 s)


class IdempotencyRecord(Row, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("uq_idempotency_scope", "dealer_id", "livemode", "key", unique=True),)

    id: str = Field(primary_key=True, max_length=40)
    dealer_id: str = Field(max_length=40)
    livemode: bool
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    created: int = Field(default_factory=now, index=True)
    locked_at: int | None = None
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


def claim(db: Database, tenant: Tenant, key: str, fp: str) -> str | Replay:
    """Claim ``key`` for this request (returns the record id) or return the stored response.

    Raises 400 on a parameter mismatch and 409 while another request holds the key.
    """
    record_id = new_id("idem")
    try:
        with db.transaction() as session:
            session.add(
                IdempotencyRecord(
                    id=record_id,
                    dealer_id=tenant.dealer_id,
                    livemode=tenant.livemode,
                    key=key,
                    fingerprint=fp,
                    created=now(),
                    locked_at=now(),
                )
            )
        return record_id
    except IntegrityError:
        pass
    with db.transaction() as session:
        record = session.scalars(
            select(IdempotencyRecord)
            .where(
                col(IdempotencyRecord.dealer_id) == tenant.dealer_id,
                col(IdempotencyRecord.livemode) == tenant.livemode,
                col(IdempotencyRecord.key) == key,
            )
            .with_for_update()
        ).one()
        if record.fingerprint != fp:
            raise IdempotencyMismatch(param="Idempotency-Key")
        if record.response_status is not None:
            return Replay(record.response_status, record.response_body or "")
        if record.locked_at is not None and record.locked_at > now() - STALE_AFTER:
            raise IdempotencyInUse(param="Idempotency-Key")
        record.locked_at = now()  # the first holder died: take the key over
        return record.id


def complete(session: Session, record_id: str, status: int, body: str) -> None:
    """Store the response in the request's own transaction."""
    record = session.get(IdempotencyRecord, record_id)
    if record is not None:
        record.response_status = status
        record.response_body = body
        record.locked_at = None


def release(db: Database, record_id: str) -> None:
    """Forget a claim whose request never ran (auth or validation failed before work began)."""
    with db.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id))


def purge_expired(session: Session, ttl_hours: int) -> int:
    cutoff = now() - ttl_hours * 3600
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created) < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
