"""The floor beside bench/dms_sync.py: the same DMS calls with no hub around them.

The same stub DMS (20 ms a call, 10% HTTP 503, half of the failed adds stored with the reply
lost) and the same OpenTrack client (``DealerTrackDms.push_lead``: look-up, then add), driven
from the same number of processes with the same number of calls in flight, each process with
one keep-alive client. No database, no claims, no events; a retryable failure is pushed again
at once. The hub's figure divided by this one is the ratio docs/benchmarks.md reports.

    python bench/dms_floor.py                        # 10,000 leads, 1 and 4 processes
    python bench/dms_floor.py --leads 2000 --processes 4 --in-flight 8
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dms_sync import FAILURE_RATE, LATENCY, StubDms, serve


def sender(url: str, leads: range, in_flight: int, go: Any, done: Any) -> None:
    from dealerhub.connectors.base import ConnectorError
    from dealerhub.connectors.dms.base import DmsContact, DmsLeadPush
    from dealerhub.connectors.dms.dealertrack import DealerTrackCredentials, DealerTrackDms

    dms = DealerTrackDms(
        DealerTrackCredentials(url, "bench", "bench-password", "ZE", "ZE7"), timeout=(2.0, 10.0)
    )
    todo = list(leads)
    lock = threading.Lock()

    def loop() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            email = f"buyer{i}@example.com"
            push = DmsLeadPush(
                reference=f"lead_floor{i:08d}",
                contact=DmsContact("B", "Bench", email, None, {}),
                customer_key=None,
                vehicles=[],
                trade_in=None,
                source=None,
                comments=None,
            )
            while True:
                try:
                    dms.push_lead(push)
                    break
                except ConnectorError as exc:
                    if not exc.retryable:
                        raise

    go.wait()
    threads = [threading.Thread(target=loop) for _ in range(in_flight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.put(len(leads))


def run_once(n: int, processes: int, in_flight: int) -> dict[str, float]:
    stub = StubDms()
    server = serve(stub)
    url = f"http://127.0.0.1:{server.server_address[1]}/opentrack"
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    done: mp.Queue = ctx.Queue()
    share = -(-n // processes)
    procs = [
        ctx.Process(
            target=sender,
            args=(url, range(p * share, min(n, (p + 1) * share)), in_flight, go, done),
        )
        for p in range(processes)
    ]
    for p in procs:
        p.start()
    time.sleep(3)  # interpreter start-up and imports, outside the timing
    started = time.perf_counter()
    go.set()
    sent = sum(done.get(timeout=600) for _ in procs)
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=30)
    server.shutdown()
    assert sent == n and len(stub.by_email) == n, "a lead never reached the DMS"
    return {"seconds": elapsed, "leads_per_s": n / elapsed, "calls": stub.calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--in-flight", type=int, default=8, help="DMS calls at once per process")
    args = parser.parse_args()
    print(
        f"dms_floor: {args.leads} leads, stub DMS {LATENCY * 1000:.0f} ms, "
        f"{FAILURE_RATE:.0%} failures, no hub"
    )
    for processes in args.processes:
        r = run_once(args.leads, processes, args.in_flight)
        print(
            f"  {processes} process(es), {args.in_flight} in flight: {r['seconds']:.1f} s, "
            f"{r['leads_per_s']:.0f} leads/s, {r['calls']} DMS calls"
        )


if __name__ == "__main__":
    main()
