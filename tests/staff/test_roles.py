"""Each role against each screen: allowed pages render, forbidden ones are a 403 page."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.staff.roles import GRANTS, Permission, Role
from tests.staff.conftest import ROLES, Desk, audit_actions

# Each stable address and the permission it needs.
SCREENS = {
    "/staff/": Permission.VIEW,
    "/staff/customers": Permission.VIEW,
    "/staff/leads": Permission.VIEW,
    "/staff/credit/new": Permission.CREDIT,
    "/staff/deals/new": Permission.DEALS,
    "/staff/invoices": Permission.VIEW,
    "/staff/invoices/new": Permission.INVOICE_EDIT,
    "/staff/payments": Permission.VIEW,
    "/staff/configuration": Permission.CONFIGURATION,
    "/staff/audit": Permission.AUDIT,
    "/staff/users": Permission.STAFF,
}

EXPECTED = {
    "manager": set(SCREENS),
    "finance": set(SCREENS) - {"/staff/configuration", "/staff/audit", "/staff/users"},
    "cashier": {
        "/staff/",
        "/staff/customers",
        "/staff/leads",
        "/staff/invoices",
        "/staff/payments",
    },
    "viewer": {"/staff/", "/staff/customers", "/staff/leads", "/staff/invoices", "/staff/payments"},
}


def test_the_role_table_is_the_issue_s() -> None:
    assert GRANTS[Role.CASHIER] == {
        Permission.VIEW,
        Permission.INVOICE_COLLECT,
        Permission.PAYMENT_TAKE,
    }
    assert GRANTS[Role.VIEWER] == {Permission.VIEW}
    assert Permission.CREDIT in GRANTS[Role.FINANCE] and Permission.REFUND in GRANTS[Role.FINANCE]
    assert Permission.CONFIGURATION not in GRANTS[Role.FINANCE]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_screen(app: Any, desk: Desk, role: str) -> None:
    desk.login(role)
    for path in SCREENS:
        response = desk.get(path)
        html = response.get_data(as_text=True)
        if path in EXPECTED[role]:
            assert response.status_code == 200, (role, path, html[:400])
            assert "TEST MODE" in html
        else:
            assert response.status_code == 403, (role, path)
            assert "Not allowed" in html and f"Your role ({role})" in html


def test_every_desk_view_declares_a_permission(app: Any) -> None:
    """A view registered without the desk's ``view`` decorator would skip the role check."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff."):
            fn = app.view_functions[rule.endpoint]
            assert hasattr(fn, "desk_permission"), rule.endpoint
            if rule.endpoint not in ("staff.login", "staff.static"):
                assert fn.desk_permission is not None, rule.endpoint


def test_a_forbidden_get_writes_no_audit_entry(app: Any, desk: Desk) -> None:
    desk.login("viewer")
    before = audit_actions(app, desk.dealer.id, desk.users["viewer"])
    assert desk.get("/staff/audit").status_code == 403
    assert audit_actions(app, desk.dealer.id, desk.users["viewer"]) == before
