"""p50/p99 latency and throughput of GET /api/verify-address/{address} at 8 concurrent clients
against a running ``dealerhub serve`` (SQLite, sandbox verifier, test key) on 127.0.0.1, beside
``GET /api-version`` served by the same server.

    python bench/addresses.py [--seconds 5] [--rounds 3] [--clients 8] [--port 18760]

Three loads, alternated round after round (this machine's speed drifts over minutes):
- ``verify (cached)``: the same address every time, answered from the day's cache;
- ``verify (uncached)``: a new house number every request, so each one is parsed, checked
  against the ZIP database and stored in the cache;
- ``api-version``: the floor, the cheapest route (no key, no database).

Prints one JSON line per load and a Markdown table; nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CACHED = "verify (cached)"
UNCACHED = "verify (uncached)"
FLOOR = "api-version"


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


def run_load(next_url, key: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {key}"
        mine, bad = [], 0
        while time.perf_counter() < stop:
            url = next_url()
            t0 = time.perf_counter()
            r = s.get(url, timeout=30)
            mine.append(time.perf_counter() - t0)
            if r.status_code != 200:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"rps": len(latencies) / elapsed, "latencies": latencies, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5, help="per round and load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=18760)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-addresses-"))
    env = {
        **os.environ,
        "DEALERHUB_DATA_DIR": str(data_dir),
        "DEALERHUB_DATABASE_URL": f"sqlite:///{data_dir / 'bench.sqlite3'}",
        "PYTHONPATH": str(ROOT),
        "DEALERHUB_LOG_LEVEL": "WARNING",
    }
    cli = [PY, "-m", "dealerhub"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    out = subprocess.run(
        [*cli, "dealers", "create", "--name", "Bench", "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    key = json.loads(out.strip().splitlines()[-1])["secret_key"]
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            *cli,
            "serve",
            "--no-worker",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    house = itertools.count(1)
    cached_url = (
        base
        + "/api/verify-address/"
        + quote("1600 Pennsylvania Ave NW, Washington, DC 20500", safe="")
    )
    loads = {
        CACHED: lambda: cached_url,
        # itertools.count is atomic under the GIL: every request gets its own house number.
        UNCACHED: lambda: (
            base
            + "/api/verify-address/"
            + quote(f"{next(house)} Main St, Springfield, IL 62701", safe="")
        ),
        FLOOR: lambda: base + "/api-version",
    }
    rows = []
    try:
        wait_up(base + "/healthz")
        for load in loads.values():  # warm-up: ZIP index, SQL compilation, connections
            run_load(load, key, 2, 1)
        runs: dict[str, list[dict]] = {name: [] for name in loads}
        for _round in range(args.rounds):
            for name, load in loads.items():
                runs[name].append(run_load(load, key, args.clients, args.seconds))
        for name, results in runs.items():
            latencies = sorted(x for r in results for x in r["latencies"])
            q = statistics.quantiles(latencies, n=100)
            rows.append(
                {
                    "load": name,
                    "clients": args.clients,
                    "rps": round(statistics.median(r["rps"] for r in results)),
                    "p50_ms": round(q[49] * 1000, 2),
                    "p99_ms": round(q[98] * 1000, 2),
                    "requests": len(latencies),
                    "errors": sum(r["errors"] for r in results),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
    print("\n| load | clients | req/s | p50 ms | p99 ms | requests | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['load']} | {r['clients']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['requests']} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
