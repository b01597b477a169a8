"""Log in, log out, switch between test and live data."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask import session as cookie
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.audit import record_audit
from dealerhub.errors import DealerhubError
from dealerhub.staff import service
from dealerhub.staff.desk import DeskUser, actor, current, render, tenant, view
from dealerhub.staff.roles import Permission


def _safe_next(target: str | None) -> str:
    """Only a path under /staff: a login link must not send anyone to another site."""
    if not target:
        return url_for("staff.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff"):
        return url_for("staff.home")
    return target


@view("/login", None, methods=["GET", "POST"])
def login() -> Response:
    error = None
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            user = service.log_in(session(), email, request.form.get("password", ""))
        except DealerhubError as exc:
            # Rendered, not raised: the failed attempt's count and audit entry must commit.
            error = exc.message
            return render("staff/login.html", status=exc.status, error=error, email=email)
        cookie.clear()  # a fresh session on login (no fixation of a pre-login cookie)
        cookie.permanent = True
        at = int(dt.datetime.now(dt.UTC).timestamp())
        cookie["login_at"] = at
        cookie["seen_at"] = at
        cookie["livemode"] = False
        login_user(DeskUser(user))
        return redirect(_safe_next(request.args.get("next")))
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    expired = "Your session ended; log in again." if request.args.get("expired") else None
    return render("staff/login.html", error=expired, email=email)


@view("/logout", Permission.VIEW, methods=["POST"])
def logout() -> Response:
    record_audit(
        session(), tenant(), actor=actor(), action="staff.logout", object_id=current().row.id
    )
    logout_user()
    cookie.clear()
    flash("You are logged out.")
    return redirect(url_for("staff.login"))


@view("/mode", Permission.VIEW, methods=["POST"])
def switch_mode() -> Response:
    """Switch the desk between test and live data (always shown in the banner)."""
    mode = request.form.get("mode", "")
    if mode not in ("test", "live"):
        raise DealerhubError("mode must be 'test' or 'live'.", param="mode")
    cookie["livemode"] = mode == "live"
    record_audit(
        session(), tenant(), actor=actor(), action="desk.mode_switched", details={"to": mode}
    )
    flash(f"Now showing {mode}-mode data.")
    return redirect(_safe_next(request.form.get("next")))
