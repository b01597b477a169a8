"""Sending an invoice: the e-mail reaches a real SMTP server (aiosmtpd on 127.0.0.1) with the
amount, due date, hosted link and the PDF attached, exactly once per send; without SMTP it is
an .eml file that ``dealerhub mail list`` shows; transient SMTP failures are retried."""

from __future__ import annotations

import io
import socket
from email import message_from_bytes, policy
from typing import Any

import pypdf
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from dealerhub.billing import tasks
from dealerhub.billing.cli import mail
from dealerhub.billing.models import InvoiceEmail
from dealerhub.billing.money import day
from dealerhub.clikit import Context
from tests.billing.conftest import customer, draft, ok
from tests.conftest import assert_error


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse_next = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks itself by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = app.extensions["settings"]
    app.extensions["settings"] = settings.with_overrides(
        extra={
            **settings.extra,
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "MAIL_FROM": "billing@testmotors.example",
        }
    )
    yield inbox
    app.extensions["settings"] = settings
    controller.stop()


def _sendable(api):
    cus = customer(api, name="Ann Buyer", email="ann@example.com")
    return draft(api, cus["id"], collection_method="send_invoice", days_until_due=30)


def test_send_emails_the_customer_once_with_the_pdf(app, api, smtp, events):
    inv = _sendable(api)
    sent = ok(api.post(f"/payment/invoices/{inv['id']}/send"))  # finalizes the draft first
    assert sent["status"] == "open" and sent["number"] == "TEST-0001"
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Invoice TEST-0001 from Test Motors"
    assert "billing@testmotors.example" in msg["From"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Amount due: 499.00 USD" in body and sent["hosted_invoice_url"] in body
    assert f"Due date: {day(sent['due_date'])}" in body
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "Invoice-TEST-0001.pdf"
    text = pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "Invoice TEST-0001" in text and "Ann Buyer" in text
    assert [e["type"] for e in events() if e["type"] in ("invoice.finalized", "invoice.sent")] == [
        "invoice.finalized",
        "invoice.sent",
    ]
    # The task again (a redelivered message, the sweep): nothing is sent twice.
    with app.extensions["db"].transaction() as s:
        (row,) = s.scalars(select(InvoiceEmail).where(InvoiceEmail.invoice_id == inv["id"])).all()
        assert row.status == "sent" and row.attempts == 1
    assert tasks.send_invoice_email(row.id) == "skipped"
    assert len(smtp.messages) == 1
    # A second send is a second e-mail.
    ok(api.post(f"/payment/invoices/{inv['id']}/send"))
    assert len(smtp.messages) == 2


def test_transient_smtp_failure_is_retried_not_duplicated(app, api, smtp):
    inv = _sendable(api)
    smtp.refuse_next = 1
    ok(api.post(f"/payment/invoices/{inv['id']}/send"))
    assert smtp.messages == []  # 451: the eager task failed once and left the e-mail pending
    with app.extensions["db"].transaction() as s:
        (row,) = s.scalars(select(InvoiceEmail).where(InvoiceEmail.invoice_id == inv["id"])).all()
        assert (row.status, row.last_error) == ("pending", "ConnectorUnavailable 451")
    assert tasks.send_invoice_email(row.id) == "sent"  # the retry
    assert tasks.send_invoice_email(row.id) == "skipped"
    assert len(smtp.messages) == 1


def test_send_needs_a_customer_email(api, events):
    cus = customer(api, email=None)
    inv = draft(api, cus["id"], collection_method="send_invoice", days_until_due=5)
    body = assert_error(
        api.post(f"/payment/invoices/{inv['id']}/send"), 400, "invalid_request_error"
    )
    assert body["param"] == "customer" and body["code"] == "customer_email_missing"
    assert ok(api.get(f"/payment/invoices/{inv['id']}"))["status"] == "draft"
    assert events("invoice.sent") == []


def test_without_smtp_mail_is_an_eml_file_and_mail_list_shows_it(app, api, tmp_path):
    settings = app.extensions["settings"]
    app.extensions["settings"] = settings.with_overrides(
        data_dir=tmp_path, extra={k: v for k, v in settings.extra.items() if k != "SMTP_URL"}
    )
    try:
        inv = _sendable(api)
        ok(api.post(f"/payment/invoices/{inv['id']}/send"))
        files = list((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 1
        msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert msg["To"] == "ann@example.com"
        runner = app.test_cli_runner()
        out = runner.invoke(mail, ["list"], obj=Context(app=app))
        assert out.exit_code == 0, out.output
        assert (
            "ann@example.com" in out.output and "Invoice TEST-0001 from Test Motors" in out.output
        )
        assert "Invoice-TEST-0001.pdf" in out.output
    finally:
        app.extensions["settings"] = settings
