"""Live-mode create+confirm against a local gateway simulator, beside test mode.

One process, the Flask test client (no HTTP server in front of the hub, so the figure is
the hub's own work), SQLite in a temporary directory. Three timings per round, interleaved so
machine noise hits all three alike:

- the simulator alone: the BlueDog connector's sale straight to the simulator (its latency,
  loopback HTTP included);
- test mode: POST /payment/payment-intents with confirm=true through the sandbox processor;
- live mode: the same request through routing, the BlueDog connector and the simulator.

The hub's overhead of a live payment is live minus the simulator alone.

    .venv/bin/python bench/live_gateway.py --rounds 300
"""

from __future__ import annotations

import argparse
import platform
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from dealerhub import migrate
from dealerhub.app import create_app
from dealerhub.config import Environment, Secret, Settings
from dealerhub.connectors.processors.base import AuthorizeRequest, PaymentSource
from dealerhub.connectors.processors.bluedog import BlueDogProcessor
from dealerhub.dealers.service import create_dealer
from dealerhub.simulators.bluedog import create_app as simulator
from dealerhub.simulators.server import serving


def _settings(data_dir: Path) -> Settings:
    settings = Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'bench.db'}",
        broker_url=f"filesystem://{data_dir / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=data_dir / "certs",
        log_json=True,
        tasks_eager=True,
    )
    migrate.upgrade(settings)
    return settings


def _ms(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"median {statistics.median(samples):.2f} ms, p95 {q[94]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serving(simulator()) as sim_url:
        app = create_app(_settings(Path(tmp)))
        with app.extensions["db"].transaction() as session:
            _dealer, test, live = create_dealer(session=session, name="Bench Motors")
        client = app.test_client()

        def call(key: str, method: str, path: str, body: Any = None) -> Any:
            r = client.open(
                path, method=method, json=body, headers={"Authorization": f"Bearer {key}"}
            )
            assert r.status_code == 200, r.get_data(as_text=True)
            return r.get_json()

        block = {
            "environment": "production",
            "api_url": sim_url,
            "api_key": "sim_api_key",
            "public_key": "pub_sim_public",
        }
        call(
            live.secret_key,
            "POST",
            "/configuration",
            {"payment_gateways": {"bluedog": block}, "payment_routing": {"default": "bluedog"}},
        )
        direct = BlueDogProcessor(block)

        def token() -> str:
            r = requests.post(
                f"{sim_url}/__simulator__/tokenize",
                json={
                    "card": {"number": "4111111111111111", "expiration_date": "12/34", "cvc": "123"}
                },
                timeout=10,
            )
            return str(r.json()["token"])

        def pm(key: str, card: dict[str, Any], **extra: Any) -> str:
            return str(
                call(
                    key, "POST", "/payment/payment-methods", {"type": "card", "card": card, **extra}
                )["id"]
            )

        timings: dict[str, list[float]] = {"simulator": [], "test": [], "live": []}
        for i in range(args.rounds):
            src = PaymentSource(type="card", token=token())
            t0 = time.perf_counter()
            direct.authorize(AuthorizeRequest(f"ch_bench{i:020d}", 4200, "usd", src, capture=True))
            timings["simulator"].append((time.perf_counter() - t0) * 1000)
            test_pm = pm(test.secret_key, {"token": "tok_visa"})
            live_pm = pm(live.secret_key, {"token": token()}, processor="bluedog")
            for mode, key, pm_id in (
                ("test", test.secret_key, test_pm),
                ("live", live.secret_key, live_pm),
            ):
                t0 = time.perf_counter()
                out = call(
                    key,
                    "POST",
                    "/payment/payment-intents",
                    {"amount": 4200, "currency": "usd", "payment_method": pm_id, "confirm": True},
                )
                timings[mode].append((time.perf_counter() - t0) * 1000)
                assert out["status"] == "succeeded"
        overhead = statistics.median(timings["live"]) - statistics.median(timings["simulator"])
        print(
            f"# {time.strftime('%Y-%m-%d')} · {platform.node()} · {platform.machine()} · "
            f"python bench/live_gateway.py --rounds {args.rounds}"
        )
        for name in ("simulator", "test", "live"):
            print(f"{name:9s} {_ms(timings[name])}")
        print(
            f"hub overhead of a live create+confirm over the simulator: {overhead:.2f} ms (median)"
        )


if __name__ == "__main__":
    main()
