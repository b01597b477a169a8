"""The /configuration contract: the Hubex 1.1.69 tree, strict about unknown and removed keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from dealerhub.configuration.certificates import days_until_expiry
from dealerhub.configuration.models import Certificate
from dealerhub.pen.schemas import PenRegistrationSchema
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
        "payment_gateways.bluedog.api_key",
        "payment_gateways.hubcash.token",
        "payment_gateways.forward.api_key",
        "payment_gateways.acceptblue.source_key",
        "payment_gateways.acceptblue.pin",
        "pen.password",
        "address_verification.usps.client_secret",
        "trade_in.black_book.password",
    }
)


def _text(max_len: int = 200, **kw: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(min=1, max=max_len), **kw)


# URLs as patterns: the validator and the OpenAPI document say the same thing, so what the
# document calls valid is accepted (a host of DNS labels or an IPv4 address, a port that
# exists, a path and query without spaces), and nothing the URL parser would choke on is.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_PORT = (
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
    r"|[1-9][0-9]{0,3}))?"
)
_REST = r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?"
_LOOPBACK = r"(?:127\.0\.0\.1|localhost|\[::1\])"
HTTPS_URL = rf"^https://{_HOST}{_PORT}{_REST}$"
GATEWAY_URL = rf"^(?:https://{_HOST}|http://{_LOOPBACK}){_PORT}{_REST}$"
ORIGIN = rf"^(?:https://[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?)*|http://(?:localhost|127\.0\.0\.1)){_PORT}$"


def _url(**kw: Any) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=500),
            validate.Regexp(HTTPS_URL, error="Must be an https:// URL (https://host[:port]/path)."),
        ],
        **kw,
    )


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


class _GatewaySchema(_Strict):
    enabled = fields.Boolean(allow_none=True, metadata={"description": "Default true."})
    environment = fields.String(
        allow_none=True,
        validate=validate.OneOf(["sandbox", "production"]),
        metadata={
            "description": "Test mode may only use `sandbox`, live mode only `production` "
            "(the default is the mode's own)."
        },
    )
    api_url = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=500),
            validate.Regexp(
                GATEWAY_URL,
                error="Must be an https:// URL (http:// only for 127.0.0.1 or localhost).",
            ),
        ],
        metadata={"description": "Overrides the environment's base URL (a proxy, a simulator)."},
    )


class BlueDogGatewaySchema(_GatewaySchema):
    api_key = _text(500, metadata={"description": "Secret API key (`Authorization` header)."})
    processor_id = _text(100)
    public_key = _text(500, metadata={"description": "Public key for the browser tokenizer."})


class HubcashGatewaySchema(_GatewaySchema):
    code = _text(200, metadata={"description": "`X-Hubcash-Code`"})
    token = _text(500, metadata={"description": "`X-Hubcash-Token` (secret)"})


class ForwardGatewaySchema(_GatewaySchema):
    api_key = _text(500)
    public_key = _text(500)
    account_id = _text(100)


class AcceptBlueGatewaySchema(_GatewaySchema):
    source_key = _text(500, metadata={"description": "Basic-auth user (secret)"})
    pin = _text(200, metadata={"description": "Basic-auth password (secret)"})
    public_key = _text(500, metadata={"description": "Hosted tokenization key"})


class PaymentGatewaysSchema(_Strict):
    bluedog = fields.Nested(BlueDogGatewaySchema, allow_none=True)
    hubcash = fields.Nested(HubcashGatewaySchema, allow_none=True)
    forward = fields.Nested(ForwardGatewaySchema, allow_none=True)
    acceptblue = fields.Nested(AcceptBlueGatewaySchema, allow_none=True)


_GATEWAY_NAME = validate.Length(min=1, max=40)


class RoutingRuleSchema(_Strict):
    """Match on any of the three facts (all given must match); ``gateways`` in failover
    order (failover is for bank debits only)."""

    payment_method_type = fields.String(validate=validate.OneOf(["card", "us_bank_account"]))
    currency = fields.String(validate=validate.Regexp(r"^[a-z]{3}$"))
    on_behalf_of = fields.String(validate=validate.Length(min=1, max=40))
    gateways = fields.List(
        fields.String(validate=_GATEWAY_NAME),
        required=True,
        validate=validate.Length(min=1, max=4),
    )


class PaymentRoutingSchema(_Strict):
    default = fields.String(allow_none=True, validate=_GATEWAY_NAME)
    test_mode = fields.String(
        allow_none=True,
        validate=_GATEWAY_NAME,
        metadata={"description": "Test mode: use this gateway's sandbox instead of dealerhub's"},
    )
    rules = fields.List(
        fields.Nested(RoutingRuleSchema), allow_none=True, validate=validate.Length(max=20)
    )


class PenSchema(_Strict):
    """PEN (DSIRating web service) credentials for live mode; test mode uses the sandbox."""

    environment = fields.String(
        allow_none=True,
        validate=validate.OneOf(["production", "qa"]),
        metadata={"description": "PEN host: production (default) or qa"},
    )
    api_url = _url(metadata={"description": "Overrides the environment's DSIRating.svc URL."})
    username = _text(200, metadata={"description": "WS-Security UsernameToken user"})
    password = _text(500, metadata={"description": "WS-Security password (secret)"})
    registration = Rendered(
        PenRegistrationSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Read-only: the dealer's PEN registration (POST /set-dealer)"},
    )


class UspsAddressesSchema(_Strict):
    """USPS Addresses API v3 credentials (an app's Consumer Key and Secret from the USPS
    developer portal); used in live mode by GET /api/verify-address/{address}."""

    client_id = _text(200, metadata={"description": "Consumer Key"})
    client_secret = _text(500, metadata={"description": "Consumer Secret (secret)"})
    environment = fields.String(
        allow_none=True,
        validate=validate.OneOf(["production", "testing"]),
        metadata={"description": "production (apis.usps.com, the default) or testing (apis-tem)"},
    )
    api_url = _url(metadata={"description": "Overrides the environment's host (a proxy)."})


class AddressVerificationConfigSchema(_Strict):
    usps = fields.Nested(UspsAddressesSchema, allow_none=True)


class BlackBookSchema(_Strict):
    """Black Book Cloud (UsedCarWS) credentials: HTTP Basic auth plus a customer id."""

    username = _text(200)
    password = _text(500, metadata={"description": "Secret: encrypted, read back masked."})
    customer_id = _text(100, metadata={"description": "Sent as `customerid` for tracking"})
    api_url = _url(metadata={"description": "Defaults to Black Book's UsedCarWS host."})


class TradeInSchema(_Strict):
    black_book = fields.Nested(BlackBookSchema, allow_none=True)


class WebSchema(_Strict):
    """The dealer's websites: browsers on these origins may call the publishable-key
    endpoints (CORS); nothing else may call the API cross-origin."""

    allowed_origins = fields.List(
        fields.String(
            validate=[
                validate.Length(max=200),
                validate.Regexp(
                    ORIGIN,
                    error="Not an origin: write scheme://host[:port] in lower case, with no "
                    "path (https://www.example-motors.com); http only for localhost and "
                    "127.0.0.1.",
                ),
            ]
        ),
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"example": ["https://www.example-motors.com"]},
    )


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
    payment_gateways = fields.Nested(PaymentGatewaysSchema, allow_none=True)
    payment_routing = fields.Nested(PaymentRoutingSchema, allow_none=True)
    pen = fields.Nested(PenSchema, allow_none=True)
    address_verification = fields.Nested(AddressVerificationConfigSchema, allow_none=True)
    trade_in = fields.Nested(TradeInSchema, allow_none=True)
    web = fields.Nested(WebSchema, allow_none=True)


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
    environment = fields.String(metadata={"description": "Payment gateways: sandbox or production"})
    last_success = fields.Integer(
        allow_none=True, metadata={"description": "Payment gateways: latest call that answered"}
    )
    last_error = fields.Integer(allow_none=True)
    last_error_code = fields.String(allow_none=True)


class ConfigurationHealthSchema(Schema):
    object = fields.String()
    livemode = fields.Boolean()
    integrations = fields.List(fields.Nested(IntegrationHealthSchema))
