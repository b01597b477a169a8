"""Store growth: does the API stay as fast with a million payment intents (and their events)
already in the database as with an empty store?

Seeds ``--rows`` payment intents and one ``payment_intent.succeeded`` event each (bulk
INSERTs, the same dealer and mode the measured requests use: the worst case for the
tenant-scoped indexes), then measures, in process through the WSGI app (no network):

- create+confirm throughput (``POST /payment/payment-intents`` with ``pm_card_visa``);
- p50/p99 latency of ``GET /payment/payment-intents``, ``GET /events?type=payment_intent.*``
  and ``GET /payment/invoices/search?status=open``;

on two stores side by side, one empty and one seeded, in alternating rounds (``--rounds``):
a shared machine's load then weighs on both alike. Prints each store's median over the rounds
and their ratio.

    python bench/store_growth.py --rows 1000000
    python bench/store_growth.py --rows 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dms_sync import drop_database, fresh_database

from dealerhub import migrate
from dealerhub.app import create_app
from dealerhub.config import Environment, Secret, Settings
from dealerhub.dealers.service import create_dealer
from dealerhub.events.models import Event
from dealerhub.payments.models import PaymentIntent

CHUNK = 20_000
GETS = {
    "GET /payment/payment-intents": "/payment/payment-intents?limit=10",
    "GET /events?type=payment_intent.*": "/events?type=payment_intent.*&limit=10",
    "GET /payment/invoices/search": "/payment/invoices/search?status=open&limit=10",
}


def settings_for(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=database_url,
        broker_url=f"filesystem://{data_dir / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=data_dir / "certs",
        tasks_eager=True,
        log_level="ERROR",
    )


def seed(app: Any, dealer_id: str, rows: int) -> float:
    """Bulk-insert ``rows`` succeeded intents and their events, oldest first; returns seconds."""
    db = app.extensions["db"]
    intents = PaymentIntent.__table__  # type: ignore[attr-defined]
    events = Event.__table__  # type: ignore[attr-defined]
    start_at = int(time.time()) - rows  # one per second, ending now
    started = time.perf_counter()
    for first in range(0, rows, CHUNK):
        batch = range(first, min(first + CHUNK, rows))
        pis = [
            {
                "id": f"pi_seed{n:019d}",
                "dealer_id": dealer_id,
                "livemode": False,
                "created": start_at + n,
                "amount": 2000 + n % 5000,
                "currency": "usd",
                "status": "succeeded",
                "payment_method_types": ["card"],
                "capture_method": "automatic",
                "client_secret": f"pi_seed{n:019d}_secret_{n:08d}",
                "amount_received": 2000 + n % 5000,
                "metadata": {},
            }
            for n in batch
        ]
        evts = [
            {
                "id": f"evt_seed{n:018d}",
                "dealer_id": dealer_id,
                "livemode": False,
                "created": start_at + n,
                "type": "payment_intent.succeeded",
                "data": {"object": {"id": f"pi_seed{n:019d}", "object": "payment_intent"}},
                "pending_webhooks": 0,
            }
            for n in batch
        ]
        with db.engine.begin() as conn:
            conn.execute(insert(intents), pis)
            conn.execute(insert(events), evts)
    # A store that grew over months has its pages in the main file and current planner
    # statistics: fold the bulk load's write-ahead log in (SQLite) or analyse (PostgreSQL),
    # or the first measured writes pay for checkpointing a gigabyte of log.
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - started


def measure(app: Any, key: str, repeat: int, creates: int) -> dict[str, float]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    for _ in range(creates):
        r = client.post(
            "/payment/payment-intents",
            json={
                "amount": 2500,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
            },
            headers=headers,
        )
        assert r.status_code == 200, r.get_data(as_text=True)
    out["create+confirm /s"] = creates / (time.perf_counter() - t0)
    for name, path in GETS.items():
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.get_data(as_text=True)
        times.sort()
        out[f"{name} p50 ms"] = statistics.median(times)
        out[f"{name} p99 ms"] = times[max(0, int(len(times) * 0.99) - 1)]
    return out


def store(data_dir: Path, server_url: str | None) -> tuple[Any, str, str]:
    """A migrated store with one dealer: (app, its dealer id, its test secret key)."""
    url = fresh_database(server_url) if server_url else f"sqlite:///{data_dir / 'store.sqlite3'}"
    settings = settings_for(data_dir, url)
    migrate.upgrade(settings)
    app = create_app(settings)
    with app.extensions["db"].transaction() as session:
        dealer, test_keys, _live = create_dealer(session=session, name="Store Motors")
    return app, dealer.id, test_keys.secret_key


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per store")
    parser.add_argument("--repeat", type=int, default=100, help="requests per GET per round")
    parser.add_argument("--creates", type=int, default=100, help="create+confirm per round")
    parser.add_argument("--database-url", default=None, help="default: fresh SQLite files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "empty").mkdir()
        (Path(tmp) / "seeded").mkdir()
        empty_app, _, empty_key = store(Path(tmp) / "empty", args.database_url)
        seeded_app, dealer_id, seeded_key = store(Path(tmp) / "seeded", args.database_url)
        took = seed(seeded_app, dealer_id, args.rows)
        measure(empty_app, empty_key, 20, 20)  # warm-up: caches, first connections
        measure(seeded_app, seeded_key, 20, 20)
        empty_runs, seeded_runs = [], []
        for _ in range(args.rounds):
            empty_runs.append(measure(empty_app, empty_key, args.repeat, args.creates))
            seeded_runs.append(measure(seeded_app, seeded_key, args.repeat, args.creates))
        for app in (empty_app, seeded_app):
            url = app.extensions["settings"].database_url
            app.extensions["db"].dispose()
            if args.database_url:
                drop_database(args.database_url, url)
    empty, seeded = median_of(empty_runs), median_of(seeded_runs)
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"store growth on {kind}: {args.rows:,} intents + events seeded in {took:.0f} s; "
        f"medians of {args.rounds} alternating rounds"
    )
    print(f"| metric | empty store | {args.rows:,} intents | seeded / empty |")
    print("|---|---|---|---|")
    for name, before in empty.items():
        after = seeded[name]
        print(f"| {name} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
