"""Products and prices: create, read, update, delete (products only), list and search.

A price's amount, currency and type never change once it exists (invoices point at it);
a dealer retires a price with ``active=false`` and makes a new one, as in Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, case, exists, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing.models import Price, Product
from dealerhub.billing.schemas import PRICE, PRODUCT
from dealerhub.db import new_id, now
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.payments.common import merge_metadata
from dealerhub.search import FieldSpec
from dealerhub.tenancy import Tenant, get_owned, scoped


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in before.items() if after.get(k) != v}


# -- products --------------------------------------------------------------------------------


def get_product(
    session: Session, tenant: Tenant, product_id: str, *, for_update: bool = False, **kw: Any
) -> Product:
    """A product of this tenant that was not deleted, or 404."""
    product = get_owned(
        session, Product, product_id, tenant, name="product", for_update=for_update, **kw
    )
    if product.deleted:
        raise NotFound(f"No such product: '{product_id}'", param=kw.get("param"))
    return product


def _new_product(tenant: Tenant, data: Mapping[str, Any]) -> Product:
    at = now()
    return Product(
        id=new_id("prod"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        created=at,
        updated=at,
        name=data["name"],
        description=data.get("description"),
        active=data.get("active", True),
        unit_label=data.get("unit_label"),
        images=list(data.get("images") or []),
        metadata_=dict(data.get("metadata") or {}),
    )


def create_product(session: Session, tenant: Tenant, data: Mapping[str, Any]) -> Product:
    """Create a product (and its default price from ``default_price_data``); records
    ``product.created`` (and ``price.created``)."""
    product = _new_product(tenant, data)
    session.add(product)
    price_data = data.get("default_price_data")
    price = None
    if price_data:
        price = _new_price(tenant, product, {"tax_behavior": "unspecified", **price_data})
        session.add(price)
        product.default_price_id = price.id
    session.flush()
    record_event(session, tenant, "product.created", PRODUCT.dump(product))
    if price is not None:
        record_event(session, tenant, "price.created", PRICE.dump(price))
    return product


def update_product(
    session: Session, tenant: Tenant, product_id: str, data: Mapping[str, Any]
) -> Product:
    """Partial update (metadata merged); ``default_price`` must be an active price of this
    product. Records ``product.updated`` with the previous values."""
    product = get_product(session, tenant, product_id, for_update=True)
    before = PRODUCT.dump(product)
    for name in ("name", "description", "active", "unit_label"):
        if name in data:
            setattr(product, name, data[name])
    if "images" in data:
        product.images = list(data["images"] or [])
    if "metadata" in data:
        product.metadata_ = merge_metadata(product.metadata_, data["metadata"])
    if "default_price" in data:
        price_id = data["default_price"]
        if price_id is not None:
            price = get_price(session, tenant, price_id, param="default_price")
            if price.product_id != product.id or not price.active:
                raise InvalidRequest(
                    f"The default price must be an active price of product {product.id}.",
                    param="default_price",
                )
        product.default_price_id = price_id
    after = PRODUCT.dump(product)
    previous = _changes(before, after)
    if previous:
        product.updated = now()
        after["updated"] = product.updated
        record_event(session, tenant, "product.updated", after, previous_attributes=previous)
    return product


def delete_product(session: Session, tenant: Tenant, product_id: str) -> dict[str, Any]:
    """Delete a product that has no prices (one with prices is archived with active=false:
    its prices may be on invoices). Records ``product.deleted``."""
    product = get_product(session, tenant, product_id, for_update=True)
    has_prices = session.scalar(select(exists().where(col(Price.product_id) == product.id)))
    if has_prices:
        raise InvalidRequest(
            f"Product {product.id} cannot be deleted because it has one or more prices; "
            "set active=false to archive it instead.",
            param="product",
            code="product_has_prices",
        )
    product.deleted = True
    product.active = False
    session.flush()
    record_event(session, tenant, "product.deleted", PRODUCT.dump(product))
    return {"id": product.id, "object": "product", "deleted": True}


def products_stmt(tenant: Tenant, args: Mapping[str, Any]) -> Select[Any]:
    stmt = scoped(Product, tenant).where(col(Product.deleted).is_(False))
    if args.get("active") is not None:
        stmt = stmt.where(col(Product.active).is_(args["active"]))
    if args.get("ids"):
        stmt = stmt.where(col(Product.id).in_(args["ids"]))
    return stmt


def _bool_text(column: Any) -> Any:
    """``active:'true'`` compares text: the boolean column rendered as 'true'/'false'."""
    return case((column.is_(True), "true"), else_="false")


_products: Any = Product.__table__.c  # type: ignore[attr-defined]
PRODUCT_SEARCH: dict[str, FieldSpec] = {
    "name": FieldSpec(_products.name, "string", allow_substring=True),
    "description": FieldSpec(_products.description, "string", allow_substring=True),
    "active": FieldSpec(_bool_text(_products.active), "string"),
    "created": FieldSpec(_products.created, "timestamp"),
}


# -- prices ----------------------------------------------------------------------------------


def get_price(
    session: Session, tenant: Tenant, price_id: str, *, for_update: bool = False, **kw: Any
) -> Price:
    return get_owned(session, Price, price_id, tenant, name="price", for_update=for_update, **kw)


def _new_price(tenant: Tenant, product: Product, data: Mapping[str, Any]) -> Price:
    recurring = data.get("recurring")
    custom = data.get("custom_unit_amount")
    return Price(
        id=new_id("price"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        product_id=product.id,
        active=data.get("active", True),
        currency=data["currency"],
        unit_amount=data.get("unit_amount"),
        custom_unit_amount=(
            {k: custom.get(k) for k in ("minimum", "maximum", "preset")} if custom else None
        ),
        type="recurring" if recurring else "one_time",
        recurring=(
            {"interval": recurring["interval"], "interval_count": recurring["interval_count"]}
            if recurring
            else None
        ),
        nickname=data.get("nickname"),
        lookup_key=data.get("lookup_key"),
        tax_behavior=data.get("tax_behavior", "unspecified"),
        metadata_=dict(data.get("metadata") or {}),
    )


def _claim_lookup_key(
    session: Session, tenant: Tenant, key: str, *, transfer: bool, keep: str | None = None
) -> None:
    """A lookup key names one price per dealer and mode: another price holding it is a 400,
    unless ``transfer_lookup_key`` moves it here (Stripe's rule)."""
    holder = session.scalars(
        scoped(Price, tenant).where(col(Price.lookup_key) == key, col(Price.id) != keep)
    ).first()
    if holder is None:
        return
    if not transfer:
        raise InvalidRequest(
            f"A price ({holder.id}) already uses the lookup key '{key}'; pass "
            "transfer_lookup_key=true to move it to this price.",
            param="lookup_key",
            code="lookup_key_in_use",
        )
    holder.lookup_key = None
    session.flush()  # frees the unique key before the new holder is written
    record_event(
        session,
        tenant,
        "price.updated",
        PRICE.dump(holder),
        previous_attributes={"lookup_key": key},
    )


def create_price(session: Session, tenant: Tenant, data: Mapping[str, Any]) -> Price:
    """Create a price for ``product`` (or a new product from ``product_data``); records
    ``price.created`` (and ``product.created``)."""
    new_product = None
    if data.get("product_data"):
        new_product = _new_product(tenant, data["product_data"])
        session.add(new_product)
        product = new_product
    else:
        product = get_product(session, tenant, data["product"], param="product")
    if data.get("lookup_key"):
        _claim_lookup_key(
            session, tenant, data["lookup_key"], transfer=data.get("transfer_lookup_key", False)
        )
    price = _new_price(tenant, product, data)
    session.add(price)
    session.flush()
    if new_product is not None:
        record_event(session, tenant, "product.created", PRODUCT.dump(new_product))
    record_event(session, tenant, "price.created", PRICE.dump(price))
    return price


def update_price(session: Session, tenant: Tenant, price_id: str, data: Mapping[str, Any]) -> Price:
    """Change what may change (active, nickname, lookup_key, tax_behavior once, metadata);
    records ``price.updated``."""
    price = get_price(session, tenant, price_id, for_update=True)
    before = PRICE.dump(price)
    if "tax_behavior" in data and data["tax_behavior"] != price.tax_behavior:
        if price.tax_behavior != "unspecified":
            raise InvalidRequest(
                f"tax_behavior is already {price.tax_behavior} and cannot be changed; only an "
                "unspecified tax_behavior may be set.",
                param="tax_behavior",
            )
        price.tax_behavior = data["tax_behavior"]
    for name in ("active", "nickname"):
        if name in data:
            setattr(price, name, data[name])
    if "lookup_key" in data and data["lookup_key"] != price.lookup_key:
        if data["lookup_key"]:
            _claim_lookup_key(
                session,
                tenant,
                data["lookup_key"],
                transfer=data.get("transfer_lookup_key", False),
                keep=price.id,
            )
        price.lookup_key = data["lookup_key"]
    if "metadata" in data:
        price.metadata_ = merge_metadata(price.metadata_, data["metadata"])
    session.flush()
    after = PRICE.dump(price)
    previous = _changes(before, after)
    if previous:
        record_event(session, tenant, "price.updated", after, previous_attributes=previous)
    return price


def prices_stmt(tenant: Tenant, args: Mapping[str, Any]) -> Select[Any]:
    stmt = scoped(Price, tenant)
    for name, column in (("product", Price.product_id), ("type", Price.type)):
        if args.get(name):
            stmt = stmt.where(col(column) == args[name])
    if args.get("currency"):
        stmt = stmt.where(col(Price.currency) == args["currency"])
    if args.get("active") is not None:
        stmt = stmt.where(col(Price.active).is_(args["active"]))
    if args.get("lookup_keys"):
        stmt = stmt.where(col(Price.lookup_key).in_(args["lookup_keys"]))
    return stmt
