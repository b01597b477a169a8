"""`dealerhub serve` end to end: migrates, serves with gunicorn plus a worker, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_stops_cleanly(tmp_path, sig):
    port = _free_port()
    env = {
        **os.environ,
        "DEALERHUB_DATA_DIR": str(tmp_path / "var"),
        "DEALERHUB_LOG_LEVEL": "WARNING",
    }
    env.pop("DEALERHUB_DATABASE_URL", None)  # its own SQLite file in its own data dir
    env.pop("DEALERHUB_BROKER_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dealerhub", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.2)
        assert body is not None, proc.stderr.read().decode() if proc.poll() is not None else ""
        assert b'"status":"ok"' in body
        proc.send_signal(sig)
        assert proc.wait(timeout=45) == 0
        # The worker it started is gone too (same session id as the server); its pool
        # children may need a moment after the main worker process has exited.
        leftovers = "?"
        deadline = time.monotonic() + 15
        while leftovers and time.monotonic() < deadline:
            leftovers = subprocess.run(
                ["pgrep", "-s", str(proc.pid)], capture_output=True, text=True, check=False
            ).stdout.strip()
            time.sleep(0.2)
        assert leftovers == ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stderr.close()
