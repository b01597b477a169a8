"""Reading the dealer's stored PEN registration. ``/configuration`` shows it read-only through
:func:`registration_view`; this module imports nothing from configuration, so the dependency
runs one way (configuration → pen)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dealerhub.pen.models import PenRegistration
from dealerhub.pen.schemas import PEN_REGISTRATION
from dealerhub.tenancy import Tenant, scoped


def get_registration(
    session: Session, tenant: Tenant, *, for_update: bool = False
) -> PenRegistration | None:
    """The tenant's registration row, or None if the dealer never registered with PEN."""
    stmt = scoped(PenRegistration, tenant)
    if for_update:
        stmt = stmt.with_for_update()
    row: PenRegistration | None = session.scalars(stmt).first()
    return row


def registration_view(session: Session, tenant: Tenant) -> dict[str, Any] | None:
    """The registration as /configuration shows it (id, status, last change; no PII)."""
    row = get_registration(session, tenant)
    return None if row is None else PEN_REGISTRATION.dump(row)
