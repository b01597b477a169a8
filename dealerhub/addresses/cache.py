"""The day-long answer cache, per dealer, mode and normalised address.

Verifying the same address again (a customer returning to a checkout form, the desk re-opening
a deal) should neither spend the dealer's USPS quota nor wait on USPS. Inputs that normalise
to the same Publication 28 parts share one entry. Entries are written in a short transaction
of their own: the request that reads them is a read-only GET.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.addresses.models import AddressAnswer
from dealerhub.db import Database, new_id
from dealerhub.tenancy import Tenant, scoped

DAY = 86400


@dataclass(frozen=True)
class CachedAnswer:
    provider: str
    answer: dict[str, Any]


class AnswerCache:
    def __init__(self, db: Database, hash_key: bytes, ttl: int = DAY) -> None:
        self.db = db
        self._hash_key = hash_key
        self.ttl = ttl

    def digest(self, normalised: str) -> str:
        """The row's key: an HMAC, so the table does not reveal which addresses were asked."""
        return hmac.new(self._hash_key, normalised.encode(), hashlib.sha256).hexdigest()

    def get(self, session: Session, tenant: Tenant, digest: str, at: int) -> CachedAnswer | None:
        stmt = scoped(AddressAnswer, tenant).where(
            col(AddressAnswer.input_hash) == digest, col(AddressAnswer.expires_at) > at
        )
        row: AddressAnswer | None = session.scalars(stmt).first()
        if row is None:
            return None
        return CachedAnswer(row.provider, json.loads(row.answer))

    def put(
        self, tenant: Tenant, digest: str, provider: str, answer: dict[str, Any], at: int
    ) -> None:
        """Store (or replace an expired) answer. Two requests that missed at once both
        answer; the second one's insert loses the race and is dropped."""
        try:
            with self.db.transaction() as session:
                session.execute(
                    delete(AddressAnswer).where(
                        col(AddressAnswer.dealer_id) == tenant.dealer_id,
                        col(AddressAnswer.livemode) == tenant.livemode,
                        col(AddressAnswer.input_hash) == digest,
                    )
                )
                session.add(
                    AddressAnswer(
                        id=new_id("addr"),
                        dealer_id=tenant.dealer_id,
                        livemode=tenant.livemode,
                        created=at,
                        input_hash=digest,
                        provider=provider,
                        answer=json.dumps(answer),
                        expires_at=at + self.ttl,
                    )
                )
        except IntegrityError:
            pass


def purge_expired(session: Session, at: int) -> int:
    """Delete answers past their day (the hourly sweep); returns how many."""
    result = session.execute(delete(AddressAnswer).where(col(AddressAnswer.expires_at) <= at))
    return int(getattr(result, "rowcount", 0) or 0)
