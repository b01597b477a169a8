"""`dealerhub serve` end to end: its worker killed with SIGKILL comes back, one beat runs,
/healthz sees the worker, and stopping leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.test_serve import _free_port

# The worker of the default queue (settlement, DMS, sweeps); serve runs a webhooks one beside.
# Anchored to the command line Celery runs under: before its exec the child's command line
# (``python -m dealerhub.supervisor --exec python -m celery ...``) holds the same words, and a
# process read in the middle of its exec shows an empty one.
DEFAULT_WORKER = r"^\S+ -m celery .*dealerhub.worker worker .*--hostname worker@"
WEBHOOK_WORKER = r"^\S+ -m celery .*dealerhub.worker worker .*--hostname webhooks@"


def children(pid: int, pattern: str) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid), *(["-f", pattern] if pattern else [])],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return [int(p) for p in out]


def descendants(pid: int, pattern: str) -> list[int]:
    """Processes matching ``pattern`` among the children of ``pid``'s children (serve
    supervises its worker and beat from a child process of its own)."""
    return [p for child in children(pid, "") for p in children(child, pattern)]


def session_ends(sid: int) -> bool:
    """Whether every process of session ``sid`` is gone within 20 s (a worker's pool
    children may need a moment after its main process has exited)."""

    def empty() -> bool:
        found = subprocess.run(["pgrep", "-s", str(sid)], capture_output=True, text=True)
        return not found.stdout.strip()

    return bool(wait_for(empty, 20))


def wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


@pytest.mark.slow
def test_serve_restarts_a_killed_worker_and_runs_one_beat(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEALERHUB_DATA_DIR": str(tmp_path / "var"),
        "DEALERHUB_LOG_LEVEL": "WARNING",
    }
    env.pop("DEALERHUB_DATABASE_URL", None)
    env.pop("DEALERHUB_BROKER_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dealerhub", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def health() -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            return None

    try:
        assert wait_for(lambda: (health() or {}).get("worker") == "ok"), health()
        (worker,) = wait_for(lambda: descendants(proc.pid, DEFAULT_WORKER))
        assert len(wait_for(lambda: descendants(proc.pid, "dealerhub.beat"))) == 1
        os.kill(worker, signal.SIGKILL)
        restarted = wait_for(
            lambda: [p for p in descendants(proc.pid, DEFAULT_WORKER) if p != worker]
        )
        assert restarted, "the killed worker was not restarted"
        # The new worker reports in; still exactly one beat.
        before = (health() or {}).get("worker_last_seen") or 0
        assert wait_for(lambda: ((health() or {}).get("worker_last_seen") or 0) > before)
        assert len(descendants(proc.pid, "dealerhub.beat")) == 1
        # The beat killed: a new one takes the lock; never two.
        (old_beat,) = descendants(proc.pid, "dealerhub.beat")
        os.kill(old_beat, signal.SIGKILL)
        new_beat = wait_for(
            lambda: [p for p in descendants(proc.pid, "dealerhub.beat") if p != old_beat]
        )
        assert len(new_beat) == 1, "the killed beat was not restarted (exactly once)"
        assert len(descendants(proc.pid, WEBHOOK_WORKER)) == 1
        assert health()["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert session_ends(proc.pid), "processes of the server's session outlived it"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.slow
def test_worker_with_beat_runs_the_locked_beat_beside_it(tmp_path):
    env = {**os.environ, "DEALERHUB_DATA_DIR": str(tmp_path / "var")}
    env.pop("DEALERHUB_DATABASE_URL", None)
    env.pop("DEALERHUB_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "-m", "dealerhub", "db", "upgrade"], env=env, check=True, timeout=120
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "dealerhub", "worker", "--beat"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        (worker,) = wait_for(lambda: children(proc.pid, DEFAULT_WORKER))
        (webhooks,) = wait_for(lambda: children(proc.pid, WEBHOOK_WORKER))
        assert len(wait_for(lambda: children(proc.pid, "dealerhub.beat"))) == 1

        def argv(pid: int) -> list[str]:
            with open(f"/proc/{pid}/cmdline") as fh:
                return fh.read().split("\0")

        # No embedded beat (-B) inside the worker: the locked one runs beside it. Webhook
        # delivery has a worker of its own, so its backlog never holds up settlement.
        assert "--beat" not in argv(worker)
        assert argv(worker)[argv(worker).index("--queues") + 1] == "celery"
        assert argv(webhooks)[argv(webhooks).index("--queues") + 1] == "celery.webhooks"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert session_ends(proc.pid), "processes of the worker's session outlived it"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
