"""Invoice e-mails: what the message says, and the claim → send → record cycle that makes
sure one ``send`` is delivered at most once.

The task claims the row (pending → sending) in its own short transaction, talks to the mail
server with no transaction open (a slow server never holds a database lock), then records
the outcome. A retried or duplicated task finds the row no longer pending and does nothing;
a transient failure puts it back to pending for the retry. A worker killed mid-send leaves
it ``sending``: it is not sent again automatically (it may have gone out), and
``dealerhub mail list`` shows it.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing import pdf
from dealerhub.billing.models import Invoice, InvoiceEmail
from dealerhub.billing.money import day, fmt
from dealerhub.connectors.base import ConnectorError
from dealerhub.db import lock, now
from dealerhub.dealers.service import get_dealer

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def message_for(
    invoice: Invoice, dealer_name: str, to: str, sender: str, msg_id: str
) -> EmailMessage:
    """The e-mail: amount, due date and hosted link in the text, the PDF attached."""
    due = fmt(invoice.amount_due - invoice.amount_paid, invoice.currency)
    msg = EmailMessage()
    msg["Subject"] = f"Invoice {invoice.number} from {dealer_name}"
    msg["From"] = formataddr((dealer_name, sender))
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id  # fixed per send: a receiving server can drop a duplicate
    lines = [
        f"Hello {invoice.customer_name or ''},".replace(" ,", ","),
        "",
        f"{dealer_name} has sent you invoice {invoice.number}.",
        "",
        f"Amount due: {due}",
        f"Due date: {day(invoice.due_date)}",
        f"Status: {invoice.status}",
        "",
        f"View and pay online: {invoice.hosted_invoice_url}",
        "",
        "The invoice is attached as a PDF.",
    ]
    if invoice.footer:
        lines += ["", invoice.footer]
    msg.set_content("\n".join(lines))
    msg.add_attachment(
        pdf.render(invoice, dealer_name),
        maintype="application",
        subtype="pdf",
        filename=f"Invoice-{invoice.number}.pdf",
    )
    return msg


def claim(session: Session, email_id: str, *, sender: str) -> EmailMessage | None:
    """Take a pending e-mail (under its row lock) and build its message; ``None`` when it
    was already taken, sent or given up."""
    mail = lock(session, InvoiceEmail, email_id)
    if mail is None or mail.status != PENDING:
        return None
    invoice = session.get(Invoice, mail.invoice_id)
    if invoice is None:
        mail.status, mail.last_error = FAILED, "invoice deleted"
        return None
    mail.status = SENDING
    mail.attempts += 1
    dealer = get_dealer(session=session, dealer_id=mail.dealer_id)
    return message_for(invoice, dealer.name, mail.to_address, sender, mail.message_id)


def record_sent(session: Session, email_id: str) -> None:
    mail = lock(session, InvoiceEmail, email_id)
    if mail is not None:
        mail.status, mail.sent_at, mail.last_error = SENT, now(), None


def record_failure(session: Session, email_id: str, exc: ConnectorError) -> None:
    """Back to pending for a retry, or failed for good; the error's class and code only (a
    server's message may quote the address)."""
    mail = lock(session, InvoiceEmail, email_id)
    if mail is None:
        return
    mail.status = PENDING if exc.retryable else FAILED
    mail.last_error = f"{type(exc).__name__} {exc.vendor_code or ''}".strip()[:500]


def stale_pending(session: Session, older_than: int) -> list[str]:
    """Pending e-mails whose task never ran (the broker lost it): the sweep sends them."""
    return list(
        session.scalars(
            select(col(InvoiceEmail.id)).where(
                col(InvoiceEmail.status) == PENDING, col(InvoiceEmail.created) < older_than
            )
        )
    )
