"""POST /set-dealer: PEN dealer registration (thin: load, call the service, dump)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from dealerhub.api import Blueprint, connectors, session, tenant
from dealerhub.context import actor
from dealerhub.pen import service
from dealerhub.pen.schemas import SetDealerRequestSchema, SetDealerResponseSchema

blp = Blueprint(
    "pen", __name__, url_prefix="", description="PEN (F&I Provider Exchange Network) dealers."
)


@blp.route("/set-dealer")
class SetDealer(MethodView):
    @blp.arguments(SetDealerRequestSchema)
    @blp.response(200, SetDealerResponseSchema)
    def post(self, payload: dict[str, Any]) -> service.SetDealerOutcome:
        """Register (penDealerId 0), update or unregister this dealer with PEN. A refusal by PEN
        is a 200 with `success: "Failed"` and PEN's error; the sandbox PEN in test mode."""
        return service.set_dealer(
            session(),
            tenant(),
            payload,
            # Built only when PEN is really called (a refusal of ours needs no connection).
            pen=lambda: connectors().pen(session(), tenant()),
            actor=str(actor()),
        )
