"""Credit checks: consent rules, the once-a-day rule, the bureau call, masking and audit.

PII (SSN, date of birth, licence number) lives only in encrypted columns and in memory; it is
never logged, never in an event and never in an error message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlmodel import col, update

from dealerhub.audit import record_audit
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorRejected,
    ConnectorUnavailable,
)
from dealerhub.connectors.credit.base import Address, Applicant, CreditBureau, CreditRequest
from dealerhub.credit.errors import ConsentInsufficient, CreditProviderError
from dealerhub.credit.models import CreditCheck
from dealerhub.credit.schemas import CREDIT_CHECK_EVENT
from dealerhub.db import new_id, now
from dealerhub.events.service import record_event
from dealerhub.pagination import paginate
from dealerhub.tenancy import Tenant, get_owned, scoped

CONSENT_MAX_AGE = 30 * 86400
CLOCK_SKEW = 300
REUSABLE = ("completed", "no_hit", "frozen")
_OUTCOME_STATUS = {"hit": "completed", "no_hit": "no_hit", "frozen": "frozen"}
DEFAULT_PURPOSE = {"soft": "written_instruction", "hard": "credit_transaction"}


@dataclass(frozen=True)
class CreditContext:
    """What a pull needs besides the session: who acts, the dedupe key and the bureau
    (built lazily, so a reused result never opens a connection)."""

    actor: str
    hash_key: bytes
    bureau: Callable[[], CreditBureau]


def _check_consent(payload: Mapping[str, Any], at: int) -> None:
    consent = payload["consent"]
    if payload["pull_type"] == "hard" and consent["pull_type"] != "hard":
        raise ConsentInsufficient(
            "A soft-pull consent does not authorise a hard pull; record the applicant's "
            "consent to a hard inquiry.",
            param="consent.pull_type",
        )
    if consent["obtained_at"] > at + CLOCK_SKEW:
        raise ConsentInsufficient(
            "consent.obtained_at is in the future.", param="consent.obtained_at"
        )
    if consent["obtained_at"] < at - CONSENT_MAX_AGE:
        raise ConsentInsufficient(
            "The consent is older than 30 days; obtain it again.", param="consent.obtained_at"
        )


def _applicant(payload: Mapping[str, Any]) -> Applicant:
    return Applicant(
        first_name=payload["first_name"],
        middle_name=payload.get("middle_name"),
        last_name=payload["last_name"],
        suffix=payload.get("suffix"),
        date_of_birth=payload["date_of_birth"].isoformat(),
        social_security_number="".join(c for c in payload["social_security_number"] if c.isdigit()),
        addresses=tuple(
            Address(
                line1=a["line1"],
                line2=a.get("line2"),
                city=a["city"],
                state=a["state"],
                postal_code=a["postal_code"],
                country=a.get("country", "US"),
            )
            for a in payload["addresses"]
        ),
        gender=payload.get("gender"),
        phone_numbers=tuple(payload.get("phone_numbers") or ()),
        occupation=payload.get("occupation"),
        employer=payload.get("employer"),
        driver_license_number=payload.get("driver_license_number"),
    )


def _applicant_hash(key: bytes, a: Applicant) -> str:
    ident = f"{a.social_security_number}|{a.date_of_birth}|{a.last_name.strip().lower()}"
    return hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()


def run_credit_check(
    session: Session,
    tenant: Tenant,
    payload: Mapping[str, Any],
    provider: str,
    ctx: CreditContext,
) -> tuple[CreditCheck, bool]:
    """Pull (or reuse today's pull of) this applicant's report; returns (check, reused)."""
    at = now()
    _check_consent(payload, at)
    pull_type = payload["pull_type"]
    purpose = payload.get("permissible_purpose") or DEFAULT_PURPOSE[pull_type]
    applicant = _applicant(payload)
    digest = _applicant_hash(ctx.hash_key, applicant)
    today = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d")
    _serialize_same_pull(session, tenant, f"{digest}:{pull_type}:{today}:{provider}")
    if not payload.get("force"):
        stmt = (
            scoped(CreditCheck, tenant)
            .where(
                col(CreditCheck.applicant_hash) == digest,
                col(CreditCheck.pull_type) == pull_type,
                col(CreditCheck.pull_date) == today,
                col(CreditCheck.provider) == provider,
                col(CreditCheck.status).in_(REUSABLE),
            )
            .order_by(col(CreditCheck.created).desc())
        )
        existing: CreditCheck | None = session.scalars(stmt).first()
        if existing is not None:
            record_audit(
                session,
                tenant,
                actor=ctx.actor,
                action="credit_check.reused",
                object_id=existing.id,
                permissible_purpose=existing.permissible_purpose,
            )
            return existing, True

    check = CreditCheck(
        id=new_id("cc"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        status="pending",
        provider=provider,
        pull_type=pull_type,
        permissible_purpose=purpose,
        forced=bool(payload.get("force")),
        applicant_hash=digest,
        pull_date=today,
        applicant=json.dumps(_applicant_json(payload)),
        consent=dict(payload["consent"]),
        metadata_=dict(payload.get("metadata") or {}),
    )
    record_audit(
        session,
        tenant,
        actor=ctx.actor,
        action="credit_check.pull",
        object_id=check.id,
        permissible_purpose=purpose,
        details={"pull_type": pull_type, "provider": provider, "forced": check.forced},
    )
    request = CreditRequest(applicant, pull_type, purpose, check.id)
    try:
        report = ctx.bureau().pull(request)
    except ConnectorError as exc:
        _fail(session, tenant, check, exc)
        raise _provider_error(exc, check) from None
    check.status = _OUTCOME_STATUS[report.outcome]
    check.report = json.dumps(
        {
            "consumer": report.consumer,
            "addresses": report.addresses,
            "phones": report.phones,
            "social_security_number": report.social_security_number,
            "trade": report.trade,
            "risk_model": report.risk_model,
        }
    )
    check.raw_response = report.raw or None
    check.score = (report.risk_model or {}).get("score")
    check.completed_at = now()
    session.add(check)
    session.flush()
    record_event(session, tenant, "credit_check.completed", CREDIT_CHECK_EVENT.dump(check))
    return check, False


def _serialize_same_pull(session: Session, tenant: Tenant, key: str) -> None:
    """Two identical pulls at once must not both reach the bureau. SQLite's write transactions
    are serialized already (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock
    on the applicant + pull type + day makes the second wait, then reuse the first's result."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"credit:{tenant.dealer_id}:{tenant.livemode}:{key}".encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": int.from_bytes(digest[:8], "big", signed=True)},
    )


def _applicant_json(payload: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in payload.items() if k not in ("consent", "metadata", "force")}
    data["date_of_birth"] = payload["date_of_birth"].isoformat()
    return data


def _fail(session: Session, tenant: Tenant, check: CreditCheck, exc: ConnectorError) -> None:
    check.status = "failed"
    check.failure_code = exc.vendor_code or type(exc).__name__
    check.failure_message = _safe_message(exc)
    check.completed_at = now()
    session.add(check)
    session.flush()
    record_event(session, tenant, "credit_check.failed", CREDIT_CHECK_EVENT.dump(check))


def _safe_message(exc: ConnectorError) -> str:
    # Connector messages are written by us and never carry request data; still, cap them.
    return exc.message[:300]


def _provider_error(exc: ConnectorError, check: CreditCheck) -> CreditProviderError:
    # A hard pull that timed out may have posted an inquiry at the bureau: never invite a
    # blind retry (a deliberate retry sends force=true after checking with the bureau).
    if isinstance(exc, ConnectorUnavailable):
        timeout = exc.vendor_code == "timeout"
        return CreditProviderError(
            _safe_message(exc),
            status=504 if timeout else 502,
            code="bureau_timeout" if timeout else "bureau_unavailable",
            retryable=check.pull_type == "soft",
            credit_check=check.id,
        )
    code = {
        ConnectorAuthError: "bureau_authentication_failed",
        ConnectorRejected: "bureau_rejected",
    }.get(type(exc), "bureau_response_invalid")
    if exc.vendor_code == "certificate_expired":
        code = "certificate_expired"
    return CreditProviderError(
        _safe_message(exc), status=502, code=code, retryable=False, credit_check=check.id
    )


def _viewed(session: Session, tenant: Tenant, check: CreditCheck, actor: str) -> CreditCheck:
    """Every view of a report is audited with the permissible purpose of its pull."""
    record_audit(
        session,
        tenant,
        actor=actor,
        action="credit_check.view",
        object_id=check.id,
        permissible_purpose=check.permissible_purpose,
    )
    return check


def get_credit_check(session: Session, tenant: Tenant, check_id: str, *, actor: str) -> CreditCheck:
    check = get_owned(session, CreditCheck, check_id, tenant, name="credit_check")
    return _viewed(session, tenant, check, actor)


def list_credit_checks(
    session: Session, tenant: Tenant, args: Mapping[str, Any], *, actor: str
) -> dict[str, Any]:
    stmt = scoped(CreditCheck, tenant)
    if args.get("status"):
        stmt = stmt.where(col(CreditCheck.status) == args["status"])

    def render(check: CreditCheck) -> CreditCheck:
        return _viewed(session, tenant, check, actor)

    return paginate(session, stmt, CreditCheck, args, url="/credit/checks", render=render)


def purge_raw_responses(session: Session, retention_days: int) -> int:
    """Delete raw bureau responses older than the retention window (the parsed, masked report
    stays for adverse-action and audit duties)."""
    cutoff = now() - retention_days * 86400
    result = session.execute(
        update(CreditCheck)
        .where(col(CreditCheck.created) < cutoff, col(CreditCheck.raw_response).is_not(None))
        .values(raw_response=None, raw_purged=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)
