"""A client generated from /openapi.json by openapi-python-client pays a deposit against a
live server, without hand edits (issue 15)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.livehub import LiveHub, live_hub

pytestmark = pytest.mark.slow
GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).with_name("openapi-python-client")
)


@pytest.fixture(scope="module")
def hub(base_settings: Any, app: Any) -> Iterator[LiveHub]:
    with live_hub(base_settings, app, "Generated Client Motors") as served:
        yield served


@pytest.fixture(scope="module")
def generated(hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(GENERATOR).exists():
        pytest.skip("openapi-python-client is not installed (pip install openapi-python-client)")
    work = tmp_path_factory.mktemp("client")
    spec = work / "openapi.json"
    spec.write_text(json.dumps(hub.app.test_client().get("/openapi.json").get_json()))
    done = subprocess.run(
        [GENERATOR, "generate", "--path", str(spec), "--meta", "none", "--output-path",
         str(work / "dealerhub_client")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (work / "dealerhub_client" / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module("dealerhub_client")
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m.startswith("dealerhub_client")]:
            del sys.modules[name]


def test_generated_client_pays_a_deposit(hub: LiveHub, generated: Any) -> None:
    def api(name: str) -> Any:
        return importlib.import_module(f"dealerhub_client.api.{name}")

    models = importlib.import_module("dealerhub_client.models")
    server = generated.AuthenticatedClient(
        base_url=hub.url, token=hub.dealer.secret_key, raise_on_unexpected_status=True
    )
    browser = generated.AuthenticatedClient(base_url=hub.url, token=hub.dealer.publishable_key)

    customer = api("customers.post_payment_customers").sync(
        client=server.with_headers({"Idempotency-Key": "gen-cus-1"}),
        body=models.CustomerCreate(name="Jane Doe", email="jane@example.com"),
    )
    assert isinstance(customer, models.Customer), customer
    intent = api("payments.post_payment_payment_intents").sync(
        client=server.with_headers({"Idempotency-Key": "gen-pi-1"}),
        body=models.IntentCreate(
            amount=50000, currency=models.IntentCreateCurrency("usd"), customer=customer.id
        ),
    )
    assert isinstance(intent, models.PaymentIntent), intent
    assert intent.status == "requires_payment_method"
    card = api("payments.post_payment_payment_methods").sync(
        client=browser,
        body=models.PaymentMethodCreate(
            type_=models.PaymentMethodCreateType.CARD,
            card=models.CardIn(number="4242424242424242", exp_month=12, exp_year=2034, cvc="123"),
        ),
    )
    assert isinstance(card, models.PaymentMethod), card
    paid = api("payments.post_payment_payment_intents_payment_intent_id_confirm").sync(
        intent.id,
        client=browser.with_headers({"Idempotency-Key": "gen-confirm-1"}),
        body=models.Confirm(client_secret=intent.client_secret, payment_method=card.id),
    )
    assert isinstance(paid, models.PaymentIntent), paid
    assert paid.status == "succeeded"
    assert paid.amount_received == 50000

    # Errors come back as the documented envelope, typed.
    declined = api("payments.post_payment_payment_intents").sync_detailed(
        client=server,
        body=models.IntentCreate(
            amount=50000,
            currency=models.IntentCreateCurrency("usd"),
            payment_method="pm_card_chargeDeclined",
            confirm=True,
        ),
    )
    assert declined.status_code == 402
    assert isinstance(declined.parsed, models.ApiError)
    assert declined.parsed.error.code == "card_declined"
