"""``dealerhub listen`` and ``dealerhub trigger`` against a live server (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dealerhub.cli import main
from dealerhub.events.testing import Receiver
from dealerhub.web import devtools
from dealerhub.webhooks import HEADER, verify
from tests.livehub import LiveHub, live_hub

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hub(base_settings: Any, app: Any) -> Iterator[LiveHub]:
    with live_hub(base_settings, app, "CLI Motors") as served:
        yield served


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _types(hub: LiveHub, type_: str) -> list[dict[str, Any]]:
    page = hub.api.get("/events", query_string={"type": type_, "limit": 100}).get_json()
    data: list[dict[str, Any]] = page["data"]
    return data


@pytest.mark.parametrize("event_type", sorted(devtools.TRIGGERS))
def test_trigger_emits_the_event(hub: LiveHub, event_type: str) -> None:
    before = len(_types(hub, event_type))
    result = _cli("trigger", event_type, "--api-key", hub.dealer.secret_key, "--hub", hub.url)
    assert result.exit_code == 0, result.output
    assert "Trigger succeeded!" in result.output
    assert len(_types(hub, event_type)) > before


def test_trigger_refuses_live_keys_and_unknown_types(hub: LiveHub) -> None:
    live = CliRunner().invoke(
        main,
        ["trigger", "customer.created", "--api-key", hub.dealer.live_secret_key, "--hub", hub.url],
    )
    assert live.exit_code == 2
    assert "test secret key" in live.output
    typo = CliRunner().invoke(
        main,
        [
            "trigger",
            "payment_intnet.succeeded",
            "--api-key",
            hub.dealer.secret_key,
            "--hub",
            hub.url,
        ],
    )
    assert typo.exit_code == 1
    assert "unknown event type" in typo.output
    assert _types(hub, "payment_intnet.*") == []


def test_trigger_reports_an_unreachable_hub_in_one_line(hub: LiveHub) -> None:
    result = CliRunner().invoke(
        main,
        [
            "trigger",
            "customer.created",
            "--api-key",
            hub.dealer.secret_key,
            "--hub",
            "http://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 1
    assert "Cannot reach the hub at http://127.0.0.1:9" in result.output


@pytest.mark.slow
def test_listen_forwards_signed_events_from_a_live_server(hub: LiveHub) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALERHUB_")}
    env["PYTHONPATH"] = str(ROOT)
    env["DEALERHUB_API_KEY"] = hub.dealer.secret_key
    secret = subprocess.run(
        [sys.executable, "-m", "dealerhub", "listen", "--forward-to", "http://x", "--print-secret"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert secret.startswith("whsec_")
    receiver = Receiver().start()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "dealerhub", "listen",
            "--hub", hub.url,
            "--forward-to", receiver.url,
            "--events", "payment_intent.*",
            "--max-events", "2",
            "--interval", "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        ready = proc.stderr.readline()
        assert f"Ready! Your webhook signing secret is {secret}" in ready
        hub.api.post("/payment/customers", json={"name": "Not forwarded"})  # filtered out
        pi = hub.api.post(
            "/payment/payment-intents",
            json={
                "amount": 2500,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_visa",
            },
        ).get_json()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        receiver.stop()
    assert proc.returncode == 0, err
    got = [r.json() for r in receiver.requests]
    assert [e["type"] for e in got] == ["payment_intent.created", "payment_intent.succeeded"]
    assert {e["data"]["object"]["id"] for e in got} == {pi["id"]}
    for request in receiver.requests:
        assert verify(request.body, request.headers[HEADER], secret)
        assert request.headers["Content-Type"] == "application/json"
    assert f"--> payment_intent.succeeded [{got[1]['id']}]" in out
    assert f"<--  [200] POST {receiver.url} [{got[1]['id']}]" in out


def test_listen_rejects_unknown_event_filters(hub: LiveHub) -> None:
    result = CliRunner().invoke(
        main,
        [
            "listen", "--forward-to", "http://127.0.0.1:9/hook", "--events", "payment_intnet.*",
            "--api-key", hub.dealer.secret_key, "--hub", hub.url,
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not an event type the hub emits" in result.output


def test_listen_secret_is_stable_per_key() -> None:
    assert devtools.listen_secret("sk_test_a") == devtools.listen_secret("sk_test_a")
    assert devtools.listen_secret("sk_test_a") != devtools.listen_secret("sk_test_b")
