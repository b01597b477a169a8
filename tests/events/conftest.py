from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dealerhub.events.service import record_event
from dealerhub.events.testing import Receiver
from dealerhub.tenancy import Tenant


class Clock:
    def __init__(self, start: int = 1_900_000_000) -> None:
        self.t = start

    def __call__(self) -> int:
        return self.t

    def advance(self, seconds: int) -> None:
        self.t += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze ``dealerhub.db.now`` (every events-area timestamp goes through it)."""
    c = Clock()
    monkeypatch.setattr("dealerhub.db.now", c)
    return c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def options(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``options(NAME="value", ...)`` overrides settings options for one test."""

    def set_options(**extra: str) -> None:
        settings = app.extensions["settings"]
        merged = {**settings.extra, **extra}
        monkeypatch.setitem(app.extensions, "settings", settings.with_overrides(extra=merged))

    return set_options


def emit(
    app: Any,
    dealer_id: str,
    type_: str,
    obj: dict[str, Any] | None = None,
    *,
    livemode: bool = False,
) -> str:
    with app.extensions["db"].transaction() as session:
        return record_event(session, Tenant(dealer_id, livemode), type_, obj or {"id": "x_1"})
