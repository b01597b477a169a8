"""SMTP delivery (``smtplib``): ``smtp://user:password@host:587`` upgrades the connection
with STARTTLS, ``smtps://…:465`` speaks TLS from the start.

Credentials are never sent over a connection that is not encrypted: an ``smtp://`` server
that offers no STARTTLS is refused when a user is configured, except on the loopback
interface (a local relay or a test server).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from dealerhub.connectors.base import ConnectorAuthError, ConnectorRejected, ConnectorUnavailable

VENDOR = "smtp"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class SmtpMailer:
    name = VENDOR

    def __init__(self, url: str, *, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DEALERHUB_SMTP_URL must be smtp://… or smtps://… with a host")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def __repr__(self) -> str:  # never the password
        tls = "implicit" if self.implicit_tls else "starttls"
        return f"SmtpMailer({self.host}:{self.port}, tls={tls})"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        conn.ehlo()
        if conn.has_extn("starttls"):
            conn.starttls(context=context)
            conn.ehlo()
        elif self.username and self.host not in _LOOPBACK:
            conn.close()
            raise ConnectorRejected(
                f"{self.host} offers no STARTTLS; refusing to send credentials in clear",
                vendor=VENDOR,
                vendor_code="starttls_unavailable",
            )
        return conn

    def send(self, message: EmailMessage) -> None:
        """Deliver one message; 4xx and connection trouble are retryable, 5xx are not."""
        try:
            with self._connect() as conn:
                if self.username:
                    conn.login(self.username, self.password or "")
                refused = conn.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectorAuthError(
                "the SMTP server refused our credentials",
                vendor=VENDOR,
                vendor_code=str(exc.smtp_code),
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes), "recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, "SMTP error") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorUnavailable(
                f"SMTP server {self.host}:{self.port} unreachable ({type(exc).__name__})",
                vendor=VENDOR,
            ) from exc
        if refused:
            raise _by_code(min(code for code, _ in refused.values()), "recipient refused")


def _by_code(code: int, what: str) -> ConnectorUnavailable | ConnectorRejected:
    # RFC 5321: 4yz is a transient failure (try again later), 5yz a permanent one.
    cls = ConnectorUnavailable if 400 <= code < 500 else ConnectorRejected
    return cls(f"{what} ({code})", vendor=VENDOR, vendor_code=str(code))
