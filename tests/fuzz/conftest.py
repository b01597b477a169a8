"""Print how many cases the fuzz run sent (docs/reliability.md records it)."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.fuzz.test_schemathesis import CASES, FUZZ

    if FUZZ:
        terminalreporter.write_line(
            f"schemathesis: {sum(CASES.values())} cases over {len(CASES)} operations"
        )
