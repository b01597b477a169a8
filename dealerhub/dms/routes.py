"""/dms: leads (JSON or ADF), deals, and the sync operator endpoints."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask.views import MethodView
from marshmallow import Schema, ValidationError
from webargs.core import is_json

from dealerhub import jsonbody
from dealerhub.api import Blueprint, key_kind, publishable, session, tenant
from dealerhub.dealers.models import Dealer
from dealerhub.dms import adf, deals, failures, service, workflows
from dealerhub.dms.deal_schemas import (
    DealCreateSchema,
    DealListArgsSchema,
    DealListSchema,
    DealSchema,
    DealUpdateSchema,
)
from dealerhub.dms.schemas import (
    LEAD,
    LEAD_RECEIPT,
    LeadCreateSchema,
    LeadListSchema,
    LeadSchema,
    LeadSearchArgsSchema,
    LeadUpdateSchema,
    SyncFailureListSchema,
    SyncFailureSchema,
    SyncRunArgsSchema,
    SyncRunListSchema,
)
from dealerhub.errors import InvalidRequest, ValidationFailed

blp = Blueprint("dms", __name__, description="DMS leads (JSON and ADF 1.0), deals and sync.")

XML_TYPES = ("application/x-adf+xml", "text/xml", "application/xml")
PROVIDER_HEADER = {
    "x-service-provider": {
        "description": "Lead source integration; allowed: dealertrack.",
        "schema": {"type": "string", "enum": list(service.DEFAULT_PROVIDERS)},
    }
}


def _option(name: str, default: str) -> str:
    value: str = current_app.extensions["settings"].option(name, default)
    return value


def _providers() -> tuple[str, ...]:
    raw = _option("DMS_SERVICE_PROVIDERS", ",".join(service.DEFAULT_PROVIDERS))
    return tuple(p.strip().lower() for p in raw.split(",") if p.strip())


def _provider(required: bool) -> str | None:
    return service.check_provider(
        request.headers.get("x-service-provider"), _providers(), required=required
    )


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed.from_messages(
            exc.messages if isinstance(exc.messages, dict) else {}
        ) from exc
    return loaded


def _lead_body() -> tuple[dict[str, Any], str]:
    mimetype = request.mimetype or ""
    if mimetype in XML_TYPES:
        max_bytes = int(_option("DMS_ADF_MAX_BYTES", str(adf.DEFAULT_MAX_BYTES)))
        return _load(LeadCreateSchema(), adf.parse(request.get_data(), max_bytes=max_bytes)), "adf"
    raw = request.get_data()
    if raw and not is_json(mimetype):
        raise jsonbody.UnsupportedMediaType(
            f"Leads are JSON (application/json) or ADF (application/x-adf+xml), not "
            f"{mimetype or 'a body without Content-Type'}.",
            param="Content-Type",
        )
    data = jsonbody.load(raw) if raw else None
    if not isinstance(data, dict):
        raise InvalidRequest(
            "Send a JSON object (application/json) or an ADF document (application/x-adf+xml).",
            code="body_invalid",
        )
    return _load(LeadCreateSchema(), data), "json"


def _wants_adf() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", adf.ADF_MIME])
    return best == adf.ADF_MIME and request.accept_mimetypes[adf.ADF_MIME] > 0


_LEAD_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LeadCreateSchema},
            "application/x-adf+xml": {"schema": {"type": "string", "format": "xml"}},
        },
    },
    # Required here (a lead names its source); the other DMS endpoints take it optionally.
    "parameters": [
        {"in": "header", "name": k, "required": True, **v} for k, v in PROVIDER_HEADER.items()
    ],
}


@blp.route("/dms/leads")
class Leads(MethodView):
    @publishable
    @blp.doc(**_LEAD_BODY_DOC)
    @blp.response(200, LeadSchema)
    def post(self) -> Any:
        """Create a lead from JSON or ADF 1.0; duplicates are replayed or merged (200 in
        every case, as Hubex documents for creates; ``merged_sources`` tells them apart)."""
        provider = _provider(required=True)
        assert provider is not None
        body, fmt = _lead_body()
        window = int(_option("DMS_DUPLICATE_WINDOW_DAYS", "30"))
        intake = service.create_lead(
            session(), tenant(), provider, body, fmt=fmt, window_days=window
        )
        if key_kind() == "publishable":
            # A browser learns only that its lead arrived, never a merged lead's contents.
            return jsonify(LEAD_RECEIPT.dump(intake.lead))
        return intake.lead


@blp.route("/dms/leads/search")
class LeadSearch(MethodView):
    @blp.arguments(LeadSearchArgsSchema, location="query")
    @blp.response(200, LeadListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Filter leads by email, phone, last_name, status, sync_status and created."""
        provider = _provider(required=False)
        if provider:
            args["service_provider"] = provider
        return service.search_leads(session(), tenant(), args, url="/dms/leads/search")


