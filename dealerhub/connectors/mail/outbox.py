"""The mailer of a hub with no SMTP server: each message becomes an ``.eml`` file in
``DATA_DIR/mail/`` (``dealerhub mail list`` shows them; any mail client opens them)."""

from __future__ import annotations

import os
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import NamedTuple

from dealerhub.connectors.base import ConnectorUnavailable

VENDOR = "outbox"


class OutboxMailer:
    name = VENDOR

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        """Write the message atomically (a reader never sees half a file)."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        ident = str(message["Message-ID"] or "").strip("<>").split("@")[0] or str(time.time_ns())
        final = self.folder / f"{stamp}-{ident}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = final.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes(policy=policy.SMTP))
            tmp.replace(final)
        except OSError as exc:
            raise ConnectorUnavailable(f"could not write {final.name}", vendor=VENDOR) from exc


class Stored(NamedTuple):
    path: Path
    date: str
    to: str
    subject: str
    attachments: tuple[str, ...]


def list_messages(folder: Path) -> list[Stored]:
    """The stored messages, oldest first."""
    out = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh)
        names = tuple(part.get_filename() or "" for part in msg.iter_attachments())
        out.append(Stored(path, str(msg["Date"]), str(msg["To"]), str(msg["Subject"]), names))
    return out
