"""``/payment/products*`` and ``/payment/prices*``: thin views over ``catalog``."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from dealerhub.api import Blueprint, session, tenant
from dealerhub.billing import catalog, schemas
from dealerhub.billing.models import Price, Product
from dealerhub.pagination import paginate, search
from dealerhub.schemas import DeletedSchema

blp = Blueprint(
    "billing", __name__, description="Products, prices and invoices (Stripe semantics)."
)


@blp.route("/payment/products")
class Products(MethodView):
    @blp.arguments(schemas.ProductCreateSchema)
    @blp.response(200, schemas.ProductSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a product (``default_price_data`` also creates its default price)."""
        return catalog.create_product(session(), tenant(), data)

    @blp.arguments(schemas.ProductListArgs, location="query", unknown=RAISE)
    @blp.response(200, schemas.ProductListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List products, newest first (filters ``active``, ``ids[]``, ``created``)."""
        stmt = catalog.products_stmt(tenant(), args)
        return paginate(session(), stmt, Product, args, url="/payment/products")


@blp.route("/payment/products/search")
class ProductSearch(MethodView):
    @blp.arguments(schemas.SearchArgs, location="query", unknown=RAISE)
    @blp.response(200, schemas.ProductSearchResultSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search products with Stripe's query language over ``name``, ``active``,
        ``description``, ``metadata['key']`` and ``created``."""
        stmt = catalog.products_stmt(tenant(), {})
        return search(
            session(),
            stmt,
            Product,
            args,
            searchable=catalog.PRODUCT_SEARCH,
            url="/payment/products/search",
        )


@blp.route("/payment/products/<product_id>")
class ProductById(MethodView):
    @blp.response(200, schemas.ProductSchema)
    def get(self, product_id: str) -> Any:
        """Retrieve a product."""
        return catalog.get_product(session(), tenant(), product_id)

    @blp.arguments(schemas.ProductUpdateSchema)
    @blp.response(200, schemas.ProductSchema)
    def patch(self, data: dict[str, Any], product_id: str) -> Any:
        """Update a product (metadata is merged; an empty value removes a key)."""
        return catalog.update_product(session(), tenant(), product_id, data)

    @blp.response(200, DeletedSchema)
    def delete(self, product_id: str) -> Any:
        """Delete a product without prices (one with prices: set ``active=false``)."""
        return catalog.delete_product(session(), tenant(), product_id)


@blp.route("/payment/prices")
class Prices(MethodView):
    @blp.arguments(schemas.PriceCreateSchema)
    @blp.response(200, schemas.PriceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a price for ``product`` (or a new product from ``product_data``)."""
        return catalog.create_price(session(), tenant(), data)

    @blp.arguments(schemas.PriceListArgs, location="query", unknown=RAISE)
    @blp.response(200, schemas.PriceListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List prices, newest first (filters ``product``, ``active``, ``type``,
        ``currency``, ``lookup_keys[]``, ``created``)."""
        stmt = catalog.prices_stmt(tenant(), args)
        return paginate(session(), stmt, Price, args, url="/payment/prices")


@blp.route("/payment/prices/<price_id>")
class PriceById(MethodView):
    @blp.response(200, schemas.PriceSchema)
    def get(self, price_id: str) -> Any:
        """Retrieve a price."""
        return catalog.get_price(session(), tenant(), price_id)

    @blp.arguments(schemas.PriceUpdateSchema)
    @blp.response(200, schemas.PriceSchema)
    def patch(self, data: dict[str, Any], price_id: str) -> Any:
        """Update a price; amount, currency and type are immutable."""
        return catalog.update_price(session(), tenant(), price_id, data)