@blp.route("/dms/leads/<string:customer_id>")
class LeadByCustomer(MethodView):
    @blp.response(200, LeadSchema)
    def get(self, customer_id: str) -> Any:
        """The customer's lead with its DMS sync state (ADF with Accept: application/x-adf+xml)."""
        lead = service.get_lead_for_customer(
            session(), tenant(), customer_id, _provider(required=False)
        )
        if _wants_adf():
            dealer = session().get(Dealer, tenant().dealer_id)
            name = dealer.name if dealer is not None else "dealerhub"
            return Response(adf.render(LEAD.dump(lead), vendor_name=name), mimetype=adf.ADF_MIME)
        return lead

    @blp.arguments(LeadUpdateSchema)
    @blp.response(200, LeadSchema)
    def patch(self, changes: dict[str, Any], customer_id: str) -> Any:
        """Update the customer's lead; the change is synced to the DMS again."""
        return service.update_lead(
            session(), tenant(), customer_id, changes, _provider(required=False)
        )


@blp.route("/dms/deals")
class Deals(MethodView):
    @blp.arguments(DealCreateSchema)
    @blp.response(200, DealSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a deal (desk arithmetic is checked) and sync it to the DMS."""
        return deals.create_deal(session(), tenant(), body)

    @blp.arguments(DealListArgsSchema, location="query")
    @blp.response(200, DealListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        return deals.list_deals(session(), tenant(), args)


@blp.route("/dms/deals/<string:deal_id>")
class DealById(MethodView):
    @blp.response(200, DealSchema)
    def get(self, deal_id: str) -> Any:
        return deals.get_deal(session(), tenant(), deal_id)

    @blp.arguments(DealUpdateSchema)
    @blp.response(200, DealSchema)
    def patch(self, changes: dict[str, Any], deal_id: str) -> Any:
        """Update a deal. `vehicle`, `trade_in` and `finance` merge key by key (`null`
        removes a key; `trade_in: null` the trade-in), `products` and `finance.fees` replace
        the stored lists, `metadata` merges. The result is checked like a new deal; the
        amount financed and a retail deal's payment are worked out again unless sent. The
        deal is synced to the DMS again (a dead one with a fresh attempt budget). Once the DMS
        holds the deal, its `customer_id` and `currency` cannot change (400 `deal_in_dms`)."""
        return deals.update_deal(session(), tenant(), deal_id, changes)


@blp.route("/dms/sync/failures")
class SyncFailures(MethodView):
    @blp.response(200, SyncFailureListSchema)
    def get(self) -> Any:
        """Dead leads and deals: rejected by the DMS or out of retries."""
        return failures.list_failures(session(), tenant())


@blp.route("/dms/sync/failures/<string:record_id>/replay")
class SyncReplay(MethodView):
    @blp.response(200, SyncFailureSchema)
    def post(self, record_id: str) -> Any:
        """Send a dead record again (fresh attempt budget)."""
        return failures.replay(session(), tenant(), record_id)


@blp.route("/dms/sync/runs")
class SyncRuns(MethodView):
    @blp.arguments(SyncRunArgsSchema, location="query")
    @blp.response(200, SyncRunListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Workflow runs with per-run counts (synced, merged, failed, dead)."""
        return workflows.list_runs(session(), tenant(), args)
