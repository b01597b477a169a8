"""The /configuration contract: the Hubex 1.1.69 tree, strict about unknown and removed keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from dealerhub.configuration.certificates import days_until_expiry
from dealerhub.configuration.models import Certificate
from dealerhub.schemas import Const, Rendered, ResponseSchema, Str, StrictSchema

# Properties Hubex 1.1.69 deleted: a 400 that says so, rather than a silent drop.
REMOVED: dict[str, set[str]] = {
    "root": {"inventory_server"},
    "fraud_identification": {"fraud_ttl"},
    "credit_application": {"credit_ttl"},
    "dealer_track": {"multilender"},
}

# Dotted paths whose values are secrets: encrypted at rest, read back as "********".
SECRET_PATHS = frozenset(
    {
        "fraud_identification.api_key",
        "credit_application.transunion.system_password",
        "credit_application.transunion.subscriber_password",
        "credit_application.transunion.certificate_file",
        "credit_application.transunion.certificate_password",
        "dealer_management_system.dealer_track.dms.password",
    }
)


def _text(max_len: int = 200, **kw: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(min=1, max=max_len), **kw)


def _url(**kw: Any) -> fields.Url:
    return fields.Url(allow_none=True, schemes={"https"}, require_tld=False, **kw)


class _Strict(StrictSchema):
    """Strict, and a property Hubex removed is named as removed (``removed_key`` picks the
    level of the tree)."""

    removed_key = ""

    @pre_load
    def _reject_removed(self, data: Any, **_kw: Any) -> Any:
        if isinstance(data, dict):
            for name in REMOVED.get(self.removed_key, set()) & set(data):
                raise ValidationError(
                    {name: [f"Unknown field: {name} was removed in Hubex 1.1.69."]}
                )
        return data


class FraudIdentificationSchema(_Strict):
    removed_key = "fraud_identification"
    provider = _text(40)
    api_url = _url()
    api_key = _text(500)


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_before(cert: Certificate) -> str:
    return _iso(cert.not_before)


def _not_after(cert: Certificate) -> str:
    return _iso(cert.not_after)


def _days_left(cert: Certificate) -> int:
    return days_until_expiry(cert.not_after)


_ISO = {"type": "string", "description": "ISO 8601, UTC"}


class CertificateInfoSchema(ResponseSchema):
    """An uploaded client certificate (never the file or its password)."""

    id = Str()
    name = Str(metadata={"description": "certificate_<n>, what certificate_file reads back"})
    subject = Str()
    issuer = Str()
    serial_number = Str()
    fingerprint_sha256 = Str()
    not_before = fields.Function(_not_before, metadata=_ISO)
    not_after = fields.Function(_not_after, metadata=_ISO)
    days_until_expiry = fields.Function(_days_left, metadata={"type": "integer"})


class _CertificateEventHead(ResponseSchema):
    object = Const("certificate")
    provider = Const("transunion")


class CertificateEventSchema(CertificateInfoSchema, _CertificateEventHead):
    """The certificate.expiring / certificate.expired snapshot: ``object`` and ``provider``
    first (the later base's fields come first), then the certificate's details."""


CERTIFICATE_INFO = CertificateInfoSchema()
CERTIFICATE_EVENT = CertificateEventSchema()


class TransUnionSchema(_Strict):
    api_url = _url(metadata={"description": "Defaults to the TransUnion host of `environment`."})
    system_id = _text()
    system_password = _text()
    subscriber_code = _text(40, metadata={"description": "Subscriber (member) code"})
    subscriber_prefix = _text(40)
    subscriber_password = _text()
    industry_code = _text(10)
    certificate_file = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=100_000),
        metadata={
            "description": "Write: base64 of the .p12 file (or use POST "
            "/configuration/certificates). Read: the stored name, `certificate_<n>`."
        },
    )
    certificate_password = _text(500)
    environment = fields.String(
        allow_none=True, validate=validate.OneOf(["production", "standardTest"])
    )
    certificate = Rendered(CertificateInfoSchema, dump_only=True, allow_none=True)


class CreditApplicationSchema(_Strict):
    removed_key = "credit_application"
    transunion = fields.Nested(TransUnionSchema, allow_none=True)


class DealerTrackDmsSchema(_Strict):
    api_url = _url()
    username = _text()
    password = _text()
    enterprise_code = _text(40)
    company_number = _text(40)


class DealerTrackSchema(_Strict):
    removed_key = "dealer_track"
    dms = fields.Nested(DealerTrackDmsSchema, allow_none=True)


class DealerManagementSystemSchema(_Strict):
    dealer_track = fields.Nested(DealerTrackSchema, allow_none=True)


class ConfigurationSchema(_Strict):
    """Request (POST/PATCH, `null` removes a property) and response of /configuration."""

    removed_key = "root"
    id = fields.String(dump_only=True)
    object = fields.String(dump_only=True)
    livemode = fields.Boolean(dump_only=True)
    created = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    fraud_identification = fields.Nested(FraudIdentificationSchema, allow_none=True)
    credit_application = fields.Nested(CreditApplicationSchema, allow_none=True)
    dealer_management_system = fields.Nested(DealerManagementSystemSchema, allow_none=True)


class CertificateUploadFormSchema(Schema):
    class Meta:
        unknown = RAISE

    password = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CertificateUploadFileSchema(Schema):
    """The multipart body. flask-smorest documents one body location per view, so ``password``
    is listed here for the OpenAPI document and loaded from the form part by the view."""

    file = Upload(required=True, metadata={"description": "The .p12 / .pfx file"})
    password = fields.String(metadata={"description": "The .p12 password (required)"})


class IntegrationHealthSchema(Schema):
    name = fields.String()
    path = fields.String()
    status = fields.String(
        metadata={"description": "configured, incomplete, not_configured, expiring or expired"}
    )
    missing_fields = fields.List(fields.String())
    certificate = Rendered(CertificateInfoSchema, allow_none=True)


class ConfigurationHealthSchema(Schema):
    object = fields.String()
    livemode = fields.Boolean()
    integrations = fields.List(fields.Nested(IntegrationHealthSchema))
