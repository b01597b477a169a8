"""Store growth: does the API stay as fast with a million payment intents (and their events)
already in the database as with an empty store?

Seeds ``--rows`` payment intents and one ``payment_intent.succeeded`` event each (bulk
INSERTs, the same dealer and mode the measured requests use: the worst case for the
tenant-scoped indexes), then measures, in process through the WSGI app (no network):

- create+confirm throughput (``POST /payment/payment-intents`` with ``pm_card_visa``);
- p50/p99 latency of ``GET /payment/payment-intents``, ``GET /events?type=payment_intent.*``
  and ``GET /payment/invoices/search?status=open``;

once on the empty store and once after seeding, and prints both with their ratio.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per GET measured")
    parser.add_argument("--creates", type=int, default=200, help="create+confirm requests")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = (
            fresh_database(args.database_url)
            if args.database_url
            else f"sqlite:///{data_dir / 'store.sqlite3'}"
        )
        settings = settings_for(data_dir, url)
        migrate.upgrade(settings)
        app = create_app(settings)
        with app.extensions["db"].transaction() as session:
            dealer, test_keys, _live = create_dealer(session=session, name="Store Motors")
        key = test_keys.secret_key
        measure(app, key, 20, 20)  # warm-up: caches, first connections
        empty = measure(app, key, args.repeat, args.creates)
        took = seed(app, dealer.id, args.rows)
        seeded = measure(app, key, args.repeat, args.creates)
        app.extensions["db"].dispose()
        if args.database_url:
            drop_database(args.database_url, url)
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"store growth on {kind}: {args.rows:,} intents + events seeded in {took:.0f} s")
    print(f"| metric | empty store | {args.rows:,} intents | seeded / empty |")
    print("|---|---|---|---|")
    for name, before in empty.items():
        after = seeded[name]
        print(f"| {name} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
