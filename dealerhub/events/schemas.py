"""HTTP contract of the events area: event queries, webhook endpoints, deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from dealerhub.events.patterns import PATTERN_RE, TYPE_RE
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, StrictSchema, list_schema

type_pattern = validate.And(
    validate.Length(min=1, max=80),
    validate.Regexp(PATTERN_RE, error="Not an event type or a group such as 'payment_intent.*'."),
)
exact_type = validate.And(
    validate.Length(min=1, max=80),
    validate.Regexp(TYPE_RE, error="Not an event type such as 'payment_intent.succeeded'."),
)


class EventListArgs(ListArgsSchema):
    class Meta:
        unknown = RAISE

    type = fields.String(
        validate=type_pattern,
        metadata={"description": "An event type, or a group with `*` (`payment_intent.*`)."},
    )
    types = fields.List(
        fields.String(validate=exact_type),
        data_key="types[]",
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Up to 20 exact event types; not together with `type`."},
    )
    delivery_success = fields.Boolean(
        metadata={
            "description": "false: events still pending or failed at every attempt to some "
            "endpoint; true: delivered to every endpoint."
        }
    )

    @validates_schema
    def _type_or_types(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data.get("type") and data.get("types"):
            raise ValidationError("You may pass either type or types[], not both.", "types[]")


class RequestInfoSchema(Schema):
    id = fields.String(allow_none=True)
    idempotency_key = fields.String(allow_none=True)


class EventSchema(Schema):
    id = fields.String(required=True)
    object = fields.String(required=True)
    type = fields.String(required=True)
    created = fields.Integer(required=True)
    livemode = fields.Boolean(required=True)
    data = fields.Dict(required=True)
    request = fields.Nested(RequestInfoSchema)
    pending_webhooks = fields.Integer(required=True)


EventListSchema = list_schema(EventSchema)


class AttemptSchema(Schema):
    object = fields.String()
    created = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    response_body = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.String()
    object = fields.String()
    event = fields.String()
    webhook_endpoint = fields.String()
    status = fields.String(metadata={"description": "pending, succeeded or failed"})
    attempt_count = fields.Integer()
    next_attempt_at = fields.Integer(allow_none=True)
    last_attempt_at = fields.Integer(allow_none=True)
    succeeded_at = fields.Integer(allow_none=True)
    created = fields.Integer()
    livemode = fields.Boolean()
    attempts = fields.List(fields.Nested(AttemptSchema))


DeliveryListSchema = list_schema(DeliverySchema)


url_field = validate.And(
    validate.Length(max=2048),
    validate.URL(schemes={"http", "https"}, require_tld=False),
)
enabled_events_field = validate.Length(min=1, max=256)


class EndpointCreateArgs(StrictSchema):
    url = fields.String(required=True, validate=url_field)
    enabled_events = fields.List(
        fields.String(validate=type_pattern), required=True, validate=enabled_events_field
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    metadata = Metadata()


class EndpointUpdateArgs(StrictSchema):
    url = fields.String(validate=url_field)
    enabled_events = fields.List(
        fields.String(validate=type_pattern), validate=enabled_events_field
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    metadata = Metadata()
    disabled = fields.Boolean()


class RollSecretArgs(StrictSchema):
    overlap = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=7 * 86400),
        metadata={"description": "Seconds the old secret keeps signing too (two v1 values)."},
    )


class EndpointListArgs(ListArgsSchema):
    class Meta:
        unknown = RAISE


class EndpointSchema(Schema):
    id = fields.String(required=True)
    object = fields.String(required=True)
    url = fields.String(required=True)
    enabled_events = fields.List(fields.String(), required=True)
    description = fields.String(allow_none=True)
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    status = fields.String(required=True, metadata={"description": "enabled or disabled"})
    created = fields.Integer(required=True)
    livemode = fields.Boolean(required=True)
    secret = fields.String(metadata={"description": "whsec_…: only on create and roll-secret"})


EndpointListSchema = list_schema(EndpointSchema)


class InboundArgs(StrictSchema):
    processor = fields.String(validate=validate.Length(min=1, max=40))


class InboundAckSchema(Schema):
    received = fields.Boolean(required=True)
    duplicate = fields.Boolean(required=True)
    id = fields.String(allow_none=True)
