"""Which mailer a process uses: SMTP from ``DEALERHUB_SMTP_URL``, else the ``.eml`` outbox
in ``DATA_DIR/mail/``. The same for every dealer and both modes (test-mode invoices are
e-mailed too, so a dealer can rehearse the customer's side)."""

from __future__ import annotations

from typing import Any

from dealerhub.connectors.mail.base import Mailer
from dealerhub.connectors.mail.outbox import OutboxMailer
from dealerhub.connectors.mail.smtp import SmtpMailer


def mailer(settings: Any) -> Mailer:
    url = settings.option("SMTP_URL", "")
    if url:
        timeout = float(settings.option("SMTP_TIMEOUT", "20"))
        return SmtpMailer(url, timeout=timeout)
    return OutboxMailer(settings.data_dir / "mail")
