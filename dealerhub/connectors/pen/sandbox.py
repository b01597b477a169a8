"""The sandbox PEN used by test mode, development and tests: a stateful registry of dealers.

Registrations persist (``pen_sandbox_dealers``) and ids are issued by the database. It enforces
PEN's rules by itself, whatever the caller checked first: REGISTER (``penDealerId`` 0) is
refused while the account already has an active dealer; UPDATE and UNREGISTER are refused for
an id that is not this account's, or that was unregistered. Every call is logged
(``pen_sandbox_log``) and its log id is the ``dsi_log_id`` of a refusal.

It writes through the caller's session, so the "remote" change commits or rolls back with the
request that made it (on SQLite a second connection would wait on the request's own write
lock). Fault triggers, by ``dealershipName`` (documented in docs/sandbox.md):

* ``PEN Unavailable`` - PEN answers 503 (nothing happened; retryable).
* ``PEN Timeout``     - no answer (outcome unknown).
* ``PEN Invalid``     - PEN refuses the dealer data (``INVALID_DEALER_DATA``).
"""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.connectors.base import ConnectorOutcomeUnknown, ConnectorUnavailable
from dealerhub.connectors.pen.base import (
    ALREADY_REGISTERED,
    INVALID_DEALER,
    NOT_FOUND,
    NOT_REGISTERED,
    PenError,
    SetDealerRequest,
    SetDealerResult,
)
from dealerhub.connectors.pen.sandbox_models import (
    DEALER_ID_BASE,
    LOG_ID_BASE,
    SandboxPenDealer,
    SandboxPenLog,
)
from dealerhub.db import now

VENDOR = "sandbox_pen"


def _faults(request: SetDealerRequest) -> str | None:
    """Raise or name the sandbox fault ``dealershipName`` asks for."""
    trigger = " ".join((request.profile.dealership_name or "").lower().split())
    if trigger == "pen unavailable":
        raise ConnectorUnavailable(
            "PEN is temporarily unavailable (sandbox trigger 'PEN Unavailable').",
            vendor=VENDOR,
            http_status=503,
            vendor_code="service_unavailable",
        )
    if trigger == "pen timeout":
        raise ConnectorOutcomeUnknown(
            "PEN did not answer in time (sandbox trigger 'PEN Timeout').",
            vendor=VENDOR,
            vendor_code="timeout",
        )
    return INVALID_DEALER if trigger == "pen invalid" else None


class SandboxPen:
    name = "sandbox"

    def __init__(self, session: Session, account: str) -> None:
        self.session = session
        self.account = account

    def set_dealer(self, request: SetDealerRequest) -> SetDealerResult:
        """PEN ``SetDealer``: register (issuing an id), update or unregister a dealer."""
        invalid = _faults(request)
        if invalid:
            return self._refuse(request, invalid, "The dealer data was rejected by PEN.")
        if request.action == "REGISTER":
            return self._register(request)
        dealer = self._dealer(request.pen_dealer_id)
        if dealer is None:
            return self._refuse(
                request,
                NOT_FOUND,
                f"Dealer {request.pen_dealer_id} is not registered to this account.",
            )
        if not dealer.active:
            return self._refuse(
                request, NOT_REGISTERED, f"Dealer {request.pen_dealer_id} is unregistered."
            )
        if request.action == "UNREGISTER":
            dealer.active = False
        else:
            dealer.dealership_name = request.profile.dealership_name or dealer.dealership_name
            dealer.profile = json.dumps(asdict(request.profile))
        dealer.updated = now()
        self.session.add(dealer)
        self._log(request, request.pen_dealer_id, None)
        return SetDealerResult(success=True, pen_dealer_id=request.pen_dealer_id)

    def _register(self, request: SetDealerRequest) -> SetDealerResult:
        active = self.session.scalars(
            select(SandboxPenDealer)
            .where(
                col(SandboxPenDealer.account) == self.account,
                col(SandboxPenDealer.active).is_(True),
            )
            .with_for_update()
        ).first()
        if active is not None:
            return self._refuse(
                request, ALREADY_REGISTERED, "This dealership is already registered with PEN."
            )
        dealer = SandboxPenDealer(
            account=self.account,
            dealership_name=request.profile.dealership_name or "",
            profile=json.dumps(asdict(request.profile)),
        )
        self.session.add(dealer)
        self.session.flush()  # the database issues the id
        issued = DEALER_ID_BASE + int(dealer.id or 0)
        self._log(request, issued, None)
        return SetDealerResult(success=True, pen_dealer_id=issued)

    def _dealer(self, pen_dealer_id: int) -> SandboxPenDealer | None:
        row_id = pen_dealer_id - DEALER_ID_BASE
        if row_id <= 0:
            return None
        return self.session.scalars(
            select(SandboxPenDealer)
            .where(
                col(SandboxPenDealer.id) == row_id, col(SandboxPenDealer.account) == self.account
            )
            .with_for_update()
        ).first()

    def _refuse(self, request: SetDealerRequest, code: str, description: str) -> SetDealerResult:
        log_id = self._log(request, request.pen_dealer_id, code)
        return SetDealerResult(
            success=False,
            pen_dealer_id=request.pen_dealer_id,
            error=PenError(dsi_log_id=str(log_id), description=description, error_code=code),
        )

    def _log(self, request: SetDealerRequest, pen_dealer_id: int, error_code: str | None) -> int:
        entry = SandboxPenLog(
            account=self.account,
            action=request.action,
            pen_dealer_id=pen_dealer_id,
            success=error_code is None,
            error_code=error_code,
        )
        self.session.add(entry)
        self.session.flush()
        return LOG_ID_BASE + int(entry.id or 0)
