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
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from harness import CLI, ROOT, Step, run_clients, store, wait_up

CACHED = "verify (cached)"
UNCACHED = "verify (uncached)"
FLOOR = "api-version"


def get(next_url: Callable[[], str]) -> Step:
    return lambda session, _n: int(session.get(next_url(), timeout=30).status_code != 200)


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
    env, dealer = store(data_dir, f"sqlite:///{data_dir / 'bench.sqlite3'}")
    key = dealer["secret_key"]
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            *CLI,
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
    urls = {
        CACHED: lambda: cached_url,
        # itertools.count is atomic under the GIL: every request gets its own house number.
        UNCACHED: lambda: (
            base
            + "/api/verify-address/"
            + quote(f"{next(house)} Main St, Springfield, IL 62701", safe="")
        ),
        FLOOR: lambda: base + "/api-version",
    }
    loads = {name: get(url) for name, url in urls.items()}
    rows = []
    try:
        wait_up(base + "/healthz")
        for load in loads.values():  # warm-up: ZIP index, SQL compilation, connections
            run_clients(key, 2, 1, load)
        runs: dict[str, list[dict]] = {name: [] for name in loads}
        for _round in range(args.rounds):
            for name, load in loads.items():
                runs[name].append(run_clients(key, args.clients, args.seconds, load))
        for name, results in runs.items():
            latencies = sorted(x for r in results for x in r["latencies"])
            q = statistics.quantiles(latencies, n=100)
            rows.append(
                {
                    "load": name,
                    "clients": args.clients,
                    "rps": round(statistics.median(r["per_s"] for r in results)),
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
