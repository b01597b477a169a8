"""The credit check table. Applicant PII, the parsed report and the raw bureau response are
encrypted columns; only non-identifying fields (status, score, dates) are plain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin, metadata_column


class CreditCheck(TenantMixin, table=True):
    __tablename__ = "credit_checks"
    __object_name__ = "credit_check"
    __table_args__ = (
        Index("ix_credit_checks_tenant_created", "dealer_id", "livemode", "created", "id"),
        # The once-a-day rule looks up the same applicant + pull type + day.
        Index(
            "ix_credit_checks_dedupe",
            "dealer_id",
            "livemode",
            "applicant_hash",
            "pull_type",
            "pull_date",
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    status: str = Field(max_length=20)
    provider: str = Field(max_length=40)
    pull_type: str = Field(max_length=10)
    permissible_purpose: str = Field(max_length=60)
    forced: bool = False
    # HMAC of SSN + date of birth + last name: finds repeats without storing them in clear.
    applicant_hash: str = Field(max_length=64)
    pull_date: str = Field(max_length=10)
    applicant: str = Field(sa_type=Encrypted)
    consent: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    report: str | None = Field(default=None, sa_type=Encrypted)
    raw_response: str | None = Field(default=None, sa_type=Encrypted)
    raw_purged: bool = False
    score: int | None = None
    failure_code: str | None = Field(default=None, max_length=80)
    failure_message: str | None = Field(default=None, max_length=500)
    completed_at: int | None = None
    metadata_: dict[str, str] = metadata_column()
