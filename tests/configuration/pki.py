"""Real X.509 / PKCS#12 material for tests, built with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Motors"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass
class CA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, cn: str = "dealerhub test CA") -> CA:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def issue(
        self,
        cn: str,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        server: bool = False,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = key or ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - dt.timedelta(days=1))
            .not_valid_after(not_after or NOW + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return key, builder.sign(self.key, hashes.SHA256())

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def p12(key: object, cert: x509.Certificate, password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"dealer",
        key,  # type: ignore[arg-type]
        cert,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )


_CA: CA | None = None


def shared_ca() -> CA:
    global _CA
    if _CA is None:
        _CA = CA.create()
    return _CA


def client_p12(
    password: str = "s3cret-pass",
    *,
    days_valid: int = 365,
    not_before: dt.datetime | None = None,
    cn: str = "dealer-client",
    ca: CA | None = None,
) -> bytes:
    ca = ca or shared_ca()
    key, cert = ca.issue(cn, not_before=not_before, not_after=NOW + dt.timedelta(days=days_valid))
    return p12(key, cert, password)


def expired_p12(password: str = "s3cret-pass") -> bytes:
    return client_p12(password, days_valid=-1, not_before=NOW - dt.timedelta(days=400))


def not_yet_valid_p12(password: str = "s3cret-pass") -> bytes:
    return client_p12(password, not_before=NOW + dt.timedelta(days=10), days_valid=400)


def mismatched_p12(password: str = "s3cret-pass") -> bytes:
    _key, cert = shared_ca().issue("dealer-client")
    other = ec.generate_private_key(ec.SECP256R1())
    # cryptography refuses to pair a key with a foreign certificate, so the certificate goes in
    # as a bundled one: the file then holds a key and a certificate that do not belong together.
    return pkcs12.serialize_key_and_certificates(
        b"dealer", other, None, [cert], serialization.BestAvailableEncryption(password.encode())
    )


def write_server_files(tmp: Path, ca: CA) -> tuple[Path, Path]:
    """A 127.0.0.1 server certificate signed by ``ca``: (cert chain PEM, key PEM)."""
    key, cert = ca.issue("127.0.0.1", server=True)
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
