"""What the HTTP load benchmarks share: waiting for a server, and a closed-loop load of N
clients, each on its own keep-alive session, timing every step."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = [PY, "-m", "dealerhub"]

# One step of client number n on its session; returns how many of its answers were not 200.
Step = Callable[[requests.Session, int], int]


def store(data_dir: Path, database_url: str | None = None) -> tuple[dict[str, str], dict]:
    """A migrated store with one dealer, in ``data_dir`` (and ``database_url`` if given):
    the environment to run ``dealerhub`` on it, and the dealer (``dealers create --json``)."""
    env = {
        **os.environ,
        "DEALERHUB_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        "DEALERHUB_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DEALERHUB_DATABASE_URL"] = database_url
    subprocess.run([*CLI, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    out = subprocess.run(
        [*CLI, "dealers", "create", "--name", "Bench", "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return env, json.loads(out.strip().splitlines()[-1])


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run_clients(key: str, clients: int, seconds: float, step: Step) -> dict[str, Any]:
    """``clients`` threads repeat ``step`` for ``seconds``: steps per second, p50/p99 of a
    step in ms, the sorted step latencies (seconds) and the count of non-200 answers."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        nonlocal errors
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        mine, bad = [], 0
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            bad += step(session, n)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "per_s": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p99": q[98] * 1000,
        "n": len(latencies),
        "errors": errors,
        "latencies": latencies,
    }
