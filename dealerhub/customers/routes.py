"""Customers API (``/payment/customers``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from dealerhub.api import Blueprint, session, tenant
from dealerhub.customers import schemas, service
from dealerhub.pagination import paginate
from dealerhub.payments import methods
from dealerhub.schemas import DeletedSchema

blp = Blueprint("customers", __name__, description="Customers of the dealership.")


@blp.route("/payment/customers")
class Customers(MethodView):
    @blp.arguments(schemas.CustomerCreateSchema)
    @blp.response(200, schemas.CustomerSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a customer."""
        return service.create_customer(session(), tenant(), **data)

    @blp.arguments(schemas.CustomerListArgs, location="query")
    @blp.response(200, schemas.CustomerListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List customers, newest first."""
        stmt = service.list_stmt(tenant(), args.get("email"))
        return paginate(session(), stmt, service.Customer, args, url="/payment/customers")


@blp.route("/payment/customers/<customer_id>")
class CustomerById(MethodView):
    @blp.response(200, schemas.CustomerSchema)
    def get(self, customer_id: str) -> Any:
        """Retrieve a customer."""
        return service.get_customer(session(), tenant(), customer_id)

    @blp.arguments(schemas.CustomerUpdateSchema)
    @blp.response(200, schemas.CustomerSchema)
    def patch(self, data: dict[str, Any], customer_id: str) -> Any:
        """Update a customer (metadata is merged; an empty value removes a key)."""
        return service.update_customer(session(), tenant(), customer_id, data)

    @blp.response(200, DeletedSchema)
    def delete(self, customer_id: str) -> Any:
        """Delete a customer and detach its payment methods."""
        return service.delete_customer(
            session(), tenant(), customer_id, detach_payment_methods=methods.detach_all
        )
