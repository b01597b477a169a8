"""The CLI finds its hub or says where it looked (issue 15): unknown dealers are a usage
error (exit 2), and commands run away from the data directory create nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dealerhub.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "args",
    [
        ["certs", "upload", "--dealer", "acct_123", "--password", "x", "{p12}"],
        ["keys", "roll", "--dealer", "acct_123"],
        ["gateways", "check", "--dealer", "acct_123"],
        ["dms", "replay", "--dealer", "acct_123"],
        ["workflows", "run", "nightly", "--dealer", "acct_123"],
    ],
    ids=["certs-upload", "keys-roll", "gateways-check", "dms-replay", "workflows-run"],
)
def test_unknown_dealer_is_a_usage_error(
    cli_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    p12 = tmp_path / "cert.p12"
    p12.write_bytes(b"not really a p12")
    argv = [a.replace("{p12}", str(p12)) for a in args]
    result = CliRunner().invoke(main, argv, env=cli_env)
    assert result.exit_code == 2, result.output
    assert "no dealer acct_123 in this hub" in result.output
    assert "Traceback" not in result.output


def _cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEALERHUB_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "dealerhub", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_command_away_from_the_data_dir_creates_nothing(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _cli(elsewhere, "dealers", "list")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one readable line, no SQLAlchemy traceback
    assert str(elsewhere / "var" / "dealerhub.sqlite3") in lines[0]
    assert "DEALERHUB_DATA_DIR" in lines[0]
    assert not (elsewhere / "var").exists()  # no fresh keys, no empty database


@pytest.mark.slow
def test_db_upgrade_creates_and_then_other_commands_find_it(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    hub.mkdir()
    assert _cli(hub, "db", "upgrade").returncode == 0
    assert (hub / "var" / "dealerhub.sqlite3").is_file()
    listed = _cli(hub, "dealers", "list")
    assert listed.returncode == 0, listed.stderr
    # From elsewhere, DEALERHUB_DATA_DIR points at it.
    other = _cli(tmp_path, "dealers", "list", env={"DEALERHUB_DATA_DIR": str(hub / "var")})
    assert other.returncode == 0, other.stderr
    assert not (tmp_path / "var").exists()


def test_serve_on_a_busy_port_fails_before_starting_anything(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import dealerhub.cli as cli_module

    started: list[Any] = []
    # serve starts its supervised worker and beat through start_supervisor_process.
    monkeypatch.setattr(cli_module, "start_supervisor_process", lambda *a, **k: started.append(a))
    monkeypatch.setattr(cli_module.migrate, "upgrade", lambda *a, **k: started.append("migrate"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)], env=cli_env)
    assert result.exit_code == 1, result.output
    assert f"127.0.0.1:{port} is already in use" in result.output
    assert started == []  # no worker, no beat scheduler, no migration


def test_demo_keeps_only_test_keys_owner_readable(cli_env: dict[str, str], tmp_path: Path) -> None:
    import json

    path = tmp_path / "demo-dealer.json"
    result = CliRunner().invoke(main, ["demo"], env=cli_env)
    assert result.exit_code == 0, result.output
    stored = json.loads(path.read_text())
    assert set(stored) == {"id", "name", "secret_key", "publishable_key"}
    assert stored["secret_key"].startswith("sk_test_")
    assert path.stat().st_mode & 0o777 == 0o600
    # A file an older version wrote (with live keys, world-readable) is cleaned up.
    path.write_text(
        json.dumps({**stored, "live_secret_key": "sk_live_x", "live_publishable_key": "pk_live_x"})
    )
    path.chmod(0o644)
    again = CliRunner().invoke(main, ["demo"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert "sk_live_" not in path.read_text()
    assert json.loads(path.read_text()) == stored
    assert path.stat().st_mode & 0o777 == 0o600
    assert stored["secret_key"] in again.output


@pytest.mark.slow
def test_demo_in_a_fresh_directory_sets_everything_up(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    done = _cli(fresh, "demo")
    assert done.returncode == 0, done.stderr
    assert "secret key       sk_test_" in done.stdout
    assert (fresh / "var" / "dealerhub.sqlite3").is_file()
