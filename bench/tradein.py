"""Trade-in benchmark (issue 13): a full drill-down (makes -> models -> model years ->
vehicle -> options -> value) per iteration against a running ``dealerhub serve`` on
127.0.0.1 with the sandbox provider, beside ``GET /api-version`` served by the same server,
at 8 concurrent clients (a publishable key, as website widgets call it).

    python bench/tradein.py [--seconds 20] [--rounds 3] [--clients 8] [--write]

Each drill-down walks a different make, model and year (a fixed random sequence), and values
a random mileage, so most valuations miss the day cache as a stream of real visitors would.
``--write`` puts the table into docs/benchmarks.md between this script's markers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
from pathlib import Path

import requests
from harness import CLI, ROOT, Step, run_clients, store, wait_up

BEGIN = "<!-- bench/tradein.py figures: begin -->"
END = "<!-- bench/tradein.py figures: end -->"
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def drill_down(s: requests.Session, base: str, rng: random.Random) -> int:
    """One visitor's drill-down; returns the number of requests that were not 200."""
    bad = 0

    def post(path: str, body: dict) -> dict:
        nonlocal bad
        r = s.post(f"{base}/tradein/{path}", json=body, timeout=30)
        if r.status_code != 200:
            bad += 1
            return {"data": []}
        return r.json()

    year = rng.randint(2005, 2024)
    makes = post("get-tradein-makes", {"filter": {"year": year}})["data"]
    make = rng.choice(makes)
    models = post("get-tradein-models", {"make_id": make["make_id"], "filter": {"year": year}})
    model = rng.choice(models["data"])
    post("get-tradein-modelyears", {"make_id": make["make_id"], "model_id": model["model_id"]})
    vehicles = post("get-tradein-vehicle", {"model_id": model["model_id"], "year": year})["data"]
    vehicle = rng.choice(vehicles)
    options = post("get-tradein-allOptions", {"vehicle_id": vehicle["vehicle_id"]})["data"]
    chosen = [o["option_id"] for o in options if not o["standard"]][:2]
    post(
        "get-tradein-vehiclevalue",
        {
            "vehicle_id": vehicle["vehicle_id"],
            "mileage": rng.randint(5_000, 200_000),
            "zip_code": rng.choice(["75201", "90210", "60601", "10001", "33101", "48201"]),
            "condition": rng.choice(["rough", "average", "clean", "extra_clean"]),
            "option_ids": chosen,
        },
    )
    return bad


def load(base: str, kind: str, clients: int, seed: int) -> Step:
    """Drill-downs (each client on its own fixed random sequence) or the api-version floor."""
    if kind != "drill":
        return lambda s, _n: int(s.get(f"{base}/api-version", timeout=30).status_code != 200)
    rngs = [random.Random(seed * 100 + n) for n in range(clients)]
    return lambda s, n: drill_down(s, base, rngs[n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8831)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-tradein-"))
    env, dealer = store(data_dir)
    key = dealer["publishable_key"]
    base = f"http://127.0.0.1:{args.port}"
    argv = [
        *CLI,
        "serve",
        "--no-worker",
        "--port",
        str(args.port),
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
    ]
    proc = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results: dict[str, list[dict]] = {"drill": [], "api-version": []}
    try:
        wait_up(f"{base}/healthz")
        # Warm both workers (each loads the catalogue once) before measuring.
        run_clients(key, args.clients, 2, load(base, "drill", args.clients, seed=0))
        for r in range(args.rounds):  # alternate, so both see the same machine drift
            for kind in results:
                step = load(base, kind, args.clients, seed=r + 1)
                results[kind].append(run_clients(key, args.clients, args.seconds, step))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()

    lines = [
        "Trade-in, sandbox provider, SQLite, "
        f"`dealerhub serve` ({WORKERS} workers x {THREADS} threads), "
        f"{args.clients} clients, {args.rounds} rounds of {args.seconds:.0f} s, median of rounds:",
        "",
        "| load | per second | p50 ms | p99 ms | iterations | errors |",
        "|---|---|---|---|---|---|",
    ]
    for kind, label in (
        ("drill", "full drill-down (6 POSTs)"),
        ("api-version", "GET /api-version"),
    ):
        rows = results[kind]
        med = {k: statistics.median(r[k] for r in rows) for k in ("per_s", "p50", "p99")}
        lines.append(
            f"| {label} | {med['per_s']:.1f} | {med['p50']:.1f} | {med['p99']:.1f} | "
            f"{sum(r['n'] for r in rows)} | {sum(r['errors'] for r in rows)} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        doc = ROOT / "docs/benchmarks.md"
        text = doc.read_text()
        block = f"{BEGIN}\n{table}\n{END}"
        if BEGIN in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip() + "\n\n## Trade-in drill-down\n\n" + block + "\n"
        doc.write_text(text)


if __name__ == "__main__":
    main()
