"""The desk's blueprint and its security: session login (Flask-Login), CSRF on every form
(Flask-WTF), cookie flags, idle and absolute timeouts, the role check of every view, the
test/live mode switch, and the HTML error pages.

Every desk view is declared with :func:`view`, which names the permission it needs: there is
no way to add a screen that skips the role check. Views use the request's session
(``dealerhub.api.session``), which the request lifecycle commits once, or rolls back when
an error is raised, so a refused action changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask import (
    session as cookie,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.audit import record_audit
from dealerhub.billing.money import fmt
from dealerhub.context import Actor, actor_var, dealer_id_var
from dealerhub.errors import DealerhubError
from dealerhub.staff.errors import Forbidden
from dealerhub.staff.models import StaffUser
from dealerhub.staff.roles import Permission, can
from dealerhub.staff.service import desk_timezone
from dealerhub.tenancy import Tenant

F = TypeVar("F", bound=Callable[..., Any])

IDLE_TIMEOUT = 30 * 60
ABSOLUTE_TIMEOUT = 12 * 3600
COOKIE_NAME = "dealerhub_desk"
STATIC_DIR = Path(__file__).parent / "static"

# The main menu: a screen appears to the roles that may open it.
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("staff.home", "Home", Permission.VIEW),
    ("staff.customers", "Customers", Permission.VIEW),
    ("staff.leads", "Leads", Permission.VIEW),
    ("staff.credit_new", "Credit", Permission.CREDIT),
    ("staff.deal_new", "Deal desk", Permission.DEALS),
    ("staff.invoices", "Invoices", Permission.VIEW),
    ("staff.payments", "Payments", Permission.VIEW),
    ("staff.configuration", "Configuration", Permission.CONFIGURATION),
    ("staff.audit", "Audit", Permission.AUDIT),
    ("staff.users", "Users", Permission.STAFF),
)

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Log in to use the desk."
# "strong": a session cookie replayed from another IP or user agent is dropped.
login_manager.session_protection = "strong"


class DeskSessionInterface(SecureCookieSessionInterface):
    """The desk's signed-cookie session, opened only under ``/staff`` (where its cookie is
    sent): an API request gets Flask's null session instead, which skips the cookie's
    serializer and signature check and fails loudly if anything tries to store in it."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if not request.path.startswith(bp.url_prefix or "/staff"):
            return self.make_null_session(app)
        return super().open_session(app, request)


class DeskUser(UserMixin):
    """The logged-in staff user as Flask-Login sees it. The session stores
    ``<id>:<session_version>``, so disabling a user or resetting the password (which bump
    the version) ends every session they had open."""

    def __init__(self, row: StaffUser) -> None:
        self.row = row

    def get_id(self) -> str:
        return f"{self.row.id}:{self.row.session_version}"

    @property
    def role(self) -> str:
        return self.row.role

    def can(self, permission: str) -> bool:
        return can(self.row.role, Permission(permission))


@login_manager.user_loader
def _load_user(token: str) -> DeskUser | None:
    user_id, _, version = token.partition(":")
    row = session().get(StaffUser, user_id)
    if row is None or row.disabled or str(row.session_version) != version:
        return None
    return DeskUser(row)


def init(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/staff",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=ABSOLUTE_TIMEOUT),
        # The API is not a form surface: CSRF is checked by the desk's own before_request.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=ABSOLUTE_TIMEOUT,
    )
    app.session_interface = DeskSessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)


def current() -> DeskUser:
    # The proxy forwards every attribute to the loaded DeskUser.
    return cast(DeskUser, current_user)


def tenant() -> Tenant:
    t: Tenant = g.tenant
    return t


def actor() -> Actor:
    return Actor("staff", current().row.id)


def livemode() -> bool:
    return bool(cookie.get("livemode", False))


def view(rule: str, permission: Permission | None, **options: Any) -> Callable[[F], F]:
    """Register a desk view that needs ``permission`` (None: the login page and static
    files). The API-key check of the request lifecycle is skipped for desk views (their
    credential is the session cookie), so each is flagged ``dealerhub_public``."""

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if permission is not None:
                if not current_user.is_authenticated:
                    return redirect(url_for("staff.login", next=request.full_path))
                if not current().can(permission):
                    raise Forbidden(
                        f"Your role ({current().role}) does not allow this "
                        f"({permission.value.replace('_', ' ')})."
                    )
            return fn(*args, **kwargs)

        guarded.dealerhub_public = True  # type: ignore[attr-defined]
        guarded.desk_permission = permission  # type: ignore[attr-defined]
        bp.add_url_rule(rule, view_func=guarded, **options)
        return fn

    return register


@bp.before_request
def _guard() -> Response | None:
    if request.method == "POST":
        csrf.protect()
    if not current_user.is_authenticated:
        return None  # views that need a login redirect to it
    at = int(dt.datetime.now(dt.UTC).timestamp())
    started, seen = cookie.get("login_at", 0), cookie.get("seen_at", 0)
    if at - seen > IDLE_TIMEOUT or at - started > ABSOLUTE_TIMEOUT:
        logout_user()
        cookie.clear()
        return redirect(url_for("staff.login", expired=1, next=request.full_path))
    cookie["seen_at"] = at
    user = current().row
    g.tenant = Tenant(user.dealer_id, livemode())
    actor_var.set(Actor("staff", user.id))
    dealer_id_var.set(user.dealer_id)
    return None


@bp.app_template_filter("money")
def _money(amount: int | None, currency: str | None = "usd") -> str:
    return "-" if amount is None else fmt(int(amount), currency or "usd")


@bp.app_template_filter("when")
def _when(ts: int | str | None) -> str:
    """Unix seconds (or an ISO 8601 string, as certificate dates are) in the dealer's zone."""
    if ts is None or ts == "":
        return "-"
    zone: ZoneInfo = g.get("desk_tz") or ZoneInfo("UTC")
    if isinstance(ts, str):
        moment = dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(zone)
    else:
        moment = dt.datetime.fromtimestamp(int(ts), zone)
    return moment.strftime("%Y-%m-%d %H:%M %Z")


@bp.context_processor
def _layout() -> dict[str, Any]:
    user = current() if current_user.is_authenticated else None
    if user is not None and "desk_tz" not in g:
        g.desk_tz = desk_timezone(session(), user.row.dealer_id)
    nav = [
        (endpoint, label)
        for endpoint, label, permission in NAV
        if user is not None and endpoint in current_app.view_functions and user.can(permission)
    ]
    return {"user": user, "livemode": livemode(), "nav": nav}


def render(template: str, status: int = 200, **context: Any) -> Response:
    return current_app.response_class(
        render_template(template, **context), status=status, mimetype="text/html"
    )


def render_error(error: DealerhubError, request_id: str | None) -> Response:
    """Errors under /staff are pages (403 role, 404, a refused CSRF token, a 5xx)."""
    return render("staff/error.html", status=error.status, error=error, request_id=request_id)


@view("/static/<path:filename>", None)
def static(filename: str) -> Response:
    return send_from_directory(STATIC_DIR, filename, max_age=3600)


def audit(action: str, object_id: str | None = None, **details: Any) -> None:
    """Record a desk action with the staff user as actor, in the request's transaction (so
    a refused or failed action leaves no entry). ``details`` never holds PII."""
    record_audit(
        session(), tenant(), actor=actor(), action=action, object_id=object_id, details=details
    )
