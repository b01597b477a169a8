"""What the desk's real-browser tests share: the skip when Debian's Chromium is missing, a
screenshot helper and the login. The server, browser and page fixtures are in conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.staff.conftest import PASSWORD, email

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TESTS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no browser: /usr/bin/chromium is missing (apt-get install chromium)",
    ),
]


class Shots:
    """``shot("13-deal-edit")`` saves a full-page screenshot in ``folder``."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder = page, folder
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> Path:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def log_in(page: Any, server: str, dealer: Any, role: str) -> None:
    page.goto(f"{server}/staff/")
    assert page.url.startswith(f"{server}/staff/login")
    page.get_by_label("E-mail").fill(email(dealer, role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server}/staff/")
