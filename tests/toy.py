"""A tiny area used only by the foundation tests: it exercises auth, idempotency, lists and
after-commit tasks without depending on any real area."""

from __future__ import annotations

import threading
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlmodel import Field

from dealerhub import api
from dealerhub.db import TenantMixin, new_id
from dealerhub.errors import InvalidRequest
from dealerhub.events.service import record_event
from dealerhub.pagination import ListArgsSchema, SearchArgsSchema, paginate, search
from dealerhub.search import FieldSpec
from dealerhub.tasks import enqueue_after_commit, register
from dealerhub.tenancy import get_owned, scoped

blp = api.Blueprint("toy", __name__, url_prefix="/toy")

# Tests set this to make the create view wait, to hold an idempotency key "in flight".
gate: dict[str, threading.Event | None] = {"entered": None, "release": None}
executions: list[str] = []
task_runs: list[str] = []


class Widget(TenantMixin, table=True):
    __tablename__ = "toy_widgets"
    __object_name__ = "widget"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    amount: int = 0


class WidgetCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = fields.Integer(load_default=0, validate=validate.Range(min=0))
    fail = fields.Boolean(load_default=False)
    enqueue = fields.Boolean(load_default=False)


class WidgetSchema(Schema):
    id = fields.String()
    object = fields.Constant("widget")
    name = fields.String()
    amount = fields.Integer()
    created = fields.Integer()
    livemode = fields.Boolean()


@register
def touch_widget(widget_id: str) -> None:
    task_runs.append(widget_id)


@blp.route("/widgets")
class Widgets(MethodView):
    @blp.arguments(WidgetCreateSchema)
    @blp.response(200, WidgetSchema)
    def post(self, args: dict[str, Any]) -> Widget:
        if gate["entered"] is not None and gate["release"] is not None:
            gate["entered"].set()
            gate["release"].wait(10)
        session, tenant = api.session(), api.tenant()
        widget = Widget(
            id=new_id("wid"),
            dealer_id=tenant.dealer_id,
            livemode=tenant.livemode,
            name=args["name"],
            amount=args["amount"],
        )
        session.add(widget)
        session.flush()
        executions.append(widget.id)
        record_event(session, tenant, "widget.created", {"id": widget.id, "name": widget.name})
        if args["enqueue"]:
            enqueue_after_commit(session, touch_widget, widget.id)
        if args["fail"]:
            raise InvalidRequest("asked to fail", param="fail")
        return widget

    @blp.arguments(ListArgsSchema, location="query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        session, tenant = api.session(), api.tenant()
        return paginate(
            session,
            scoped(Widget, tenant),
            Widget,
            args,
            url="/toy/widgets",
            render=lambda w: WidgetSchema().dump(w),
        )


@blp.route("/widgets/<widget_id>")
class WidgetOne(MethodView):
    @api.publishable
    @blp.response(200, WidgetSchema)
    def get(self, widget_id: str) -> Widget:
        return get_owned(api.session(), Widget, widget_id, api.tenant())


@blp.route("/widgets/search")
class WidgetSearch(MethodView):
    @blp.arguments(SearchArgsSchema, location="query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        session, tenant = api.session(), api.tenant()
        return search(
            session,
            scoped(Widget, tenant),
            Widget,
            args,
            searchable={
                "name": FieldSpec(Widget.__table__.c.name, "string", allow_substring=True),  # type: ignore[attr-defined]
                "amount": FieldSpec(Widget.__table__.c.amount, "number"),  # type: ignore[attr-defined]
            },
            url="/toy/widgets/search",
            render=lambda w: WidgetSchema().dump(w),
        )
