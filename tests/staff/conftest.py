"""Desk fixtures: a dealer with one staff user per role, and a client logged in as one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, select

from dealerhub.audit import AuditEntry
from dealerhub.staff import service
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


@pytest.fixture
def staff_users(app: Any, dealer: DealerKeys) -> dict[str, str]:
    with app.extensions["db"].transaction() as session:
        return {
            role: service.create_staff(
                session,
                dealer_id=dealer.id,
                email=email(dealer, role),
                role=role,
                password=PASSWORD,
                actor="cli:test",
            ).id
            for role in ROLES
        }


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
