"""Throughput and p50/p99 latency of create+confirm (automatic capture, ``pm_card_visa``)
against a running ``dealerhub serve`` on 127.0.0.1, at 1, 8 and 32 concurrent clients, on
SQLite and PostgreSQL, beside the floor app (bench/floor_app.py) served the same way.

    python bench/payments.py [--seconds 5] [--rounds 3] [--no-pg | --no-sqlite]
                             [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Writes the figures into docs/benchmarks.md between its ``bench/payments.py figures`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from harness import CLI, PY, ROOT, Step, run_clients, store, wait_up
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

LEVELS = (1, 8, 32)
HUB = "dealerhub create+confirm"
FLOOR = "floor (key check + 1 insert)"
# docs/benchmarks.md: the lines between these markers are rewritten by each run.
BEGIN = "<!-- bench/payments.py figures: begin -->"
END = "<!-- bench/payments.py figures: end -->"
# dealerhub serve's defaults; BENCH_WORKERS / BENCH_THREADS try other shapes.
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def post(url: str, body: dict) -> Step:
    return lambda session, _n: int(session.post(url, json=body, timeout=30).status_code != 200)


def start(argv: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench_db(
    label: str, db_url: str, seconds: float, rounds: int, port: int, levels: tuple[int, ...]
) -> list[dict]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    env, dealer = store(data_dir, db_url)
    key = dealer["secret_key"]
    servers = {
        HUB: (
            [
                *CLI,
                "serve",
                "--no-worker",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
            ],
            f"http://127.0.0.1:{port}/healthz",
            f"http://127.0.0.1:{port}/payment/payment-intents",
            {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
        ),
        FLOOR: (
            [
                PY,
                "-m",
                "gunicorn",
                "-k",
                "gthread",
                "-w",
                str(WORKERS),
                "--threads",
                str(THREADS),
                "-b",
                f"127.0.0.1:{port + 1}",
                "bench.floor_app:app",
            ],
            f"http://127.0.0.1:{port + 1}/floor",
            f"http://127.0.0.1:{port + 1}/floor",
            {"amount": 2000},
        ),
    }
    # Both servers run side by side (an idle one costs nothing) and the load alternates
    # between them, round after round: this machine's speed drifts by tens of percent over
    # minutes, and alternating puts the hub and the floor under the same drift.
    procs = [start(argv, env) for argv, _, _, _ in servers.values()]
    rows = []
    try:
        for _, health, url, body in servers.values():
            wait_up(health)
            run_clients(key, 4, 2, post(url, body))  # warm-up
        for clients in levels:
            runs: dict[str, list[dict]] = {name: [] for name in servers}
            for _round in range(rounds):
                for name, (_, _, url, body) in servers.items():
                    runs[name].append(run_clients(key, clients, seconds, post(url, body)))
            ratios = [h["per_s"] / f["per_s"] for h, f in zip(runs[HUB], runs[FLOOR], strict=True)]
            for name, results in runs.items():
                latencies = sorted(x for r in results for x in r["latencies"])
                q = statistics.quantiles(latencies, n=100)
                rows.append(
                    {
                        "db": label,
                        "app": name,
                        "clients": clients,
                        "rps": statistics.median(r["per_s"] for r in results),
                        "rps_runs": [round(r["per_s"]) for r in results],
                        "p50": q[49] * 1000,
                        "p99": q[98] * 1000,
                        "n": len(latencies),
                        "errors": sum(r["errors"] for r in results),
                        "ratio": statistics.median(ratios) if name == HUB else None,
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    finally:
        for proc in procs:
            stop(proc)
    shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def write_markdown(rows: list[dict], command: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text_ = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = [
        f"Machine: {os.cpu_count()} cores ({platform.machine()}, {platform.system()}), "
        f"Python {platform.python_version()}. Date: {dt.date.today().isoformat()}.",
        f"Command: `{command}`. Servers: gunicorn gthread, {WORKERS} workers x {THREADS} "
        "threads, on 127.0.0.1; the load generator runs on the same machine. Each level runs "
        "in rounds that alternate between the hub and the floor; req/s is the median round "
        "(every round in brackets), latencies are over all rounds.",
        "",
        "| database | app | clients | req/s | rounds | p50 ms | p99 ms | requests | errors |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['db']} | {r['app']} | {r['clients']} | {r['rps']:.0f} | "
            f"{', '.join(map(str, r['rps_runs']))} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['n']} | {r['errors']} |"
        )
    lines.append("")
    hub_rows = [r for r in rows if r["app"] == HUB]
    for r in hub_rows:
        lines.append(
            f"- {r['db']}, {r['clients']} client{'s' if r['clients'] > 1 else ''}: "
            f"create+confirm runs at {r['ratio']:.0%} of "
            "the floor's throughput (median of the rounds' ratios)."
        )
    for r in hub_rows:
        if r["clients"] == 8:
            met = r["ratio"] >= 0.5 and r["p99"] < 100
            lines.append(
                f"- Target at 8 clients on {r['db']} (>= half the floor, p99 < 100 ms): "
                f"{'met' if met else 'MISSED'}."
            )
    block = "\n".join([BEGIN, *lines, END])
    if BEGIN in text_ and END in text_:
        # Replace only the generated figures; the notes written around them stay.
        head, rest = text_.split(BEGIN, 1)
        text_ = head + block + rest.split(END, 1)[1]
    else:
        text_ = text_.rstrip("\n") + "\n\n## payments\n\n" + block + "\n"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text_)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5, help="per round and app")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument(
        "--clients", default=",".join(map(str, LEVELS)), help="comma-separated levels"
    )
    parser.add_argument("--no-docs", action="store_true", help="print only, keep the docs")
    args = parser.parse_args()
    levels = tuple(int(n) for n in args.clients.split(","))
    rows = []
    if not args.no_sqlite:
        sqlite_dir = Path(tempfile.mkdtemp(prefix="bench-sqlite-db-"))
        rows += bench_db(
            "SQLite",
            f"sqlite:///{sqlite_dir / 'bench.sqlite3'}",
            args.seconds,
            args.rounds,
            args.port,
            levels,
        )
    if not args.no_pg:
        admin_url = make_url(args.pg)
        name = f"bench_payments_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            rows += bench_db("PostgreSQL", url, args.seconds, args.rounds, args.port + 10, levels)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if not args.no_docs:
        write_markdown(rows, " ".join(["python bench/payments.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
