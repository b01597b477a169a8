"""Desk fixtures: a dealer with one staff user per role, and a client logged in as one."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, select
from werkzeug.serving import make_server

from dealerhub.audit import AuditEntry
from dealerhub.db import new_id
from dealerhub.staff import passwords
from dealerhub.staff.models import StaffUser
from tests.conftest import DealerKeys

PASSWORD = "correct horse battery staple 42"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Desk:
    client: Any
    dealer: DealerKeys
    users: dict[str, str]  # role -> staff user id
    token: str = ""

    def login(self, role: str) -> Desk:
        self.client = self.client.application.test_client()  # a fresh browser per login
        page = self.client.get("/staff/login")
        self.token = csrf_token(page)
        response = self.client.post(
            "/staff/login",
            data={
                "email": email(self.dealer, role),
                "password": PASSWORD,
                "csrf_token": self.token,
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = csrf_token(self.client.get("/staff/"))
        return self

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)


def csrf_token(response: Any) -> str:
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:500]
    return found.group(1)


def email(dealer: DealerKeys, role: str) -> str:
    return f"{role}@{dealer.id.lower().replace('_', '-')}.example.com"


ROLES = ("manager", "finance", "cashier", "viewer")


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every fixture user: hashing is deliberately slow (~0.2 s)."""
    return passwords.hash_password(PASSWORD)


@pytest.fixture
def staff_users(app: Any, dealer: DealerKeys, password_hash: str) -> dict[str, str]:
    """One user per role (rows written directly with the shared hash; ``create_staff``
    itself is tested in test_cli.py and test_admin.py)."""
    users = {
        role: StaffUser(
            id=new_id("staff"),
            dealer_id=dealer.id,
            email=email(dealer, role),
            role=role,
            password_hash=password_hash,
        )
        for role in ROLES
    }
    with app.extensions["db"].transaction() as session:
        session.add_all(users.values())
    return {role: user.id for role, user in users.items()}


@pytest.fixture
def desk(app: Any, dealer: DealerKeys, staff_users: dict[str, str]) -> Desk:
    """A fresh test client, not logged in; ``desk.login(role)`` logs it in."""
    return Desk(app.test_client(), dealer, staff_users)


def audit_actions(app: Any, dealer_id: str, actor_id: str | None = None) -> list[tuple[str, str]]:
    """(action, actor) of the dealer's audit entries, oldest first."""
    with app.extensions["db"].transaction(write=False) as session:
        stmt = (
            select(AuditEntry)
            .where(col(AuditEntry.dealer_id) == dealer_id)
            .order_by(col(AuditEntry.created), col(AuditEntry.id))
        )
        rows = session.scalars(stmt).all()
        return [
            (r.action, r.actor) for r in rows if actor_id is None or r.actor == f"staff:{actor_id}"
        ]


# --- real-browser tests (tests/staff/browsing.py has the skip and the helpers) ---------------


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    """The app served on 127.0.0.1 in a thread, for the browser."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
