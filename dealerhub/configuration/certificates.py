"""PKCS#12 client certificates: strict decoding and checks on upload, encrypted files at rest.

The .p12 bytes are Fernet-encrypted (the key ring of ``dealerhub.crypto``) before they touch
disk, in a 0700 directory as 0600 files; the password lives in the database, encrypted too.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from dealerhub import crypto
from dealerhub import db as dbmod
from dealerhub.configuration.errors import CertificateRejected

MAX_P12_BYTES = 64 * 1024


@dataclass(frozen=True)
class CertInfo:
    subject: str
    issuer: str
    serial_number: str
    fingerprint_sha256: str
    not_before: int
    not_after: int


def decode_base64(value: str) -> bytes:
    """Strict base64 (whitespace allowed, nothing else outside the alphabet), capped at 64 KB."""
    compact = "".join(value.split())
    if len(compact) > (MAX_P12_BYTES * 4) // 3 + 4:
        raise CertificateRejected(
            "The certificate file is larger than 64 KB.", code="certificate_unreadable"
        )
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateRejected(
            "certificate_file must be the base64 encoding of a PKCS#12 (.p12) file.",
            code="certificate_unreadable",
        ) from None
    return data


def _looks_like_pfx(data: bytes) -> bool:
    """DER ``PFX ::= SEQUENCE { version INTEGER (3), ... }``: tells a wrong password apart from
    a file that is not PKCS#12 at all (cryptography raises the same ValueError for both)."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    i = 1
    if data[i] & 0x80:
        i += 1 + (data[i] & 0x7F)
    else:
        i += 1
    return data[i : i + 3] == b"\x02\x01\x03"


def inspect_p12(data: bytes, password: str, *, at: int) -> CertInfo:
    """Open ``data`` with ``password`` and check it is usable at Unix time ``at``."""
    if len(data) > MAX_P12_BYTES:
        raise CertificateRejected(
            "The certificate file is larger than 64 KB.", code="certificate_unreadable"
        )
    if not _looks_like_pfx(data):
        raise CertificateRejected(
            "certificate_file is not a PKCS#12 (.p12) file.", code="certificate_unreadable"
        )
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        raise CertificateRejected(
            "The certificate password is incorrect (or the file is damaged).",
            code="certificate_password_incorrect",
            param="credit_application.transunion.certificate_password",
        ) from None
    if key is None or (cert is None and not chain):
        raise CertificateRejected(
            "The PKCS#12 file must contain both the client certificate and its private key.",
            code="certificate_unreadable",
        )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    public = key.public_key().public_bytes(der, spki)
    if cert is None:
        # Some tools write the leaf without the localKeyId that pairs it with the key: pick the
        # bundled certificate that belongs to the key, if any.
        cert = next((c for c in chain if c.public_key().public_bytes(der, spki) == public), None)
    if cert is None or cert.public_key().public_bytes(der, spki) != public:
        raise CertificateRejected(
            "The private key in the PKCS#12 file does not match its certificate.",
            code="certificate_key_mismatch",
        )
    info = describe(cert)
    if at > info.not_after:
        raise CertificateRejected(
            f"The certificate expired on {_iso(info.not_after)}.", code="certificate_expired"
        )
    if at < info.not_before:
        raise CertificateRejected(
            f"The certificate is not valid before {_iso(info.not_before)}.",
            code="certificate_not_yet_valid",
        )
    return info


def describe(cert: x509.Certificate) -> CertInfo:
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=int(cert.not_valid_before_utc.timestamp()),
        not_after=int(cert.not_valid_after_utc.timestamp()),
    )


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CertStore:
    """Encrypted certificate files under one root directory (``settings.certs_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, relative: str, data: bytes) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _atomic_write(path, crypto.encrypt_bytes(data))

    def read(self, relative: str) -> bytes:
        return crypto.decrypt_bytes((self.root / relative).read_bytes())

    def delete(self, relative: str) -> None:
        (self.root / relative).unlink(missing_ok=True)

    def rotate(self, relative: str) -> bool:
        """Re-encrypt one file under the newest key; True when it changed."""
        path = self.root / relative
        if not path.exists():
            return False
        token = path.read_bytes()
        try:
            new = crypto.keyring().rotate(token)
        except InvalidToken:
            return False
        if new == token:
            return False
        _atomic_write(path, new)
        return True


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a 0600 temp file in the same directory, then rename over the target."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def days_until_expiry(not_after: int, at: int | None = None) -> int:
    """Whole days from ``at`` (default: now) until ``not_after``; negative once expired."""
    return (not_after - (dbmod.now() if at is None else at)) // 86400
