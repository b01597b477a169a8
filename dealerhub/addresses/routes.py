"""GET /api/verify-address/{address}: the path as Hubex names it (the one ``/api/`` path)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from dealerhub.addresses import service
from dealerhub.addresses.schemas import AddressVerificationSchema, NoQueryArgsSchema
from dealerhub.api import Blueprint, connectors, publishable, session, tenant

blp = Blueprint("addresses", __name__, description="Address verification.")


@blp.route("/api/verify-address/<path:address>")
class VerifyAddress(MethodView):
    @publishable
    @blp.arguments(NoQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, AddressVerificationSchema)
    def get(self, _args: dict[str, Any], address: str) -> Any:
        """Verify and standardise a free-text US address (URL-encoded in the path). Not
        verified, unparseable or non-existent is still a 200, with `verified: false` and
        `error_message`. Publishable keys may call it (checkout and credit-application
        forms). Answers are cached for a day per dealer, mode and normalised address; headers
        `Address-Verification-Provider` and `Address-Verification-Cached` say where the
        answer came from."""
        s, t = session(), tenant()
        result = service.verify_address(
            s,
            t,
            address,
            verifier=lambda: connectors().address_verifier(s, t),
            cache=current_app.extensions["address_cache"],
        )
        headers = {"Address-Verification-Cached": "true" if result.cached else "false"}
        if result.provider is not None:
            headers["Address-Verification-Provider"] = result.provider
        return result, 200, headers
