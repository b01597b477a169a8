"""PEN dealer registration: PEN's ``SetDealer`` behind our refusal rules, the stored
registration, its events and its audit trail.

The rules are checked against the stored registration before PEN is called, because one PEN
partner account may hold many dealers' ids: REGISTER while registered, and UPDATE or
UNREGISTER when not registered or with an id that is not this dealer's, are refused here with
the same codes PEN uses (``dsi_log_id`` null: PEN never saw them). Whatever passes is sent to
PEN, whose own refusals are passed through. Either refusal is an answer (``success:
"Failed"``), not an error, and changes nothing but the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.audit import record_audit
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorOutcomeUnknown,
    ConnectorUnavailable,
)
from dealerhub.connectors.pen.base import (
    ALREADY_REGISTERED,
    ID_MISMATCH,
    NOT_REGISTERED,
    DealerProfile,
    PenError,
    PenNetwork,
    SetDealerRequest,
    SetDealerResult,
)
from dealerhub.db import new_id, now
from dealerhub.events.service import record_event
from dealerhub.pen.errors import PenProviderError
from dealerhub.pen.models import PenRegistration
from dealerhub.pen.registration import get_registration
from dealerhub.pen.schemas import PEN_REGISTRATION
from dealerhub.tenancy import Tenant

EVENTS = {
    "REGISTER": "pen.dealer_registered",
    "UPDATE": "pen.dealer_updated",
    "UNREGISTER": "pen.dealer_unregistered",
}


@dataclass(frozen=True)
class SetDealerOutcome:
    """The ``/set-dealer`` answer, in Hubex's shape."""

    dealer_id: str
    success: str  # "Success" | "Failed"
    error: PenError | None = None


def _profile(payload: Mapping[str, Any], stored: Mapping[str, Any]) -> DealerProfile:
    """The profile to send. PEN's SetDealer replaces the whole dealer record, so an UPDATE
    keeps the stored value of every field it does not send (an explicit null clears it),
    and the two flags are always stated (defaults: daylight saving observed, not a test
    dealer). An UNREGISTER sends only what was given."""
    names = [f.name for f in fields(DealerProfile)]
    values = {name: payload.get(name) for name in names}
    if payload["action"] == "UNREGISTER":
        return DealerProfile(**values)
    if payload["action"] == "UPDATE":
        values.update({name: stored.get(name) for name in names if name not in payload})
    if values["observes_daylight_saving"] is None:
        values["observes_daylight_saving"] = True
    values["is_test_dealer"] = bool(values["is_test_dealer"])
    return DealerProfile(**values)


def local_refusal(
    registration: PenRegistration | None, action: str, pen_dealer_id: int
) -> PenError | None:
    """Why this request may not go to PEN for this dealer, or None."""
    registered = registration is not None and registration.status == "registered"
    if action == "REGISTER":
        if registered:
            return PenError(
                None,
                "This dealer is already registered with PEN; use UPDATE with its penDealerId.",
                ALREADY_REGISTERED,
            )
        return None
    if not registered:
        return PenError(
            None,
            f"This dealer is not registered with PEN; {action} needs a registration.",
            NOT_REGISTERED,
        )
    if registration is not None and registration.pen_dealer_id != pen_dealer_id:
        # Never say whose id it is: another dealer's id and an unknown id read the same.
        return PenError(
            None, f"penDealerId {pen_dealer_id} is not this dealer's PEN id.", ID_MISMATCH
        )
    return None


def set_dealer(
    session: Session,
    tenant: Tenant,
    payload: Mapping[str, Any],
    *,
    pen: Callable[[], PenNetwork],
    actor: str,
) -> SetDealerOutcome:
    """Register, update or unregister the dealer with PEN (``pen`` is built only when PEN is
    really called)."""
    action, pen_dealer_id = payload["action"], int(payload["pen_dealer_id"])
    registration = get_registration(session, tenant, for_update=True)
    refusal = local_refusal(registration, action, pen_dealer_id)
    if refusal is not None:
        _audit(session, tenant, actor, action, pen_dealer_id, registration, refusal)
        return SetDealerOutcome(str(pen_dealer_id), "Failed", refusal)
    stored = json.loads(registration.profile) if registration is not None else {}
    request = SetDealerRequest(action, pen_dealer_id, _profile(payload, stored))
    try:
        result = pen().set_dealer(request)
    except ConnectorError as exc:
        raise _provider_error(exc, action) from None
    if not result.success:
        _audit(session, tenant, actor, action, pen_dealer_id, registration, result.error)
        return SetDealerOutcome(str(result.pen_dealer_id or pen_dealer_id), "Failed", result.error)
    registration = _apply(session, tenant, registration, request, result)
    _audit(session, tenant, actor, action, registration.pen_dealer_id, registration, None)
    record_event(session, tenant, EVENTS[action], PEN_REGISTRATION.dump(registration))
    return SetDealerOutcome(str(registration.pen_dealer_id), "Success")


def _apply(
    session: Session,
    tenant: Tenant,
    registration: PenRegistration | None,
    request: SetDealerRequest,
    result: SetDealerResult,
) -> PenRegistration:
    """Store what PEN confirmed."""
    if request.action == "REGISTER" and result.pen_dealer_id <= 0:
        raise PenProviderError(
            "PEN confirmed the registration but returned no DealerID; ask PEN support before "
            "registering again.",
            code="pen_response_invalid",
            retryable=False,
        )
    if registration is None:
        registration = PenRegistration(
            id=new_id("penreg"),
            dealer_id=tenant.dealer_id,
            livemode=tenant.livemode,
            pen_dealer_id=result.pen_dealer_id,
            status="registered",
            last_action=request.action,
            dealership_name="",
            profile="{}",
        )
    if request.action == "UNREGISTER":
        registration.status = "unregistered"
    else:
        if request.action == "REGISTER":
            registration.pen_dealer_id = result.pen_dealer_id
        registration.status = "registered"
        registration.dealership_name = request.profile.dealership_name or ""
        registration.is_test_dealer = bool(request.profile.is_test_dealer)
        registration.profile = json.dumps(asdict(request.profile))
    registration.last_action = request.action
    registration.last_change = now()
    session.add(registration)
    session.flush()
    return registration


def _audit(
    session: Session,
    tenant: Tenant,
    actor: str,
    action: str,
    pen_dealer_id: int,
    registration: PenRegistration | None,
    error: PenError | None,
) -> None:
    record_audit(
        session,
        tenant,
        actor=actor,
        action=f"pen.set_dealer.{action.lower()}",
        object_id=registration.id if registration is not None else None,
        details={
            "pen_dealer_id": pen_dealer_id,
            "success": error is None,
            "error_code": error.error_code if error else None,
            "dsi_log_id": error.dsi_log_id if error else None,
        },
    )


def _provider_error(exc: ConnectorError, action: str) -> PenProviderError:
    """PEN gave no answer. A REGISTER whose outcome is unknown may have created a dealer at
    PEN: never invite a blind retry of it."""
    message = exc.message[:300]
    if isinstance(exc, ConnectorOutcomeUnknown):
        return PenProviderError(
            message
            + (" Ask PEN support before registering again." if action == "REGISTER" else ""),
            status=504,
            code="pen_timeout",
            retryable=action != "REGISTER",
        )
    if isinstance(exc, ConnectorUnavailable):
        return PenProviderError(message, status=503, code="pen_unavailable", retryable=True)
    if isinstance(exc, ConnectorAuthError):
        return PenProviderError(message, code="pen_authentication_failed", retryable=False)
    return PenProviderError(message, code="pen_request_failed", retryable=False)
