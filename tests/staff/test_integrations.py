"""Configuration's plumbing screens: webhook deliveries with retry, DMS dead letters with
replay (manager only)."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.dms.models import Lead
from tests.dms.conftest import post_lead
from tests.staff.conftest import Desk, audit_actions


def dead_lead(app: Any, api: Any) -> str:
    lead = post_lead(api).get_json()
    with app.extensions["db"].transaction() as session:
        row = session.get(Lead, lead["id"])
        row.sync_status, row.sync_attempts, row.sync_last_error = "dead", 8, "DMS said no"
    return str(lead["id"])


def test_dead_letter_is_listed_and_replayed(app: Any, api: Any, desk: Desk) -> None:
    lead_id = dead_lead(app, api)
    desk.login("manager")
    page = desk.get("/staff/configuration/dms").get_data(as_text=True)
    assert lead_id in page and "DMS said no" in page
    response = desk.post(f"/staff/configuration/dms/{lead_id}/replay")
    assert response.status_code == 302
    with app.extensions["db"].transaction(write=False) as session:
        row = session.get(Lead, lead_id)
        assert row.sync_status != "dead" and row.sync_last_error != "DMS said no"
    assert ("dms.replayed", f"staff:{desk.users['manager']}") in audit_actions(app, desk.dealer.id)
    again = desk.post(f"/staff/configuration/dms/{lead_id}/replay")
    assert again.status_code == 400
    assert "Only dead records can be replayed" in again.get_data(as_text=True)


@pytest.mark.parametrize("role", ["finance", "cashier", "viewer"])
def test_dead_letters_are_manager_only(app: Any, api: Any, desk: Desk, role: str) -> None:
    lead_id = dead_lead(app, api)
    desk.login(role)
    assert desk.get("/staff/configuration/dms").status_code == 403
    assert desk.post(f"/staff/configuration/dms/{lead_id}/replay").status_code == 403
    with app.extensions["db"].transaction(write=False) as session:
        assert session.get(Lead, lead_id).sync_status == "dead"


def test_webhooks_page_and_retry_of_an_unknown_event(app: Any, desk: Desk) -> None:
    desk.login("manager")
    page = desk.get("/staff/configuration/webhooks")
    assert page.status_code == 200 and "Recent deliveries" in page.get_data(as_text=True)
    missing = desk.post("/staff/configuration/webhooks/events/evt_nope/retry")
    assert missing.status_code == 404
    assert "evt_nope" in missing.get_data(as_text=True)
    desk.login("finance")
    assert desk.get("/staff/configuration/webhooks").status_code == 403
