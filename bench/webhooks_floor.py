"""The floor beside bench/webhooks.py: what this machine allows for the same deliveries.

A plain script, no hub: N events' signed bodies (the same JSON shape and the same
``Dealerhub-Signature`` header the hub sends) POSTed to the same loopback receiver
(``dealerhub.events.testing.Receiver``, 2 endpoints) from the same number of processes, each
with a few threads that reuse their keep-alive connection. The hub's figure divided by this
one is the ratio docs/benchmarks.md reports.

    python bench/webhooks_floor.py                       # 10,000 events x 2, 1 and 4 processes
    python bench/webhooks_floor.py --events 1000 --processes 4 --threads 16
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import secrets
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dealerhub.events.testing import Receiver
from dealerhub.webhooks import HEADER, sign_header


def body_for(n: int) -> bytes:
    """An event as the hub renders it (bench.created, a small snapshot)."""
    event = {
        "id": f"evt_floor{n:015d}",
        "object": "event",
        "type": "bench.created",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"n": n, "t": time.time()}},
        "request": {"id": None, "idempotency_key": None},
        "pending_webhooks": 2,
        "api_version": None,
    }
    return json.dumps(event, separators=(",", ":")).encode()


def sender(jobs: list[tuple[str, int]], secret: str, threads: int) -> None:
    """One process: ``threads`` threads, each with its own keep-alive session."""
    lock = threading.Lock()
    todo = list(jobs)

    def loop() -> None:
        http = requests.Session()
        http.trust_env = False
        while True:
            with lock:
                if not todo:
                    return
                url, n = todo.pop()
            body = body_for(n)
            now = int(time.time())
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "dealerhub-webhooks/1.0",
                HEADER: sign_header(body, [secret], now),
            }
            response = http.post(url, data=body, headers=headers, timeout=10)
            response.raise_for_status()

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def run(events: int, processes: int, threads: int) -> dict[str, float]:
    receivers = [Receiver(record_bodies=False).start(), Receiver(record_bodies=False).start()]
    secret = "whsec_" + secrets.token_urlsafe(24)
    jobs = [(r.url, n) for n in range(events) for r in receivers]
    ctx = mp.get_context("fork")
    procs = [
        ctx.Process(target=sender, args=(jobs[i::processes], secret, threads))
        for i in range(processes)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    received = sum(len(r.requests) for r in receivers)
    for r in receivers:
        r.stop()
    assert received == len(jobs), f"{received} of {len(jobs)} POSTs arrived"
    return {"deliveries": len(jobs), "seconds": elapsed, "per_s": len(jobs) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--processes", default="1,4", help="process counts to try")
    parser.add_argument("--threads", type=int, default=4, help="keep-alive threads per process")
    args = parser.parse_args()
    print("| processes | threads each | deliveries | seconds | deliveries/s |")
    print("|---|---|---|---|---|", flush=True)
    for processes in (int(p) for p in args.processes.split(",")):
        r = run(args.events, processes, args.threads)
        print(
            f"| {processes} | {args.threads} | {r['deliveries']} | {r['seconds']:.1f} "
            f"| {r['per_s']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
