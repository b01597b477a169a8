"""``dealerhub staff …``: create, list, disable, enable, reset-password, demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from dealerhub.cli import main
from dealerhub.clikit import Context
from dealerhub.staff import service
from dealerhub.staff.models import StaffUser
from tests.conftest import DealerKeys


def staff(app: Any, *args: str, stdin: str | None = None, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, ["staff", *args], input=stdin, obj=Context(app=app))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def row(app: Any, ref: str) -> StaffUser:
    with app.extensions["db"].transaction() as session:
        return service.find_staff(session, ref)


def test_create_with_password_stdin_then_list(app: Any, dealer: DealerKeys) -> None:
    address = f"desk-{dealer.id[-8:].lower()}@example.com"
    out = staff(
        app,
        "create",
        "--dealer",
        dealer.id,
        "--email",
        address,
        "--role",
        "finance",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    ).output
    assert out.startswith("created staff_") and "(finance)" in out
    listed = json.loads(staff(app, "list", "--dealer", dealer.id, "--json").output)
    assert [(r["email"], r["role"], r["disabled"]) for r in listed] == [(address, "finance", False)]
    assert "password" not in json.dumps(listed)
    assert row(app, address).password_hash.startswith("$argon2id$")


def test_create_prompts_without_echo_and_confirms(app: Any, dealer: DealerKeys) -> None:
    address = f"prompt-{dealer.id[-8:].lower()}@example.com"
    secret = "prompted pass phrase 7"
    result = staff(
        app,
        "create",
        "--dealer",
        dealer.id,
        "--email",
        address,
        "--role",
        "viewer",
        stdin=f"{secret}\n{secret}\n",
    )
    assert secret not in result.output
    assert "Password" in result.output and "Repeat" in result.output


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("Password123!", "too common"),
        ("qwertyuiop12", "too common"),
        ("aaaaaaaaaaaaaaa", "too common"),
    ],
)
def test_create_refuses_weak_passwords(
    app: Any, dealer: DealerKeys, password: str, message: str
) -> None:
    result = staff(
        app,
        "create",
        "--dealer",
        dealer.id,
        "--email",
        "weak@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=password + "\n",
        ok=False,
    )
    assert result.exit_code == 1
    assert message in result.output and "(password)" in result.output
    listed = json.loads(staff(app, "list", "--dealer", dealer.id, "--json").output)
    assert listed == []


def test_create_refuses_unknown_dealer_and_duplicate_email(app: Any, dealer: DealerKeys) -> None:
    result = staff(
        app,
        "create",
        "--dealer",
        "acct_nope",
        "--email",
        "x@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long enough passphrase\n",
        ok=False,
    )
    assert "No such dealer" in result.output
    address = f"dup-{dealer.id[-8:].lower()}@example.com"
    args = (
        "create",
        "--dealer",
        dealer.id,
        "--email",
        address,
        "--role",
        "viewer",
        "--password-stdin",
    )
    staff(app, *args, stdin="a long enough passphrase\n")
    again = staff(app, *args, stdin="a long enough passphrase\n", ok=False)
    assert "exists" in again.output


def test_disable_enable_and_reset_password(app: Any, dealer: DealerKeys) -> None:
    address = f"ops-{dealer.id[-8:].lower()}@example.com"
    staff(
        app,
        "create",
        "--dealer",
        dealer.id,
        "--email",
        address,
        "--role",
        "cashier",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    version = row(app, address).session_version
    assert "disabled" in staff(app, "disable", address).output
    assert row(app, address).disabled and row(app, address).session_version == version + 1
    staff(app, "enable", address)
    assert not row(app, address).disabled
    old_hash = row(app, address).password_hash
    staff(app, "reset-password", address, "--password-stdin", stdin="another good passphrase\n")
    assert row(app, address).password_hash != old_hash
    weak = staff(app, "reset-password", address, "--password-stdin", stdin="password\n", ok=False)
    assert weak.exit_code == 1
    assert "no such" in staff(app, "disable", "nobody@example.com", ok=False).output.lower()


@pytest.fixture
def demo_files(app: Any, dealer: DealerKeys) -> Iterator[Any]:
    data_dir = app.extensions["settings"].data_dir
    dealer_file, manager_file = data_dir / "demo-dealer.json", data_dir / "demo-manager.json"
    dealer_file.write_text(json.dumps({"id": dealer.id, "name": "Test Motors"}))
    yield data_dir
    dealer_file.unlink(missing_ok=True)
    manager_file.unlink(missing_ok=True)


def test_demo_prints_a_working_manager_login_once(app: Any, demo_files: Any) -> None:
    first = staff(app, "demo").output
    assert "manager@demo-motors.test" in first
    assert staff(app, "demo").output == first  # created once, printed again
    password = first.split("password", 1)[1].strip()
    with app.extensions["db"].transaction() as session:
        assert service.log_in(session, "manager@demo-motors.test", password).role == "manager"
