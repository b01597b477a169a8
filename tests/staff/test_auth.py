"""Logging in and out, throttling, timeouts, CSRF, cookie flags, the mode switch, 403s."""

from __future__ import annotations

from typing import Any

import pytest
from flask import request
from sqlmodel import select

from dealerhub.staff import desk as desk_module
from dealerhub.staff import service
from dealerhub.staff.models import StaffUser
from tests.staff.conftest import PASSWORD, ROLES, Desk, audit_actions, csrf_token, email

PAGES = (
    "/staff/",
    "/staff/customers",
    "/staff/leads",
    "/staff/credit/new",
    "/staff/deals/new",
    "/staff/invoices",
    "/staff/invoices/new",
    "/staff/payments",
    "/staff/configuration",
    "/staff/audit",
    "/staff/users",
)


def _user(app: Any, user_id: str) -> StaffUser:
    with app.extensions["db"].transaction(write=False) as session:
        row = session.get(StaffUser, user_id)
        assert row is not None
        return row


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_login_when_logged_out(desk: Desk, path: str) -> None:
    response = desk.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


def test_login_page_renders_with_csrf_token(desk: Desk) -> None:
    page = desk.get("/staff/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<label for="email">' in html and '<label for="password">' in html
    assert csrf_token(page)


def test_login_sets_a_secure_httponly_cookie_and_audits(
    app: Any, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    page = desk.get("/staff/login")
    response = desk.client.post(
        "/staff/login?next=/staff/payments",
        data={
            "email": email(desk.dealer, "finance"),
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/payments"
    cookie = response.headers["Set-Cookie"]
    assert "dealerhub_desk=" in cookie
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/staff"):
        assert flag in cookie
    assert ("staff.login", f"staff:{desk.users['finance']}") in audit_actions(app, desk.dealer.id)
    home = desk.get("/staff/").get_data(as_text=True)
    assert email(desk.dealer, "finance") in home and "TEST MODE" in home
    assert _user(app, desk.users["finance"]).last_login_at is not None
    assert PASSWORD not in caplog.text  # the form's password never reaches a log


def test_login_refuses_an_offsite_next(desk: Desk) -> None:
    page = desk.get("/staff/login")
    response = desk.client.post(
        "/staff/login?next=https://evil.example/",
        data={
            "email": email(desk.dealer, "viewer"),
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/staff/"


def test_wrong_password_is_shown_counted_and_audited(app: Any, desk: Desk) -> None:
    token = csrf_token(desk.get("/staff/login"))
    response = desk.client.post(
        "/staff/login",
        data={"email": email(desk.dealer, "viewer"), "password": "wrong", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert _user(app, desk.users["viewer"]).failed_logins == 1
    assert ("staff.login_failed", f"staff:{desk.users['viewer']}") in audit_actions(
        app, desk.dealer.id
    )
    assert desk.get("/staff/").status_code == 302  # still logged out


def test_unknown_email_gets_the_same_answer(desk: Desk) -> None:
    token = csrf_token(desk.get("/staff/login"))
    response = desk.client.post(
        "/staff/login", data={"email": "nobody@example.com", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(app: Any, desk: Desk) -> None:
    token = csrf_token(desk.get("/staff/login"))
    who = email(desk.dealer, "cashier")
    for _ in range(service.MAX_FAILURES):
        desk.client.post("/staff/login", data={"email": who, "password": "no", "csrf_token": token})
    assert _user(app, desk.users["cashier"]).locked_until is not None
    response = desk.client.post(
        "/staff/login", data={"email": who, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(desk: Desk) -> None:
    desk.get("/staff/login")
    response = desk.client.post(
        "/staff/login", data={"email": email(desk.dealer, "manager"), "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert desk.get("/staff/").status_code == 302


def test_post_with_a_wrong_csrf_token_changes_nothing(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = desk.client.post("/staff/mode", data={"mode": "live", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "TEST MODE" in desk.get("/staff/").get_data(as_text=True)


def test_logout_ends_the_session(app: Any, desk: Desk) -> None:
    desk.login("viewer")
    response = desk.post("/staff/logout")
    assert response.status_code == 302
    assert desk.get("/staff/").status_code == 302
    assert ("staff.logout", f"staff:{desk.users['viewer']}") in audit_actions(app, desk.dealer.id)


def test_logout_needs_post(desk: Desk) -> None:
    desk.login("viewer")
    assert desk.get("/staff/logout").status_code == 405
    assert desk.get("/staff/").status_code == 200


def test_mode_switch_is_visible_and_audited(app: Any, desk: Desk) -> None:
    desk.login("cashier")
    response = desk.post("/staff/mode", {"mode": "live", "next": "/staff/"})
    assert response.status_code == 302
    html = desk.get("/staff/").get_data(as_text=True)
    assert "LIVE DATA" in html and "Switch to test data" in html
    assert ("desk.mode_switched", f"staff:{desk.users['cashier']}") in audit_actions(
        app, desk.dealer.id
    )


def test_mode_switch_rejects_unknown_mode(desk: Desk) -> None:
    desk.login("cashier")
    response = desk.post("/staff/mode", {"mode": "staging"})
    assert response.status_code == 400
    assert "mode must be" in response.get_data(as_text=True)


def test_idle_timeout_logs_out(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    desk.login("viewer")
    with desk.client.session_transaction("/staff/") as cookie:
        cookie["seen_at"] -= desk_module.IDLE_TIMEOUT + 1
    response = desk.get("/staff/")
    assert response.status_code == 302
    assert "expired=1" in response.headers["Location"]
    assert desk.get("/staff/").status_code == 302


def test_absolute_timeout_logs_out_an_active_session(desk: Desk) -> None:
    desk.login("viewer")
    with desk.client.session_transaction("/staff/") as cookie:
        cookie["login_at"] -= desk_module.ABSOLUTE_TIMEOUT + 1
    assert desk.get("/staff/").status_code == 302


def test_disabling_a_user_ends_their_session(app: Any, desk: Desk) -> None:
    desk.login("finance")
    with app.extensions["db"].transaction() as session:
        user = service.find_staff(session, desk.users["finance"])
        service.set_disabled(session, user, True, actor="cli:test")
    assert desk.get("/staff/").status_code == 302


def test_password_reset_ends_sessions(app: Any, desk: Desk) -> None:
    desk.login("finance")
    with app.extensions["db"].transaction() as session:
        user = service.find_staff(session, email(desk.dealer, "finance"))
        service.reset_password(session, user, "a brand new pass phrase", actor="cli:test")
    assert desk.get("/staff/").status_code == 302


def test_home_shows_the_nav_the_role_may_use(desk: Desk) -> None:
    html = desk.login("viewer").get("/staff/").get_data(as_text=True)
    assert "Today at the desk" in html
    assert ">Configuration<" not in html and ">Users<" not in html and ">Credit<" not in html


def test_password_hash_is_argon2id(app: Any, desk: Desk) -> None:
    with app.extensions["db"].transaction(write=False) as session:
        rows = session.scalars(select(StaffUser).where(StaffUser.dealer_id == desk.dealer.id))
        assert all(r.password_hash.startswith("$argon2id$") for r in rows)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_can_log_in(desk: Desk, role: str) -> None:
    assert desk.login(role).get("/staff/").status_code == 200


def test_api_requests_open_no_desk_session(app: Any, desk: Desk) -> None:
    """The cookie session belongs to the desk: an API request (even one carrying the desk's
    cookie) gets the null session, and no answer outside /staff sets a cookie."""
    desk.login("manager")
    with app.test_request_context("/payment/payment-intents"):
        opened = app.session_interface.open_session(app, request)
        assert app.session_interface.is_null_session(opened)
    with app.test_request_context("/staff/"):
        opened = app.session_interface.open_session(app, request)
        assert not app.session_interface.is_null_session(opened)
    answer = desk.client.get("/healthz")
    assert "Set-Cookie" not in answer.headers
