"""/credit: run a check, read one, list them (masked views; every read is audited)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from dealerhub.api import Blueprint, connectors, session, tenant
from dealerhub.context import actor
from dealerhub.credit import service
from dealerhub.credit.models import CreditCheck
from dealerhub.credit.schemas import (
    CreditCheckListArgsSchema,
    CreditCheckListSchema,
    CreditCheckRequestSchema,
    CreditCheckSchema,
    ProviderHeaderSchema,
)

blp = Blueprint("credit", __name__, url_prefix="/credit", description="Credit bureau checks.")


@blp.route("/check")
class CreditCheckCreate(MethodView):
    @blp.arguments(ProviderHeaderSchema, location="headers")
    @blp.arguments(CreditCheckRequestSchema)
    @blp.response(200, CreditCheckSchema)
    def post(self, headers: dict[str, Any], payload: dict[str, Any]) -> Any:
        """Pull a consumer report (sandbox bureau in test mode). The same applicant, pull type
        and day returns the stored result (header `Credit-Check-Reused: true`) unless
        `force` is true."""
        settings = current_app.extensions["settings"]
        provider = headers["provider"]
        ctx = service.CreditContext(
            actor=str(actor()),
            hash_key=str(settings.secret_key).encode(),
            # Built only when a pull is really needed (a reused result opens no connection).
            bureau=lambda: connectors().bureau(session(), tenant(), provider),
        )
        check, reused = service.run_credit_check(
            session(), tenant(), payload, headers["provider"], ctx
        )
        return check, 200, {"Credit-Check-Reused": "true" if reused else "false"}


@blp.route("/checks")
class CreditCheckList(MethodView):
    @blp.arguments(CreditCheckListArgsSchema, location="query")
    @blp.response(200, CreditCheckListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Credit checks, newest first (each listed report is an audited view)."""
        return service.list_credit_checks(session(), tenant(), args, actor=str(actor()))


@blp.route("/checks/<string:check_id>")
class CreditCheckRead(MethodView):
    @blp.response(200, CreditCheckSchema)
    def get(self, check_id: str) -> CreditCheck:
        """One credit check (masked; the read is audited)."""
        return service.get_credit_check(session(), tenant(), check_id, actor=str(actor()))
