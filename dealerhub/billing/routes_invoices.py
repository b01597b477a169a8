"""``/payment/invoices*``: thin views over ``invoices`` and ``transitions`` (registered on
the billing blueprint when imported by ``area``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from dealerhub.api import session, tenant
from dealerhub.billing import invoice_schemas as schemas
from dealerhub.billing import invoices, transitions
from dealerhub.billing.models import Invoice
from dealerhub.billing.routes import blp
from dealerhub.pagination import SearchArgsSchema, paginate, search
from dealerhub.payments.blueprint import config, processors
from dealerhub.schemas import DeletedSchema


@blp.route("/payment/invoices")
class Invoices(MethodView):
    @blp.arguments(schemas.InvoiceCreateSchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a draft invoice for ``customer`` with its ``lines``."""
        return invoices.create_invoice(session(), tenant(), data)

    @blp.arguments(schemas.InvoiceListArgs, location="query", unknown=RAISE)
    @blp.response(200, schemas.InvoiceListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List invoices, newest first (filters ``customer``, ``status``,
        ``collection_method``, ``created``, ``due_date``)."""
        stmt = invoices.invoices_stmt(tenant(), args)
        return paginate(session(), stmt, Invoice, args, url="/payment/invoices")


@blp.route("/payment/invoices/search")
class InvoiceSearch(MethodView):
    @blp.arguments(schemas.InvoiceSearchArgs, location="query", unknown=RAISE)
    @blp.response(200, schemas.InvoiceSearchResultSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search invoices by the list's filters plus ``number``, ``total[gte|lte]`` and
        ``due_date[lt]`` (overdue); paged with ``page=<next_page>``."""
        return invoices.structured_search(session(), tenant(), args, url="/payment/invoices/search")


@blp.route("/payment/invoices/search-by-query")
class InvoiceQuerySearch(MethodView):
    @blp.arguments(SearchArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.InvoiceSearchResultSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search invoices with Stripe's query language over ``customer``, ``status``,
        ``number``, ``total``, ``currency``, ``created`` and ``metadata['key']``."""
        return search(
            session(),
            invoices.invoices_stmt(tenant(), {}),
            Invoice,
            args,
            searchable=invoices.INVOICE_SEARCH,
            url="/payment/invoices/search-by-query",
        )


@blp.route("/payment/invoices/upcoming")
class UpcomingInvoice(MethodView):
    @blp.arguments(schemas.UpcomingSchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Preview an invoice (nothing is stored; its id starts ``upcoming_``)."""
        return invoices.preview(session(), tenant(), data)


@blp.route("/payment/invoices/upcoming/lines")
class UpcomingInvoiceLines(MethodView):
    @blp.arguments(schemas.UpcomingLinesArgs, location="query", unknown=RAISE)
    @blp.arguments(schemas.UpcomingSchema)
    @blp.response(200, schemas.LineListSchema)
    def post(self, args: dict[str, Any], data: dict[str, Any]) -> Any:
        """The lines of a preview as a list (``limit``, ``starting_after``)."""
        draft = invoices.preview(session(), tenant(), data)
        return invoices.page_of_lines(invoices.preview_lines(draft), args)


@blp.route("/payment/invoices/<invoice_id>")
class InvoiceById(MethodView):
    @blp.response(200, schemas.InvoiceSchema)
    def get(self, invoice_id: str) -> Any:
        """Retrieve an invoice."""
        return invoices.get_invoice(session(), tenant(), invoice_id)

    @blp.arguments(schemas.InvoiceUpdateSchema)
    @blp.response(200, schemas.InvoiceSchema)
    def patch(self, data: dict[str, Any], invoice_id: str) -> Any:
        """Edit a draft (``lines`` replaces them all); ``metadata`` may change on any invoice."""
        return invoices.update_invoice(session(), tenant(), invoice_id, data)

    @blp.response(200, DeletedSchema)
    def delete(self, invoice_id: str) -> Any:
        """Delete a draft (a finalized invoice is voided instead)."""
        return invoices.delete_invoice(session(), tenant(), invoice_id)


@blp.route("/payment/invoices/<invoice_id>/finalize")
class FinalizeInvoice(MethodView):
    @blp.arguments(schemas.EmptySchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, _data: dict[str, Any], invoice_id: str) -> Any:
        """Finalize a draft: number, due date, hosted links; charge_automatically invoices
        are charged to the default payment method."""
        return transitions.finalize_invoice(
            session(), tenant(), invoice_id, processors=processors(), config=config()
        )


@blp.route("/payment/invoices/<invoice_id>/pay")
class PayInvoice(MethodView):
    @blp.arguments(schemas.PaySchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, data: dict[str, Any], invoice_id: str) -> Any:
        """Pay now with ``payment_method`` (or the default), or record ``paid_out_of_band``;
        a draft is finalized first. A decline is a 402."""
        return transitions.pay_invoice(
            session(), tenant(), invoice_id, data, processors=processors(), config=config()
        )


@blp.route("/payment/invoices/<invoice_id>/send")
class SendInvoice(MethodView):
    @blp.arguments(schemas.EmptySchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, _data: dict[str, Any], invoice_id: str) -> Any:
        """E-mail the invoice to the customer (finalizing a draft first)."""
        return transitions.send_invoice(
            session(), tenant(), invoice_id, processors=processors(), config=config()
        )


@blp.route("/payment/invoices/<invoice_id>/void")
class VoidInvoice(MethodView):
    @blp.arguments(schemas.EmptySchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, _data: dict[str, Any], invoice_id: str) -> Any:
        """Void an open or uncollectible invoice."""
        return transitions.void_invoice(session(), tenant(), invoice_id, processors=processors())


@blp.route("/payment/invoices/<invoice_id>/mark_uncollectible")
class MarkUncollectible(MethodView):
    @blp.arguments(schemas.EmptySchema)
    @blp.response(200, schemas.InvoiceSchema)
    def post(self, _data: dict[str, Any], invoice_id: str) -> Any:
        """Mark an open invoice uncollectible."""
        return transitions.mark_uncollectible(session(), tenant(), invoice_id)
