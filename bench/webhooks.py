"""Webhook fan-out benchmark: N events x 2 loopback receiver endpoints, delivered by real
Celery worker processes (1 and 4 by default). Reports deliveries per second and the lag from
event creation to receipt (p50/p99), and asserts every event reached every endpoint.

    python bench/webhooks.py                       # 10,000 events, embedded broker, SQLite
    python bench/webhooks.py --broker redis://127.0.0.1:6379/0 --events 2000 --workers 1,4

Each run gets a fresh data directory and database. A sweep runs every 30 s in this process
(what beat does in production) with a one-hour lease, so only a lost message is re-sent.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dealerhub import migrate
from dealerhub.app import create_app
from dealerhub.config import Environment, Secret, Settings
from dealerhub.dealers.service import create_dealer
from dealerhub.events.delivery import sweep
from dealerhub.events.endpoints import create_endpoint
from dealerhub.events.service import record_event
from dealerhub.events.testing import Receiver
from dealerhub.tenancy import Tenant


def settings_for(data_dir: Path, broker: str | None, database: str | None) -> Settings:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    return Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=database or f"sqlite:///{data_dir / 'bench.sqlite3'}",
        broker_url=broker or f"filesystem://{data_dir / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=data_dir / "certs",
        log_level="WARNING",
        extra={"TASK_QUEUE": queue, "WEBHOOK_LEASE_SECONDS": "3600"},
    )


def start_workers(settings: Settings, processes: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **settings.environ(),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "dealerhub.worker",
        "worker",
        "-Q",
        # Webhook delivery has a queue of its own (dealerhub.tasks.queue_name).
        f"{settings.extra['TASK_QUEUE']},{settings.extra['TASK_QUEUE']}.webhooks",
        "-c",
        str(processes),
        "-P",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
    ]
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def run(events: int, processes: int, broker: str | None, database: str | None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="dh-bench-"))
    settings = settings_for(data_dir, broker, database)
    migrate.upgrade(settings)
    app = create_app(settings)
    db = app.extensions["db"]
    receivers = [Receiver().start(), Receiver().start()]
    with db.transaction() as session:
        dealer, _test, _live = create_dealer(session=session, name="Bench Motors")
        tenant = Tenant(dealer.id, False)
        for receiver in receivers:
            create_endpoint(
                session, tenant, settings, {"url": receiver.url, "enabled_events": ["bench.*"]}
            )
    workers = start_workers(settings, processes)
    time.sleep(3)  # let the pool boot so the figure measures delivery, not start-up
    created: dict[str, float] = {}
    started = time.time()
    try:
        batch = 100
        for first in range(0, events, batch):
            with db.transaction() as session:
                for i in range(first, min(first + batch, events)):
                    t = time.time()
                    event_id = record_event(session, tenant, "bench.created", {"n": i, "t": t})
                    created[event_id] = t
        produced = time.time()
        expected = set(created)
        deadline = time.time() + 3600
        last_sweep = time.time()
        while time.time() < deadline:
            if all(len(r.requests) >= events for r in receivers):
                seen = [{q.json()["id"] for q in r.requests} for r in receivers]
                if all(expected <= s for s in seen):
                    break
            if time.time() - last_sweep > 30:
                with db.transaction() as session:
                    sweep(session, settings)
                last_sweep = time.time()
            time.sleep(0.2)
        finished = max(q.at for r in receivers for q in r.requests)
    finally:
        workers.send_signal(signal.SIGTERM)  # warm shutdown of the main process
        try:
            workers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(workers.pid, signal.SIGKILL)
            workers.wait(timeout=30)
        for receiver in receivers:
            receiver.stop()
    lags = []
    duplicates = 0
    for receiver in receivers:
        first_seen: dict[str, float] = {}
        for q in receiver.requests:
            event_id = q.json()["id"]
            if event_id in first_seen:
                duplicates += 1
                continue
            first_seen[event_id] = q.at
        missing = expected - set(first_seen)
        assert not missing, f"{len(missing)} events never reached {receiver.url}"
        lags.extend(first_seen[e] - created[e] for e in expected)
    lags.sort()
    deliveries = events * len(receivers)
    db.dispose()
    return {
        "processes": processes,
        "events": events,
        "deliveries": deliveries,
        "produce_s": round(produced - started, 1),
        "total_s": round(finished - started, 1),
        "deliveries_per_s": round(deliveries / (finished - started), 1),
        "lag_p50_s": round(statistics.median(lags), 2),
        "lag_p99_s": round(lags[int(len(lags) * 0.99) - 1], 2),
        "duplicates": duplicates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", default="1,4", help="worker process counts to try")
    parser.add_argument("--broker", default=None, help="broker URL (default: embedded)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        r = run(args.events, int(args.workers), args.broker, args.database_url)
        print(
            f"| {r['processes']} | {r['events']} | {r['deliveries']} | {r['produce_s']} "
            f"| {r['total_s']} | {r['deliveries_per_s']} | {r['lag_p50_s']} "
            f"| {r['lag_p99_s']} | {r['duplicates']} |",
            flush=True,
        )
        return
    print(
        "| worker processes | events | deliveries | produce s | total s | deliveries/s "
        "| p50 lag s | p99 lag s | duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for processes in args.workers.split(","):
        # One process per configuration: Celery and kombu cache broker connections globally.
        cmd = [
            sys.executable,
            __file__,
            "--single",
            "--events",
            str(args.events),
            "--workers",
            processes,
        ]
        if args.broker:
            cmd += ["--broker", args.broker]
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
