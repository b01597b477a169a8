"""Fault test (issue 16): the web server's processes killed with SIGKILL under payment load.

Clients create+confirm payments with Idempotency-Keys and retry a request whose connection
died, as a careful integration does, while gunicorn's worker processes are killed twice. A
request cut off by the kill committed all of its work or none of it: afterwards every
payment is whole (succeeded, one succeeded charge, its events), no key made two payments,
and every payment a client was told about exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import requests

from tests.test_serve import _free_port
from tests.test_serve_supervision import children, wait_for

CLIENTS = 4


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "dealerhub", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout


def _all(base: str, key: str, path: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = requests.get(
            f"{base}{path}",
            params={"limit": "100", **params},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        params = {**params, "starting_after": page["data"][-1]["id"]}


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=5).ok
    except requests.RequestException:  # not listening yet, or still starting
        return False


@pytest.mark.slow
def test_killing_web_workers_under_load_leaves_every_payment_whole(tmp_path):
    env = {**os.environ, "DEALERHUB_DATA_DIR": str(tmp_path / "var")}
    env["DEALERHUB_LOG_LEVEL"] = "WARNING"
    env.pop("DEALERHUB_DATABASE_URL", None)
    env.pop("DEALERHUB_BROKER_URL", None)
    _cli(env, "db", "upgrade")
    key = json.loads(_cli(env, "dealers", "create", "--name", "Fault", "--json").splitlines()[-1])[
        "secret_key"
    ]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dealerhub", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    told: list[str] = []  # payment ids clients got a 200 for
    outcomes: Counter[str] = Counter()
    keys: list[str] = []
    unfinished: list[str] = []  # keys that never got their 200
    lock = threading.Lock()
    stop = threading.Event()  # clients pay until both kills are over, however fast the machine

    def client() -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {key}"
        while not stop.is_set():
            idem = uuid.uuid4().hex
            with lock:
                keys.append(idem)
            body = {
                "amount": 2000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "metadata": {"idem": idem},
            }
            for _attempt in range(10):
                try:
                    r = http.post(
                        f"{base}/payment/payment-intents",
                        json=body,
                        headers={"Idempotency-Key": idem},
                        timeout=30,
                    )
                # Killed before the answer, or half-way through sending it.
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    with lock:
                        outcomes["connection_error"] += 1
                    time.sleep(0.3)
                    continue  # the same key again: a replay, never a second payment
                with lock:
                    outcomes[str(r.status_code)] += 1
                    if r.status_code == 200:
                        told.append(r.json()["id"])
                if r.status_code == 409:
                    # The key's request is still running. A killed request's lock on the key
                    # ends with it, so a retry soon runs; it must not take minutes.
                    time.sleep(0.3)
                    continue
                break
            else:
                with lock:
                    unfinished.append(idem)

    try:
        assert wait_for(lambda: _up(base), 90)
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        killed = 0
        for pause in (1.0, 1.5):
            time.sleep(pause)
            workers = children(proc.pid, "")
            if workers:
                os.kill(workers[0], signal.SIGKILL)  # gunicorn's arbiter starts another
                killed += 1
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=300)
        assert killed == 2

        intents = _all(base, key, "/payment/payment-intents")
        charges = _all(base, key, "/payment/charges")
        succeeded = _all(base, key, "/events", type="payment_intent.succeeded")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    assert outcomes["200"] > 0 and set(outcomes) <= {"200", "409", "connection_error"}, outcomes
    assert outcomes["connection_error"] > 0, "no kill cut a client off: the test checked nothing"
    ids = {pi["id"] for pi in intents}
    assert set(told) <= ids, "a client was told of a payment that does not exist"
    per_key = Counter(pi["metadata"]["idem"] for pi in intents)
    assert max(per_key.values()) == 1, "one Idempotency-Key made two payments"
    # Every key made its payment in the end, even the ones whose first request was killed.
    assert not unfinished, (unfinished, outcomes)
    assert set(per_key) == set(keys)
    for pi in intents:  # every payment is whole: nothing half-written by a killed request
        assert pi["status"] == "succeeded" and pi["amount_received"] == 2000, pi
    by_intent = Counter(ch["payment_intent"] for ch in charges)
    assert by_intent == Counter(ids), "a payment without exactly one charge"
    assert all(ch["status"] == "succeeded" and ch["captured"] for ch in charges)
    assert Counter(e["data"]["object"]["id"] for e in succeeded) == Counter(ids)
