"""Configuration, certificate and audit tables."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin, now


class Configuration(TenantMixin, table=True):
    """One integration tree per dealer and mode. The whole tree is one encrypted JSON document:
    most of it is credentials, and nothing ever queries inside it."""

    __tablename__ = "configurations"
    __object_name__ = "configuration"
    __table_args__ = (UniqueConstraint("dealer_id", "livemode", name="uq_configurations_tenant"),)

    id: str = Field(primary_key=True, max_length=40)
    tree: str = Field(sa_type=Encrypted)
    updated: int = Field(default_factory=now)


class AllowedOrigin(TenantMixin, table=True):
    """A plaintext index of each tree's ``web.allowed_origins``, kept by the configuration
    service on every write: a CORS preflight carries no key, so it asks "does any dealer list
    this origin?" with one indexed lookup instead of decrypting every dealer's tree."""

    __tablename__ = "allowed_origins"
    __table_args__ = (
        UniqueConstraint("dealer_id", "livemode", "origin", name="uq_allowed_origins"),
        Index("ix_allowed_origins_origin", "origin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    origin: str = Field(max_length=300)


class Certificate(TenantMixin, table=True):
    """An uploaded PKCS#12 client certificate; the file itself is Fernet-encrypted on disk."""

    __tablename__ = "certificates"
    __object_name__ = "certificate"
    __table_args__ = (Index("ix_certificates_tenant_active", "dealer_id", "livemode", "active"),)

    id: str = Field(primary_key=True, max_length=40)
    provider: str = Field(default="transunion", max_length=40)
    name: str = Field(max_length=64)  # "certificate_<n>", what certificate_file reads back
    path: str = Field(max_length=500)  # relative to settings.certs_dir
    password: str = Field(sa_type=Encrypted)
    subject: str = Field(max_length=1000)
    issuer: str = Field(max_length=1000)
    serial_number: str = Field(max_length=100)
    fingerprint_sha256: str = Field(max_length=100, index=True)
    not_before: int
    not_after: int
    active: bool = True
    # Smallest expiry threshold (days) already announced; None = no notice yet.
    notified_days: int | None = None
    expired_notified: bool = False
