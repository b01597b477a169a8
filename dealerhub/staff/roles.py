"""Who may do what at the desk: the one table every view and action checks on the server."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    MANAGER = "manager"
    FINANCE = "finance"
    CASHIER = "cashier"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    VIEW = "view"  # customers, leads, payments, invoices (no credit data)
    CREDIT = "credit"  # run a credit check, see reports and adverse-action notices
    DEALS = "deals"  # desk a deal, push it to the DMS
    INVOICE_EDIT = "invoice_edit"  # create and void invoices
    INVOICE_COLLECT = "invoice_collect"  # send an invoice, mark it paid at the desk
    PAYMENT_TAKE = "payment_take"  # capture a payment
    REFUND = "refund"
    CONFIGURATION = "configuration"  # integrations, certificates, gateways, webhooks, DMS
    STAFF = "staff"  # staff accounts
    AUDIT = "audit"


_ALL = frozenset(Permission)
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.MANAGER: _ALL,
    Role.FINANCE: frozenset(
        {
            Permission.VIEW,
            Permission.CREDIT,
            Permission.DEALS,
            Permission.INVOICE_EDIT,
            Permission.INVOICE_COLLECT,
            Permission.PAYMENT_TAKE,
            Permission.REFUND,
        }
    ),
    Role.CASHIER: frozenset({Permission.VIEW, Permission.INVOICE_COLLECT, Permission.PAYMENT_TAKE}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}


def can(role: str, permission: Permission) -> bool:
    try:
        return permission in GRANTS[Role(role)]
    except ValueError:  # a role this version does not know grants nothing
        return False
