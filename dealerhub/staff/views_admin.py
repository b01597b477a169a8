"""Manager screens: configuration (integration health, certificate upload, the desk's time
zone), the audit log and staff accounts."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from sqlmodel import col
from werkzeug.wrappers import Response

from dealerhub.api import connectors, session
from dealerhub.audit import AuditEntry
from dealerhub.configuration import service as configuration
from dealerhub.configuration.certificates import MAX_P12_BYTES, CertStore
from dealerhub.configuration.health import configuration_health
from dealerhub.staff import forms, service
from dealerhub.staff.desk import actor, audit, current, livemode, render, tenant, view
from dealerhub.staff.roles import Permission, Role
from dealerhub.tenancy import scoped

AUDIT_PAGE = 200


def _cert_store() -> CertStore:
    # The registry's store: the one the bureau connector reads certificates from.
    store: CertStore = connectors().cert_store
    return store


def _configuration_page(errors: dict[str, str] | None = None, status: int = 200) -> Response:
    s = session()
    return render(
        "staff/configuration.html",
        status=status,
        health=configuration_health(s, tenant())["integrations"],
        tree=configuration.get_configuration(s, tenant()) if _has_configuration() else None,
        timezone=service.desk_timezone(s, tenant().dealer_id).key,
        errors=errors or {},
    )


def _has_configuration() -> bool:
    return configuration.certificate_row(session(), tenant()) is not None or bool(
        configuration.resolved_config(session(), tenant())
    )


@view("/configuration", Permission.CONFIGURATION, endpoint="configuration")
def configuration_page() -> Response:
    page = _configuration_page()
    audit("desk.configuration_viewed")
    return page


@view("/configuration/certificate", Permission.CONFIGURATION, methods=["POST"])
def certificate_upload() -> Response:
    """The TransUnion client certificate: a .p12 file and its password, checked and stored
    encrypted by the configuration area exactly as the API's multipart upload."""
    upload = request.files.get("file")
    password = request.form.get("password", "")
    try:
        if upload is None or not upload.filename:
            raise forms.FormErrors({"file": "Choose the .p12 certificate file."})
        if not password:
            raise forms.FormErrors({"password": "Enter the certificate's password."})
        data = upload.stream.read(MAX_P12_BYTES + 1)
        if len(data) > MAX_P12_BYTES:
            raise forms.FormErrors({"file": "The certificate file is larger than 64 KB."})
        forms.run(
            lambda: configuration.upload_certificate(
                session(), tenant(), data, password, actor=str(actor()), store=_cert_store()
            )
        )
    except forms.FormErrors as exc:
        errors = {
            (
                "file"
                if k.endswith("certificate_file")
                else "password"
                if k.endswith("password")
                else k
            ): v
            for k, v in exc.errors.items()
        }
        return _configuration_page(errors, exc.status)
    flash("Certificate uploaded.")
    return redirect(url_for("staff.configuration"))


@view("/configuration/timezone", Permission.CONFIGURATION, methods=["POST"])
def timezone() -> Response:
    try:
        forms.run(
            lambda: service.set_desk_timezone(
                session(), tenant(), request.form.get("timezone", "").strip(), actor=actor()
            )
        )
    except forms.FormErrors as exc:
        return _configuration_page(exc.errors, exc.status)
    flash("Time zone saved.")
    return redirect(url_for("staff.configuration"))


@view("/audit", Permission.AUDIT, endpoint="audit")
def audit_log() -> Response:
    who = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    stmt = scoped(AuditEntry, tenant()).order_by(
        col(AuditEntry.created).desc(), col(AuditEntry.id).desc()
    )
    if who:
        stmt = stmt.where(col(AuditEntry.actor) == who)
    if action:
        stmt = stmt.where(col(AuditEntry.action).startswith(action))
    rows = session().scalars(stmt.limit(AUDIT_PAGE)).all()
    users = {u.id: u.email for u in service.list_staff(session(), dealer_id=tenant().dealer_id)}
    audit("desk.audit_viewed")
    return render("staff/audit.html", entries=rows, users=users, who=who, action=action)


def _users_page(errors: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = service.list_staff(session(), dealer_id=tenant().dealer_id)
    form = request.form if request.method == "POST" else {}
    return render(
        "staff/users.html",
        status=status,
        users=rows,
        roles=[r.value for r in Role],
        errors=errors or {},
        form=form,
    )


@view("/users", Permission.STAFF, methods=["GET", "POST"])
def users() -> Response:
    """GET: the dealer's staff. POST: add a user (the manager sets a first password, which
    the new user should change via a reset)."""
    if request.method == "GET":
        return _users_page()
    form = request.form
    try:
        user = forms.run(
            lambda: service.create_staff(
                session(),
                dealer_id=tenant().dealer_id,
                email=form.get("email", ""),
                role=form.get("role", ""),
                password=form.get("password", ""),
                actor=actor(),
            )
        )
    except forms.FormErrors as exc:
        return _users_page(exc.errors, exc.status)
    flash(f"Added {user.email} ({user.role}).")
    return redirect(url_for("staff.users"))


def _own(user_id: str) -> Any:
    return service.find_staff(session(), user_id, dealer_id=tenant().dealer_id)


@view("/users/<user_id>", Permission.STAFF, methods=["POST"])
def user_update(user_id: str) -> Response:
    """One change per submit: ``action`` is disable, enable, role or password."""
    target = _own(user_id)
    action = request.form.get("action", "")
    try:
        if target.id == current().row.id and action in ("disable", "role"):
            raise forms.FormErrors(
                {"_form": "You cannot disable yourself or change your own role."}
            )
        if action in ("disable", "enable"):
            forms.run(
                lambda: service.set_disabled(
                    session(), target, action == "disable", actor=actor(), livemode=livemode()
                )
            )
        elif action == "role":
            forms.run(
                lambda: service.set_role(
                    session(),
                    target,
                    request.form.get("role", ""),
                    actor=actor(),
                    livemode=livemode(),
                )
            )
        elif action == "password":
            forms.run(
                lambda: service.reset_password(
                    session(),
                    target,
                    request.form.get("password", ""),
                    actor=actor(),
                    livemode=livemode(),
                )
            )
        else:
            raise forms.FormErrors({"_form": "Unknown action."})
    except forms.FormErrors as exc:
        return _users_page(exc.errors, exc.status)
    flash(f"Updated {target.email}.")
    return redirect(url_for("staff.users"))
