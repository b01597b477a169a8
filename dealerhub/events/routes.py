"""Events, webhook endpoints and inbound processor webhooks over HTTP (thin)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from marshmallow import RAISE

from dealerhub.api import Blueprint, connectors, public, session, tenant
from dealerhub.connectors.processors.base import PaymentProcessor
from dealerhub.events import catalogue, endpoints, inbound, service
from dealerhub.events import schemas as s
from dealerhub.events.models import Event, WebhookEndpoint
from dealerhub.schemas import DeletedSchema
from dealerhub.tenancy import Tenant

blp = Blueprint("events", __name__, description="Events, webhook endpoints and inbound webhooks.")


def _settings() -> Any:
    return current_app.extensions["settings"]


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(s.EventListArgs, location="query", unknown=RAISE)
    @blp.response(200, s.EventListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List events, newest first (filters: type, types[], created, delivery_success)."""
        return service.list_events(session(), tenant(), args, url="/events")


@blp.route("/events/<string:event_id>")
class OneEvent(MethodView):
    @blp.response(200, s.EventSchema)
    def get(self, event_id: str) -> Event:
        """Retrieve an event."""
        return service.get_event(session(), tenant(), event_id)


@blp.route("/events/<string:event_id>/deliveries")
class EventDeliveries(MethodView):
    @blp.response(200, s.DeliveryListSchema)
    def get(self, event_id: str) -> dict[str, Any]:
        """Webhook deliveries of an event, with every attempt (time, status, latency)."""
        url = f"/events/{event_id}/deliveries"
        return service.list_deliveries(session(), tenant(), event_id, url=url)


@blp.route("/events/<string:event_id>/retry")
class RetryEvent(MethodView):
    @blp.response(200, s.EventSchema)
    def post(self, event_id: str) -> Event:
        """Re-send now every delivery of the event that has not succeeded."""
        return service.retry_event(session(), tenant(), event_id)


@blp.route("/event-types")
class EventTypes(MethodView):
    @blp.response(200, s.EventTypeListSchema)
    def get(self) -> dict[str, Any]:
        """Every event type the hub emits (what `enabled_events` and `dealerhub listen
        --events` accept; `*` groups must match one of them)."""
        data = catalogue.listing()
        return {"object": "list", "data": data, "has_more": False, "url": "/event-types"}


@blp.route("/webhook-endpoints")
class WebhookEndpoints(MethodView):
    @blp.arguments(s.EndpointListArgs, location="query", unknown=RAISE)
    @blp.response(200, s.EndpointListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List webhook endpoints."""
        return endpoints.list_endpoints(session(), tenant(), args, url="/webhook-endpoints")

    @blp.arguments(s.EndpointCreateArgs)
    @blp.response(200, s.EndpointWithSecretSchema)
    def post(self, args: dict[str, Any]) -> WebhookEndpoint:
        """Create a webhook endpoint; the whsec_ secret is returned only here."""
        return endpoints.create_endpoint(session(), tenant(), _settings(), args)


@blp.route("/webhook-endpoints/<string:endpoint_id>")
class OneWebhookEndpoint(MethodView):
    @blp.response(200, s.EndpointSchema)
    def get(self, endpoint_id: str) -> WebhookEndpoint:
        """Retrieve a webhook endpoint (without its secret)."""
        return endpoints.get_endpoint(session(), tenant(), endpoint_id)

    @blp.arguments(s.EndpointUpdateArgs)
    @blp.response(200, s.EndpointSchema)
    def patch(self, args: dict[str, Any], endpoint_id: str) -> WebhookEndpoint:
        """Update url, enabled_events, description, metadata or disabled."""
        return endpoints.update_endpoint(session(), tenant(), _settings(), endpoint_id, args)

    @blp.response(200, DeletedSchema)
    def delete(self, endpoint_id: str) -> dict[str, Any]:
        """Delete a webhook endpoint; its pending retries stop."""
        return endpoints.delete_endpoint(session(), tenant(), endpoint_id)


@blp.route("/webhook-endpoints/<string:endpoint_id>/roll-secret")
class RollSecret(MethodView):
    @blp.arguments(s.RollSecretArgs)
    @blp.response(200, s.EndpointWithSecretSchema)
    def post(self, args: dict[str, Any], endpoint_id: str) -> WebhookEndpoint:
        """Issue a new secret; with `overlap` seconds the old one keeps signing too."""
        return endpoints.roll_secret(session(), tenant(), endpoint_id, args["overlap"])


@blp.route("/payment/webhooks")
class PaymentWebhooks(MethodView):
    @public
    @blp.arguments(s.InboundArgs, location="query", unknown=RAISE)
    @blp.response(200, s.InboundAckSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Receive a payment processor's webhook (signature checked over the raw body)."""
        name = args.get("processor") or request.headers.get(inbound.PROCESSOR_HEADER)
        account = args.get("account")
        processor: PaymentProcessor | None
        if name and account:
            # A live gateway's notices: verified with that dealer's own gateway credentials.
            owner = Tenant(account, args["mode"] == "live")
            processor = connectors().processors_for(session()).named(owner, name)
        else:
            owner = None
            processor = connectors().processor_named(name) if name else None
        return inbound.receive(
            session(), name, processor, request.get_data(), dict(request.headers), owner=owner
        )
