"""DMS sync benchmark: N leads pushed through the real sync path to a loopback stub DMS.

The stub speaks OpenTrack SOAP (CustomerSearch / CustomerAdd), answers every call after
20 ms, and fails 10% of calls with HTTP 503. Half of the failed CustomerAdd calls fail
*after* storing the customer (the response is lost on the way back), which is the case that
creates duplicate DMS customers in naive integrations. The run asserts that every lead ended
up synced and that the stub holds exactly one customer per lead.

Each worker process runs the Celery task's code (``dealerhub.dms.sync.drain``: claim a
batch of due leads, push it with ``--in-flight`` calls at once, record the outcomes in one
transaction), calling it again whenever it runs dry. Retries are due at once (the backoff
delay is elided: it only adds idle time).

    python bench/dms_sync.py                     # 10,000 leads, 1 and 4 worker processes
    python bench/dms_sync.py --leads 500 --processes 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet

from dealerhub import migrate
from dealerhub.config import Environment, Secret, Settings

LATENCY = 0.020
FAILURE_RATE = 0.10

SEARCH_OK = (
    '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><CustomerSearchResponse xmlns="opentrack.dealertrack.com"><CustomerSearchResult>'
    "{found}</CustomerSearchResult></CustomerSearchResponse></soap:Body></soap:Envelope>"
)
ADD_OK = (
    '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><CustomerAddResponse xmlns="opentrack.dealertrack.com"><CustomerAddResult>'
    "<CustomerNumber>{number}</CustomerNumber></CustomerAddResult></CustomerAddResponse>"
    "</soap:Body></soap:Envelope>"
)


class StubDms:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_email: dict[str, str] = {}
        self.adds_by_reference: dict[str, int] = {}
        self.calls = 0
        self.failures = 0
        self.rng = random.Random(42)

    def handle(self, action: str, body: str) -> tuple[int, str]:
        time.sleep(LATENCY)
        with self.lock:
            self.calls += 1
            fail = self.rng.random() < FAILURE_RATE
            lost_reply = fail and self.rng.random() < 0.5
            if fail:
                self.failures += 1
            if action.endswith("CustomerSearch"):
                if fail:
                    return 503, "Service Unavailable"
                email = _tag(body, "Email")
                number = self.by_email.get(email or "")
                found = f"<CustomerNumber>{number}</CustomerNumber>" if number else ""
                return 200, SEARCH_OK.format(found=found)
            if action.endswith("CustomerAdd"):
                if fail and not lost_reply:
                    return 503, "Service Unavailable"
                email = _tag(body, "Email1") or ""
                reference = _tag(body, "ExternalReference") or ""
                number = str(100000 + len(self.by_email))
                self.by_email[email] = number
                self.adds_by_reference[reference] = self.adds_by_reference.get(reference, 0) + 1
                if lost_reply:
                    return 503, "Service Unavailable"  # stored, but the caller never hears
                return 200, ADD_OK.format(number=number)
            return 500, "unknown action"


def _tag(body: str, name: str) -> str | None:
    match = re.search(rf"<(?:\w+:)?{name}>([^<]*)</", body)
    return match.group(1) if match else None


def serve(stub: StubDms) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, one write per response and no Nagle, as the webhook receiver
        # (dealerhub/events/testing.py): with the defaults (HTTP/1.0, an unbuffered socket
        # file) every header line left as its own packet and delayed ACKs added ~40 ms to
        # each call, so the stub, not the hub, set the pace.
        protocol_version = "HTTP/1.1"
        wbufsize = 65536
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            status, text = stub.handle(self.headers.get("SOAPAction", "").strip('"'), body)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        # Read when the socket starts listening (in the constructor): setting it on the
        # instance afterwards left the default backlog of 5.
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_settings(data_dir: Path, database_url: str, key: str) -> Settings:
    return Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=database_url,
        broker_url=f"filesystem://{data_dir / 'broker'}",
        secret_key=Secret("bench-" + "x" * 40),
        encryption_keys=(Secret(key),),
        certs_dir=data_dir / "certs",
        tasks_eager=True,
        log_level="ERROR",
    )


def worker(
    settings: Settings,
    url: str,
    go: Any,
    stop: Any,
    ready: Any,
    batch_size: int,
    in_flight: int,
) -> None:
    """One worker process: the Celery task's drain (``dealerhub.dms.tasks.drain``), called
    again whenever it runs dry, as the signals of new and retried records would."""
    from dealerhub.app import create_app
    from dealerhub.connectors.dms.dealertrack import DealerTrackCredentials, DealerTrackDms
    from dealerhub.dms import sync

    app = create_app(settings)
    db = app.extensions["db"]
    dms = DealerTrackDms(
        DealerTrackCredentials(url, "bench", "bench-password", "ZE", "ZE7"), timeout=(2.0, 10.0)
    )
    options = sync.Options(
        batch_size=batch_size,
        max_in_flight=in_flight,
        max_attempts=20,
        retry_base=0,  # retry at once: backoff only adds idle time here
        drain_seconds=3600,
    )
    pool = ThreadPoolExecutor(in_flight)
    ready.put(True)
    go.wait()
    with app.app_context():
        while not stop.is_set():
            if not sync.drain(db, connector_factory=lambda _s, _t: dms, options=options, pool=pool):
                time.sleep(0.01)
    pool.shutdown()


def seed(settings: Settings, n: int) -> None:
    from dealerhub.app import create_app
    from dealerhub.db import new_id
    from dealerhub.dms.models import Lead

    app = create_app(settings)
    with app.extensions["db"].transaction() as session:
        for i in range(n):
            session.add(
                Lead(
                    id=new_id("lead"),
                    dealer_id="acct_bench",
                    livemode=True,
                    customer_id="cus_bench",
                    service_provider="dealertrack",
                    email=f"buyer{i}@example.com",
                    last_name="bench",
                    contact={
                        "first_name": "B",
                        "last_name": "Bench",
                        "email": f"buyer{i}@example.com",
                    },
                )
            )
    app.extensions["db"].dispose()


def fresh_database(server_url: str) -> str:
    """A new, empty PostgreSQL database on the server of ``server_url`` for one run."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"dms_bench_{secrets.token_hex(5)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def synced_count(db: Any) -> int:
    from sqlalchemy import func, select

    from dealerhub.dms.models import Lead

    with db.transaction(write=False) as session:
        stmt = select(func.count()).select_from(Lead).where(Lead.sync_status == "synced")
        return int(session.scalar(stmt) or 0)


def run_once(
    n: int, processes: int, batch: int, in_flight: int, database_url: str | None
) -> dict[str, float]:
    from sqlalchemy import select

    from dealerhub.app import create_app
    from dealerhub.dms.models import Lead

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = fresh_database(database_url) if database_url else f"sqlite:///{data_dir / 'b.db'}"
        settings = make_settings(data_dir, url, Fernet.generate_key().decode())
        migrate.upgrade(settings)
        seed(settings, n)
        stub = StubDms()
        server = serve(stub)
        dms_url = f"http://127.0.0.1:{server.server_address[1]}/opentrack"
        ctx = mp.get_context("spawn")
        go, stop = ctx.Event(), ctx.Event()
        ready: mp.Queue = ctx.Queue()
        procs = [
            ctx.Process(target=worker, args=(settings, dms_url, go, stop, ready, batch, in_flight))
            for _ in range(processes)
        ]
        for p in procs:
            p.start()
        for _ in procs:  # time the sync, not interpreter start-up
            ready.get(timeout=120)
        app = create_app(settings)
        db = app.extensions["db"]
        started = time.perf_counter()
        go.set()
        while synced_count(db) < n:
            if time.perf_counter() - started > 600:
                raise SystemExit("benchmark stalled")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        for p in procs:
            p.join(timeout=60)
        server.shutdown()

        with db.transaction(write=False) as session:
            errors = set(session.scalars(select(Lead.sync_last_error).limit(5)))
        synced = synced_count(db)
        db.dispose()
        if database_url:
            drop_database(database_url, url)
        # Exactly once at the DMS: one customer per lead, never two.
        assert synced == n, f"{synced} of {n} leads synced; {errors}"
        assert len(stub.adds_by_reference) == n, "a lead never reached the DMS"
        doubled = [r for r, c in stub.adds_by_reference.items() if c != 1]
        assert not doubled, f"{len(doubled)} leads created twice at the DMS"
        assert len(stub.by_email) == n
        return {
            "seconds": elapsed,
            "leads_per_s": n / elapsed,
            "dms_calls": stub.calls,
            "injected_failures": stub.failures,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--batch", type=int, default=50, help="records claimed at once")
    parser.add_argument("--in-flight", type=int, default=8, help="DMS calls at once per process")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    print(
        f"dms_sync: {args.leads} leads, stub DMS {LATENCY * 1000:.0f} ms, "
        f"{FAILURE_RATE:.0%} failures, database {'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    for processes in args.processes:
        r = run_once(args.leads, processes, args.batch, args.in_flight, args.database_url)
        print(
            f"  {processes} process(es), batches of {args.batch}, {args.in_flight} in flight: "
            f"{r['seconds']:.1f} s, "
            f"{r['leads_per_s']:.0f} leads/s, {r['dms_calls']} DMS calls "
            f"({r['injected_failures']} failed), every lead synced exactly once"
        )


if __name__ == "__main__":
    main()
