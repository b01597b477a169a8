"""HTTP contract of the events area: event queries, webhook endpoints, deliveries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import object_session

from dealerhub.events import catalogue
from dealerhub.events.models import DeliveryAttempt, DeliveryStatus, WebhookDelivery
from dealerhub.events.patterns import PATTERN_RE, TYPE_RE
from dealerhub.events.service import attempts_of
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Bool,
    Computed,
    Const,
    Int,
    Metadata,
    Obj,
    ResponseSchema,
    Str,
    StrictSchema,
    StrList,
    list_schema,
)

# Lists of validators rather than validate.And: apispec documents each (length, pattern).
type_pattern: list[Callable[[Any], Any]] = [
    validate.Length(min=1, max=80),
    validate.Regexp(PATTERN_RE, error="Not an event type or a group such as 'payment_intent.*'."),
]


def _in_catalogue(value: str) -> None:
    if PATTERN_RE.match(value) and not catalogue.known(value):
        raise ValidationError(
            f"'{value}' is not an event type the hub emits"
            + (" (no event type matches it)" if "*" in value else "")
            + "; GET /event-types lists them."
        )


subscribable: list[Callable[[Any], Any]] = [*type_pattern, _in_catalogue]
exact_type: list[Callable[[Any], Any]] = [
    validate.Length(min=1, max=80),
    validate.Regexp(TYPE_RE, error="Not an event type such as 'payment_intent.succeeded'."),
]
# What an endpoint may subscribe to, for the document: every type, each resource's group
# (``payment_intent.*``) and ``*`` (other groups that match a type are accepted too).
SUBSCRIBABLE = sorted(
    {*catalogue.EVENT_TYPES, "*", *(t.split(".", 1)[0] + ".*" for t in catalogue.EVENT_TYPES)}
)
_SUBSCRIBABLE_DOC = {"json_schema": {"enum": SUBSCRIBABLE}}


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


class RequestInfoSchema(ResponseSchema):
    """Read from the event itself (``request_id``, ``idempotency_key``)."""

    id = Str(attribute="request_id", allow_none=True)
    idempotency_key = Str(allow_none=True)


class EventDataSchema(ResponseSchema):
    object = Obj(
        required=True,
        metadata={"description": "The object as it was after the change (its own schema)."},
    )
    previous_attributes = Obj(
        metadata={"description": "The changed attributes' values before the change."}
    )


class EventSchema(ResponseSchema):
    """The Event object: the API response and the body of every webhook delivery."""

    id = Str(required=True)
    object = Const("event")
    type = Str(required=True, metadata={"description": "resource.event, e.g. charge.succeeded"})
    created = Int(required=True, metadata={"description": "Unix seconds"})
    livemode = Bool(required=True)
    data = fields.Nested(EventDataSchema, required=True)
    request = Computed(RequestInfoSchema)
    pending_webhooks = Int(required=True)


EventListSchema = list_schema(EventSchema)


class AttemptSchema(ResponseSchema):
    object = Const("webhook_delivery_attempt")
    created = Int()
    status_code = Int(allow_none=True)
    latency_ms = Int()
    response_body = Str(allow_none=True, metadata={"description": "The first 1 KB."})
    error = Str(allow_none=True)


def _next_attempt_at(delivery: WebhookDelivery) -> int | None:
    return delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING.value else None


def _attempts(delivery: WebhookDelivery) -> list[DeliveryAttempt]:
    session = object_session(delivery)
    return attempts_of(session, delivery) if session is not None else []


class DeliverySchema(ResponseSchema):
    id = Str()
    object = Const("webhook_delivery")
    event = Str(attribute="event_id")
    webhook_endpoint = Str(attribute="endpoint_id")
    status = Str(metadata={"description": "pending, succeeded or failed"})
    attempt_count = Int()
    next_attempt_at = fields.Function(
        _next_attempt_at, metadata={"type": "integer", "nullable": True}
    )
    last_attempt_at = Int(allow_none=True)
    succeeded_at = Int(allow_none=True)
    created = Int()
    livemode = Bool()
    attempts = Computed(AttemptSchema, _attempts, many=True)


DeliveryListSchema = list_schema(DeliverySchema)


url_field = validate.And(
    validate.Length(max=2048),
    validate.URL(schemes={"http", "https"}, require_tld=False),
)
enabled_events_field = validate.Length(min=1, max=256)


class EndpointCreateArgs(StrictSchema):
    url = fields.String(required=True, validate=url_field)
    enabled_events = fields.List(
        fields.String(validate=subscribable, metadata=_SUBSCRIBABLE_DOC),
        required=True,
        validate=enabled_events_field,
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    metadata = Metadata()


class EndpointUpdateArgs(StrictSchema):
    url = fields.String(validate=url_field)
    enabled_events = fields.List(
        fields.String(validate=subscribable, metadata=_SUBSCRIBABLE_DOC),
        validate=enabled_events_field,
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


class EndpointSchema(ResponseSchema):
    id = Str(required=True)
    object = Const("webhook_endpoint")
    url = Str(required=True)
    enabled_events = StrList(required=True)
    description = Str(allow_none=True)
    metadata = Metadata(attribute="metadata_")
    status = Str(required=True, metadata={"description": "enabled or disabled"})
    created = Int(required=True, metadata={"description": "Unix seconds"})
    livemode = Bool(required=True)


class EndpointWithSecretSchema(EndpointSchema):
    """What create and roll-secret answer: the endpoint with its ``whsec_…`` secret."""

    secret = Str(required=True, metadata={"description": "whsec_…: only on create and roll"})


EndpointListSchema = list_schema(EndpointSchema)


class InboundArgs(StrictSchema):
    processor = fields.String(validate=validate.Length(min=1, max=40))
    account = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A live gateway's webhooks: the dealer (acct_…) it is for"},
    )
    mode = fields.String(
        load_default="live",
        validate=validate.OneOf(["test", "live"]),
        metadata={"description": "With account: test for a gateway's sandbox environment"},
    )


class InboundAckSchema(ResponseSchema):
    received = Bool(required=True)
    duplicate = Bool(required=True)
    id = Str(allow_none=True)


EVENT = EventSchema()
ENDPOINT = EndpointSchema()


class EventTypeSchema(ResponseSchema):
    type = Str(required=True, metadata={"example": "payment_intent.succeeded"})
    description = Str(required=True)


class EventTypeListSchema(ResponseSchema):
    object = Const("list")
    data = fields.List(fields.Nested(EventTypeSchema), required=True)
    has_more = Bool(required=True)
    url = Str(required=True)
