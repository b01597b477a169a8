"""One log format: everything `dealerhub serve` and its processes write (gunicorn's arbiter
and workers, the app, the supervisor, the Celery worker and the beat, Python warnings,
Celery's own notices) is one JSON object a line with the same fields, masked;
`DEALERHUB_LOG_JSON=0` keeps text."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until

CARD = "4242424242424242"
SSN = "123-45-6789"
FIELDS = {"ts", "level", "logger", "message", "request_id", "dealer_id"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEALERHUB_DATA_DIR": str(tmp_path / "var"),
        "DEALERHUB_LOG_LEVEL": "INFO",
        "DEALERHUB_LOG_JSON": "1",
        **extra,
    }
    env.pop("DEALERHUB_DATABASE_URL", None)  # its own SQLite file in its own data dir
    env.pop("DEALERHUB_BROKER_URL", None)  # the embedded broker, as `make run` uses it
    return env


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening yet
        return 0


def _entries(path: Path) -> list[dict[str, Any]]:
    """Every non-empty line, parsed; a line that is not a JSON object fails the test."""
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(entry, dict), line
        assert entry.keys() >= FIELDS, line
        entries.append(entry)
    return entries


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill whatever is left of the process group the test started (the server's session)."""
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_serve_writes_one_masked_json_object_a_line(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path)
    output = tmp_path / "serve.log"
    with output.open("ab") as sink:  # stdout and stderr both, as a terminal shows them
        proc = subprocess.Popen(
            [sys.executable, "-m", "dealerhub", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:

        def logged(logger: str, pattern: str) -> bool:
            text = output.read_text(errors="replace")
            return any(
                f'"logger": "{logger}"' in line and re.search(pattern, line)
                for line in text.splitlines()
            )

        assert wait_until(lambda: logged("celery.apps.worker", r"\S+@\S+ ready\."), 90), (
            output.read_text()
        )
        assert wait_until(lambda: _get(f"http://127.0.0.1:{port}/healthz") == 200, 30)
        # Secrets in request paths: the access log line carries the path.
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/payment/customers/{CARD}") == 401
        assert _get(f"{base}/payment/customers/{SSN}?ssn={SSN}") == 401
        # A task through the embedded broker, so the worker logs receiving and running it.
        task = "dealerhub.purge_idempotency_keys"
        subprocess.run(
            [sys.executable, "-m", "celery", "-A", "dealerhub.worker", "call", task],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        assert wait_until(lambda: logged("celery.app.trace", r"succeeded in"), 60), (
            output.read_text()
        )
        assert wait_until(lambda: logged("celery.beat", r"beat: Starting"), 60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        # The worker finishes its warm shutdown after the server has gone.
        assert wait_until(
            lambda: (
                not subprocess.run(
                    ["pgrep", "-s", str(proc.pid)], capture_output=True, text=True, check=False
                ).stdout.strip()
            ),
            30,
        )
    finally:
        _stop_group(proc)

    text = output.read_text(errors="replace")
    entries = _entries(output)
    assert CARD not in text and SSN not in text
    by_logger: dict[str, list[str]] = {}
    for entry in entries:
        by_logger.setdefault(entry["logger"], []).append(entry["message"])
    gunicorn = " | ".join(by_logger["gunicorn.error"])
    assert "Listening at: " in gunicorn and "Booting worker" in gunicorn
    assert "Handling signal: term" in gunicorn
    assert "Control socket" not in gunicorn  # none: it would be shared by every serve
    # The process that supervises the worker and the beat builds no app: it logs all the same.
    assert any(m.startswith("started worker") for m in by_logger["dealerhub.supervisor"])
    assert any("ready." in m for m in by_logger["celery.apps.worker"])
    assert any("Starting" in m for m in by_logger["celery.beat"])
    assert any("received" in m for m in by_logger["celery.worker.strategy"])
    # Celery writes its shutdown notice straight to the descriptor: a log line all the same.
    assert any("Warm shutdown" in m for m in by_logger["stdout"])
    access = [e for e in entries if e["logger"] == "dealerhub.request"]
    assert any(e["path"] == "/payment/customers/************4242" for e in access), access
    assert any(e["status"] == 401 and e["request_id"].startswith("req_") for e in access)
    # kombu no longer warns about the embedded broker's missing host name.
    assert not [e for e in entries if "No hostname" in e["message"]]


CAPTURE = """
import os, sys, warnings
from dealerhub.logs import capture_output, configure_logging

configure_logging("INFO", json_output=True, capture_warnings=True)
capture_output()
print("printed card {card}")
sys.stderr.write("written to stderr\\n")
sys.stderr.flush()
os.write(1, b"\\nstraight to the descriptor\\n")
warnings.warn("a warning")
if os.fork() == 0:
    os.write(2, b"from a forked child\\n")
    os._exit(0)
os.wait()
"""


def test_captured_output_becomes_log_lines(tmp_path: Path) -> None:
    output = tmp_path / "out.log"
    with output.open("ab") as sink:
        subprocess.run(
            [sys.executable, "-c", CAPTURE.format(card=CARD)],
            stdout=sink,
            stderr=sink,
            check=True,
            timeout=60,
        )
    entries = _entries(output)
    found = {(e["logger"], e["level"], e["message"]) for e in entries}
    assert ("stdout", "INFO", "printed card ************4242") in found
    assert ("stderr", "WARNING", "written to stderr") in found
    assert ("stdout", "INFO", "straight to the descriptor") in found
    assert ("stderr", "WARNING", "from a forked child") in found
    assert any(e["logger"] == "py.warnings" and "a warning" in e["message"] for e in entries)
    assert CARD not in output.read_text()


GUNICORN = """
from dealerhub.wsgi_server import run_gunicorn

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

run_gunicorn("127.0.0.1:{port}", workers=1, threads=1, app_factory=lambda: app)
"""


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "text"])
def test_gunicorn_logs_in_the_configured_format(tmp_path: Path, json_output: bool) -> None:
    port = _free_port()
    output = tmp_path / "gunicorn.log"
    env = _env(tmp_path, DEALERHUB_LOG_JSON="1" if json_output else "0")
    with output.open("ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", GUNICORN.format(port=port)],
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        assert wait_until(lambda: _get(f"http://127.0.0.1:{port}/") == 200, 30)
        proc.send_signal(signal.SIGINT)  # quick shutdown
        assert proc.wait(timeout=30) == 0
    finally:
        _stop_group(proc)
    if json_output:
        messages = [e["message"] for e in _entries(output) if e["logger"] == "gunicorn.error"]
        assert any(m.startswith("Listening at: ") for m in messages)
        return
    lines = [line for line in output.read_text().splitlines() if line.strip()]
    # TextFormatter's "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    text_line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ \[\S+\] ")
    assert lines and all(text_line.match(line) for line in lines), lines
    assert any(" INFO gunicorn.error [None] Listening at: " in line for line in lines)
