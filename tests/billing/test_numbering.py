"""Gapless per-dealer invoice numbers under concurrency (threads through the API, on SQLite
and, with DEALERHUB_TEST_DATABASE_URL, PostgreSQL), and a rolled-back finalize that gives its
number back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dealerhub.billing.numbering import prefix_for
from tests.billing.conftest import customer, draft, ok
from tests.conftest import Api, assert_error, make_dealer

THREADS = 6
PER_THREAD = 3


def test_prefix_for():
    assert prefix_for("Demo Motors") == "DEMO"
    assert prefix_for("ACME Auto Group") == "ACME"
    assert prefix_for("AJ's Autos") == "AJSAUTOS"
    assert prefix_for("---") == "INV"


def test_concurrent_finalizes_get_gapless_unique_numbers(app, dealer):
    api = Api(app.test_client(), dealer.secret_key)
    cus = customer(api)
    ids = [
        draft(api, cus["id"], collection_method="send_invoice", days_until_due=1)["id"]
        for _ in range(THREADS * PER_THREAD)
    ]
    chunks = [ids[i::THREADS] for i in range(THREADS)]

    def finalize(chunk: list[str]) -> list[str]:
        own = Api(app.test_client(), dealer.secret_key)  # one client per thread
        return [ok(own.post(f"/payment/invoices/{i}/finalize"))["number"] for i in chunk]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = [n for chunk in pool.map(finalize, chunks) for n in chunk]
    expected = [f"TEST-{n:04d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(numbers) == expected
    # Another dealer, and this dealer's live mode, count from 1 on their own.
    other = Api(app.test_client(), make_dealer(app, "Acme Auto").secret_key)
    inv = draft(other, customer(other)["id"], collection_method="send_invoice", days_until_due=1)
    assert ok(other.post(f"/payment/invoices/{inv['id']}/finalize"))["number"] == "ACME-0001"
    live = Api(app.test_client(), dealer.live_secret_key)
    inv = draft(live, customer(live)["id"], collection_method="send_invoice", days_until_due=1)
    assert ok(live.post(f"/payment/invoices/{inv['id']}/finalize"))["number"] == "TEST-0001"


def test_a_rolled_back_finalize_gives_its_number_back(api):
    first = customer(api)
    gone = customer(api, email="gone@example.com")
    doomed = draft(api, gone["id"])
    ok(api.delete(f"/payment/customers/{gone['id']}"))
    # The number is taken, then collecting finds no customer: the whole finalize rolls back.
    assert_error(
        api.post(f"/payment/invoices/{doomed['id']}/finalize"), 404, "invalid_request_error"
    )
    assert ok(api.get(f"/payment/invoices/{doomed['id']}"))["status"] == "draft"
    inv = draft(api, first["id"], collection_method="send_invoice", days_until_due=1)
    assert ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))["number"] == "TEST-0001"
