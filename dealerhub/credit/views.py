"""The masked public view of a credit check, its event snapshot and the adverse-action block."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from dealerhub.connectors.credit.reasons import (
    BUREAU_CONTACT,
    INQUIRIES_CODE,
    MODEL_NAME,
    SCORE_RANGE,
)
from dealerhub.credit.models import CreditCheck
from dealerhub.crypto import mask_date, mask_last4, mask_ssn


def _mask_phone(phone: dict[str, Any]) -> dict[str, Any]:
    digits = re.sub(r"\D", "", str(phone.get("number", "")))
    return {**phone, "number": "***-***-" + digits[-4:] if len(digits) >= 4 else "********"}


def _mask_trade(trade: dict[str, Any]) -> dict[str, Any]:
    number = trade.get("account_number")
    return {**trade, "account_number": mask_last4(number) if number else number}


def adverse_action(check: CreditCheck, risk: dict[str, Any] | None) -> dict[str, Any] | None:
    """What FCRA §615 / ECOA need for a notice: score, range, date, model, up to four key
    factors (five when inquiries is one of them), and the bureau's contact details."""
    if check.status != "completed" or not risk:
        return None
    factors = list(risk.get("score_factor") or [])
    top = factors[:4]
    if INQUIRIES_CODE not in [f.get("code") for f in top] and any(
        f.get("code") == INQUIRIES_CODE for f in factors[4:5]
    ):
        top = factors[:5]
    pulled = dt.datetime.fromtimestamp(check.completed_at or check.created, dt.UTC)
    return {
        "score": risk.get("score"),
        "score_range": dict(SCORE_RANGE),
        "score_date": pulled.strftime("%Y-%m-%d"),
        "model": MODEL_NAME,
        "model_indicator": risk.get("model_indicator"),
        "key_factors": [{"code": f.get("code"), "description": f.get("description")} for f in top],
        "bureau": dict(BUREAU_CONTACT),
        "pull_type": check.pull_type,
    }


def to_dict(check: CreditCheck) -> dict[str, Any]:
    """The public credit_check object: no raw SSN, DOB, licence or account number."""
    report: dict[str, Any] = json.loads(check.report) if check.report else {}
    consumer = dict(report.get("consumer") or {})
    if consumer.get("date_of_birth"):
        consumer["date_of_birth"] = mask_date(consumer["date_of_birth"])
    risk = report.get("risk_model")
    ssn = report.get("social_security_number")
    return {
        "id": check.id,
        "object": "credit_check",
        "created": check.created,
        "livemode": check.livemode,
        "status": check.status,
        "provider": check.provider,
        "pull_type": check.pull_type,
        "permissible_purpose": check.permissible_purpose,
        "forced": check.forced,
        "consumer": consumer,
        "addresses": list(report.get("addresses") or []),
        "phones": [_mask_phone(p) for p in report.get("phones") or []],
        "social_security_number": mask_ssn(ssn) if ssn else None,
        "trade": [_mask_trade(t) for t in report.get("trade") or []],
        "risk_model": risk,
        "adverse_action": adverse_action(check, risk),
        "consent": dict(check.consent),
        "failure_code": check.failure_code,
        "failure_message": check.failure_message,
        "raw_response_retained": check.raw_response is not None,
        "metadata": dict(check.metadata_),
    }


def snapshot(check: CreditCheck) -> dict[str, Any]:
    """Event payload: status and score only, no identity at all."""
    return {
        "id": check.id,
        "object": "credit_check",
        "created": check.created,
        "livemode": check.livemode,
        "status": check.status,
        "provider": check.provider,
        "pull_type": check.pull_type,
        "score": check.score,
        "failure_code": check.failure_code,
    }
