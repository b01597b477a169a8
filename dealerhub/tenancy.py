"""Who a request or task acts for: one dealer in one mode. Every query is scoped by it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dealerhub.errors import NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class Tenant:
    dealer_id: str
    livemode: bool

    @property
    def mode(self) -> str:
        return "live" if self.livemode else "test"


def scoped(model: type[T], tenant: Tenant) -> Select[Any]:
    """``SELECT model WHERE dealer_id = … AND livemode = …``."""
    m: Any = model
    return select(m).where(m.dealer_id == tenant.dealer_id, m.livemode == tenant.livemode)


def get_owned(
    session: Session,
    model: type[T],
    object_id: str,
    tenant: Tenant,
    *,
    name: str | None = None,
    for_update: bool = False,
    param: str | None = None,
) -> T:
    """Load one object the tenant owns, or raise 404 (another dealer's or mode's object is
    indistinguishable from a missing one)."""
    m: Any = model
    stmt = scoped(model, tenant).where(m.id == object_id)
    if for_update:
        stmt = stmt.with_for_update()
    obj: T | None = session.scalars(stmt).first()
    if obj is None:
        label = name or getattr(model, "__object_name__", model.__name__.lower())
        raise NotFound(f"No such {label}: '{object_id}'", param=param)
    return obj
