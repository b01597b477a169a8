"""The sandbox PEN enforces PEN's rules on its own state, whatever the caller checked first."""

from __future__ import annotations

import secrets

from dealerhub.connectors.pen.base import DealerProfile, SetDealerRequest
from dealerhub.connectors.pen.sandbox import SandboxPen
from dealerhub.connectors.pen.sandbox_models import DEALER_ID_BASE, LOG_ID_BASE, SandboxPenLog

PROFILE = DealerProfile(dealership_name="Harbor Auto", city="Long Beach", state="CA")


def account() -> str:
    return "acct_" + secrets.token_hex(6)


def call(db, acct: str, action: str, pen_id: int, profile: DealerProfile = PROFILE):
    with db.transaction() as s:
        return SandboxPen(s, acct).set_dealer(SetDealerRequest(action, pen_id, profile))


def test_ids_are_issued_and_registrations_persist(db):
    a, b = account(), account()
    first = call(db, a, "REGISTER", 0)
    second = call(db, b, "REGISTER", 0)
    assert first.success and second.success
    assert DEALER_ID_BASE < first.pen_dealer_id < second.pen_dealer_id
    # A new session (another request, another process) sees the registration.
    assert call(db, a, "UPDATE", first.pen_dealer_id).success


def test_a_second_register_on_the_account_is_refused_and_logged(db):
    a = account()
    call(db, a, "REGISTER", 0)
    refused = call(db, a, "REGISTER", 0)
    assert not refused.success and refused.error is not None
    assert refused.error.error_code == "DEALER_ALREADY_REGISTERED"
    with db.transaction() as s:
        log = s.get(SandboxPenLog, int(refused.error.dsi_log_id) - LOG_ID_BASE)
        assert log.account == a and log.success is False and log.action == "REGISTER"


def test_another_accounts_or_an_unknown_id_is_not_found(db):
    a, b = account(), account()
    theirs = call(db, b, "REGISTER", 0).pen_dealer_id
    for pen_id in (theirs, 5, DEALER_ID_BASE + 10**8):
        result = call(db, a, "UPDATE", pen_id)
        assert result.error is not None and result.error.error_code == "DEALER_NOT_FOUND"
    assert call(db, b, "UPDATE", theirs).success


def test_unregistered_dealers_cannot_be_updated_but_the_account_may_register_again(db):
    a = account()
    pen_id = call(db, a, "REGISTER", 0).pen_dealer_id
    assert call(db, a, "UNREGISTER", pen_id, DealerProfile()).success
    for action in ("UPDATE", "UNREGISTER"):
        result = call(db, a, action, pen_id)
        assert result.error is not None and result.error.error_code == "DEALER_NOT_REGISTERED"
    again = call(db, a, "REGISTER", 0)
    assert again.success and again.pen_dealer_id != pen_id
