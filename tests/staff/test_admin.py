"""Manager screens: certificate upload, the desk's time zone, staff users, the audit log."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlmodel import select

from dealerhub.configuration.models import Certificate
from dealerhub.staff import service
from dealerhub.staff.models import StaffUser
from tests.configuration.conftest import PASSWORD as P12_PASSWORD
from tests.configuration.pki import client_p12
from tests.conftest import make_dealer
from tests.staff.conftest import PASSWORD, Desk, audit_actions


def certificates(app: Any, dealer_id: str) -> list[Certificate]:
    with app.extensions["db"].transaction(write=False) as session:
        return list(session.scalars(select(Certificate).where(Certificate.dealer_id == dealer_id)))


def upload(desk: Desk, data: bytes, password: str) -> Any:
    return desk.client.post(
        "/staff/configuration/certificate",
        data={"csrf_token": desk.token, "password": password, "file": (io.BytesIO(data), "tu.p12")},
        content_type="multipart/form-data",
    )


def test_manager_uploads_a_certificate(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = upload(desk, client_p12(P12_PASSWORD), P12_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(certificates(app, desk.dealer.id)) == 1
    page = desk.get("/staff/configuration").get_data(as_text=True)
    assert "certificate expires" in page and P12_PASSWORD not in page
    actions = [a for a, _ in audit_actions(app, desk.dealer.id, desk.users["manager"])]
    assert any(a.startswith("configuration.") or a.startswith("certificate") for a in actions)


def test_wrong_certificate_password_is_shown_and_nothing_stored(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = upload(desk, client_p12(P12_PASSWORD), "not-the-password")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html or 'id="file-error"' in html
    assert certificates(app, desk.dealer.id) == []


def test_missing_file_is_a_field_error(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = desk.post("/staff/configuration/certificate", {"password": "x"})
    assert response.status_code == 400
    assert "Choose the .p12 certificate file." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["finance", "cashier", "viewer"])
def test_only_managers_upload_certificates(app: Any, desk: Desk, role: str) -> None:
    desk.login(role)
    assert upload(desk, client_p12(P12_PASSWORD), P12_PASSWORD).status_code == 403
    assert certificates(app, desk.dealer.id) == []


def test_time_zone_changes_how_times_are_shown(app: Any, desk: Desk) -> None:
    desk.login("manager")
    bad = desk.post("/staff/configuration/timezone", {"timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Unknown time zone" in bad.get_data(as_text=True)
    assert (
        desk.post("/staff/configuration/timezone", {"timezone": "America/Chicago"}).status_code
        == 302
    )
    users = desk.get("/staff/users").get_data(as_text=True)
    assert " CST" in users or " CDT" in users
    assert ("desk.timezone_set", f"staff:{desk.users['manager']}") in audit_actions(
        app, desk.dealer.id
    )


def test_manager_adds_disables_and_changes_roles(app: Any, desk: Desk) -> None:
    desk.login("manager")
    address = f"new-{desk.dealer.id[-6:].lower()}@example.com"
    weak = desk.post(
        "/staff/users", {"email": address, "role": "cashier", "password": "password1234"}
    )
    assert weak.status_code == 400 and "too common" in weak.get_data(as_text=True)
    added = desk.post("/staff/users", {"email": address, "role": "cashier", "password": PASSWORD})
    assert added.status_code == 302
    with app.extensions["db"].transaction(write=False) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == address)).one()
        assert (user.dealer_id, user.role) == (desk.dealer.id, "cashier")
    assert (
        desk.post(f"/staff/users/{user.id}", {"action": "role", "role": "finance"}).status_code
        == 302
    )
    assert desk.post(f"/staff/users/{user.id}", {"action": "disable"}).status_code == 302
    with app.extensions["db"].transaction(write=False) as session:
        changed = session.get(StaffUser, user.id)
        assert (changed.role, changed.disabled) == ("finance", True)
    actions = [a for a, _ in audit_actions(app, desk.dealer.id, desk.users["manager"])]
    for action in ("staff_user.created", "staff_user.role_changed", "staff_user.disabled"):
        assert action in actions
    own = desk.post(f"/staff/users/{desk.users['manager']}", {"action": "disable"})
    assert own.status_code == 400 and "cannot disable yourself" in own.get_data(as_text=True)


def test_manager_cannot_touch_another_dealers_staff(app: Any, desk: Desk) -> None:
    other = make_dealer(app, "Other Motors")
    with app.extensions["db"].transaction() as session:
        stranger = service.create_staff(
            session,
            dealer_id=other.id,
            email=f"x-{other.id[-6:].lower()}@example.com",
            role="viewer",
            password=PASSWORD,
            actor="cli:test",
        )
    desk.login("manager")
    assert stranger.email not in desk.get("/staff/users").get_data(as_text=True)
    assert desk.post(f"/staff/users/{stranger.id}", {"action": "disable"}).status_code == 404
    with app.extensions["db"].transaction(write=False) as session:
        assert not session.get(StaffUser, stranger.id).disabled


def test_audit_log_names_the_staff_user(app: Any, desk: Desk) -> None:
    desk.login("finance")
    desk.get("/staff/payments")
    desk.login("manager")
    html = desk.get("/staff/audit").get_data(as_text=True)
    assert "desk.payments_listed" in html
    assert f"finance@{desk.dealer.id.lower().replace('_', '-')}.example.com" in html
    filtered = desk.get(f"/staff/audit?actor=staff:{desk.users['finance']}").get_data(as_text=True)
    assert "desk.payments_listed" in filtered and "desk.audit_viewed" not in filtered
