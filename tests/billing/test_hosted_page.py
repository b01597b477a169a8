"""The customer's side: the hosted page (no API key), paying it with test cards through a
PaymentIntent, a declined card, the closed page of a paid or void invoice, and the PDF."""

from __future__ import annotations

import io

import pypdf

from tests.billing.conftest import customer, draft, ok


def _open_invoice(api, **kw):
    cus = customer(api, name="Ann Buyer", email="ann@example.com")
    lines = [
        {"amount": 49900, "description": "Documentation fee"},
        {"amount": 2500, "description": "Plate transfer", "quantity": 2},
    ]
    inv = draft(
        api,
        cus["id"],
        lines,
        collection_method="send_invoice",
        days_until_due=10,
        footer="Thanks!",
        **kw,
    )
    return ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))


def _path(inv):
    return "/" + inv["hosted_invoice_url"].split("/", 3)[3]


def test_page_needs_no_key_and_shows_the_invoice(api, client):
    inv = _open_invoice(api)
    page = client.get(_path(inv))
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for text in (
        "Test Motors",
        inv["number"],
        "Documentation fee",
        "Plate transfer",
        "549.00 USD",
        "Thanks!",
        "4242 4242 4242 4242",
    ):
        assert text in html, text
    assert client.get("/invoices/hosted/" + "x" * 43).status_code == 404
    tampered = _path(inv)[:-1] + ("B" if _path(inv)[-1] == "A" else "A")
    assert client.get(tampered).status_code == 404


def test_pay_with_a_test_card_then_the_page_is_closed(api, client, events):
    inv = _open_invoice(api)
    pay = f"{_path(inv)}/pay"
    declined = client.post(
        pay,
        data={"number": "4000000000000002", "exp_month": "12", "exp_year": "2040", "cvc": "123"},
    )
    assert declined.status_code == 402
    assert "Your card was declined" in declined.get_data(as_text=True)
    after = ok(api.get(f"/payment/invoices/{inv['id']}"))
    assert after["status"] == "open" and after["last_finalization_error"]["code"] == "card_declined"
    assert len(events("invoice.payment_failed")) == 1
    done = client.post(
        pay,
        data={"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "2040", "cvc": "123"},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(_path(inv))
    paid = ok(api.get(f"/payment/invoices/{inv['id']}"))
    assert paid["status"] == "paid" and paid["amount_paid"] == 54900
    pi = ok(api.get(f"/payment/payment-intents/{paid['payment_intent']}"))
    assert (
        pi["status"] == "succeeded" and pi["amount"] == 54900 and pi["customer"] == inv["customer"]
    )
    assert len(events("invoice.paid")) == 1
    page = client.get(_path(inv)).get_data(as_text=True)
    assert "Paid" in page and 'id="pay"' not in page
    again = client.post(
        pay, data={"number": "4242424242424242", "exp_month": "12", "exp_year": "2040"}
    )
    assert again.status_code == 400 and "is paid" in again.get_data(as_text=True)
    assert len(events("charge.succeeded")) == 1  # nothing charged twice


def test_bad_form_and_void_invoice(api, client):
    inv = _open_invoice(api)
    pay = f"{_path(inv)}/pay"
    bad = client.post(pay, data={"number": "4242424242424242"})
    assert bad.status_code == 400 and "expiry" in bad.get_data(as_text=True)
    assert client.post(pay, data={}).status_code == 400
    ok(api.post(f"/payment/invoices/{inv['id']}/void"))
    page = client.get(_path(inv)).get_data(as_text=True)
    assert "voided" in page and 'id="pay"' not in page
    assert (
        client.post(
            pay, data={"number": "4242424242424242", "exp_month": "1", "exp_year": "2040"}
        ).status_code
        == 400
    )


def test_pdf_has_the_invoice(api, client):
    inv = _open_invoice(api, description="Deal D-7")
    response = client.get(_path(inv) + "/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF-")
    text = pypdf.PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text()
    for expected in (
        "Test Motors",
        f"Invoice {inv['number']}",
        "Status OPEN",
        "Ann Buyer",
        "ann@example.com",
        "Documentation fee",
        "Plate transfer",
        "549.00 USD",
        "Deal D-7",
        "Thanks!",
    ):
        assert expected in text, (expected, text)
    assert inv["invoice_pdf"].endswith("/pdf")
