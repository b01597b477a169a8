"""/configuration: CRUD over the dealer's integration tree, certificate upload, health."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from dealerhub.api import Blueprint, answers, connectors, session, tenant
from dealerhub.configuration import service
from dealerhub.configuration.certificates import MAX_P12_BYTES, CertStore
from dealerhub.configuration.errors import CertificateRejected
from dealerhub.configuration.health import configuration_health
from dealerhub.configuration.schemas import (
    CertificateUploadFileSchema,
    CertificateUploadFormSchema,
    ConfigurationHealthSchema,
    ConfigurationSchema,
)
from dealerhub.context import actor
from dealerhub.schemas import DeletedSchema

blp = Blueprint(
    "configuration",
    __name__,
    url_prefix="/configuration",
    description="Dealer integration settings (TransUnion, DealerTrack, fraud) and certificates.",
)


def cert_store() -> CertStore:
    return connectors().cert_store


@blp.route("")
class ConfigurationResource(MethodView):
    @answers(404)
    @blp.response(200, ConfigurationSchema)
    def get(self) -> dict[str, Any]:
        """The configuration, secrets shown as "********"."""
        return service.get_configuration(session(), tenant())

    @blp.arguments(ConfigurationSchema)
    @blp.response(200, ConfigurationSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create the configuration (409 if one exists)."""
        return service.create_configuration(
            session(), tenant(), payload, actor=str(actor()), store=cert_store()
        )

    @answers(404)
    @blp.arguments(ConfigurationSchema)
    @blp.response(200, ConfigurationSchema)
    def patch(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Deep-merge into the configuration; `null` removes a property, "********" keeps a
        stored secret."""
        return service.update_configuration(
            session(), tenant(), payload, actor=str(actor()), store=cert_store()
        )

    @answers(404)
    @blp.response(200, DeletedSchema)
    def delete(self) -> dict[str, Any]:
        """Delete the configuration and retire its certificates."""
        return service.delete_configuration(
            session(), tenant(), actor=str(actor()), store=cert_store()
        )


@blp.route("/certificates")
class CertificateUpload(MethodView):
    @blp.arguments(CertificateUploadFileSchema, location="files")
    @blp.response(200, ConfigurationSchema)
    def post(self, files: dict[str, Any]) -> dict[str, Any]:
        """Upload a .p12 as multipart/form-data (`file`, `password`); no base64 by hand."""
        form = Blueprint.ARGUMENTS_PARSER.parse(CertificateUploadFormSchema(), location="form")
        data = files["file"].stream.read(MAX_P12_BYTES + 1)
        if len(data) > MAX_P12_BYTES:
            raise CertificateRejected(
                "The certificate file is larger than 64 KB.", code="certificate_unreadable"
            )
        return service.upload_certificate(
            session(), tenant(), data, form["password"], actor=str(actor()), store=cert_store()
        )


@blp.route("/health")
class ConfigurationHealth(MethodView):
    @blp.response(200, ConfigurationHealthSchema)
    def get(self) -> dict[str, Any]:
        """Each integration's credential status: configured, missing fields, days left."""
        return configuration_health(session(), tenant())
