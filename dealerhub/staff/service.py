"""Staff accounts: create, list, disable, reset a password, log in (with throttling), and
the desk's per-dealer settings. Used by the CLI and the desk's screens alike."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, validate
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from dealerhub.audit import record_audit
from dealerhub.context import Actor
from dealerhub.db import new_id, now
from dealerhub.dealers.models import Dealer
from dealerhub.errors import Conflict, NotFound, ValidationFailed
from dealerhub.staff import passwords
from dealerhub.staff.errors import LoginFailed, LoginThrottled, PasswordRejected
from dealerhub.staff.models import DeskSettings, StaffUser
from dealerhub.staff.roles import Role
from dealerhub.tenancy import Tenant

# Five wrong passwords in a row lock the account for 15 minutes (OWASP's advice: a lockout
# long enough to stop guessing, short enough not to be a denial of service on its own).
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60

_email = validate.Email(error="Enter a valid e-mail address.")


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    try:
        _email(value)
    except ValidationError as exc:
        raise ValidationFailed(str(exc.messages[0]), param="email") from None
    return value


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"Unknown role '{role}'; use one of {allowed}.", param="role"
        ) from None


def _check_password(password: str, email: str) -> None:
    problem = passwords.policy_error(password, email=email)
    if problem:
        raise PasswordRejected(problem, param="password")


def create_staff(
    session: Session, *, dealer_id: str, email: str, role: str, password: str, actor: Actor | str
) -> StaffUser:
    """A new staff user of ``dealer_id``; e-mail addresses are unique across dealers (the
    login form asks for no dealer)."""
    address = normalise_email(email)
    checked_role = _role(role)
    _check_password(password, address)
    if session.get(Dealer, dealer_id) is None:
        raise NotFound(f"No such dealer: '{dealer_id}'", param="dealer")
    taken = session.scalars(select(StaffUser).where(col(StaffUser.email) == address)).first()
    if taken is not None:
        raise Conflict(f"A staff user with e-mail {address} exists.", param="email")
    user = StaffUser(
        id=new_id("staff"),
        dealer_id=dealer_id,
        email=address,
        role=checked_role.value,
        password_hash=passwords.hash_password(password),
    )
    session.add(user)
    record_audit(
        session,
        Tenant(dealer_id, False),
        actor=actor,
        action="staff_user.created",
        object_id=user.id,
        details={"role": user.role},
    )
    return user


def list_staff(session: Session, *, dealer_id: str | None = None) -> Sequence[StaffUser]:
    stmt = select(StaffUser).order_by(col(StaffUser.dealer_id), col(StaffUser.email))
    if dealer_id is not None:
        stmt = stmt.where(col(StaffUser.dealer_id) == dealer_id)
    return session.scalars(stmt).all()


def find_staff(session: Session, ref: str, *, dealer_id: str | None = None) -> StaffUser:
    """A staff user by id or e-mail (within ``dealer_id`` when given), locked for update."""
    ref = ref.strip()
    if ref.startswith("staff_"):
        stmt = select(StaffUser).where(col(StaffUser.id) == ref)
    else:
        stmt = select(StaffUser).where(col(StaffUser.email) == ref.lower())
    if dealer_id is not None:
        stmt = stmt.where(col(StaffUser.dealer_id) == dealer_id)
    user = session.scalars(stmt.with_for_update()).first()
    if user is None:
        raise NotFound(f"No such staff user: '{ref}'", param="staff_user")
    return user


def _tenant(user: StaffUser, livemode: bool) -> Tenant:
    return Tenant(user.dealer_id, livemode)


def set_disabled(
    session: Session, user: StaffUser, disabled: bool, *, actor: Actor | str, livemode: bool = False
) -> StaffUser:
    """Disable (or re-enable) a login; disabling ends the user's open sessions."""
    user.disabled = disabled
    user.session_version += 1
    session.add(user)
    action = "staff_user.disabled" if disabled else "staff_user.enabled"
    record_audit(session, _tenant(user, livemode), actor=actor, action=action, object_id=user.id)
    return user


def set_role(
    session: Session, user: StaffUser, role: str, *, actor: Actor | str, livemode: bool = False
) -> StaffUser:
    before = user.role
    user.role = _role(role).value
    user.session_version += 1
    session.add(user)
    record_audit(
        session,
        _tenant(user, livemode),
        actor=actor,
        action="staff_user.role_changed",
        object_id=user.id,
        details={"from": before, "to": user.role},
    )
    return user


def reset_password(
    session: Session, user: StaffUser, password: str, *, actor: Actor | str, livemode: bool = False
) -> StaffUser:
    """Set a new password; ends the user's open sessions and lifts a lockout."""
    _check_password(password, user.email)
    user.password_hash = passwords.hash_password(password)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    record_audit(
        session,
        _tenant(user, livemode),
        actor=actor,
        action="staff_user.password_reset",
        object_id=user.id,
    )
    return user


def log_in(session: Session, email: str, password: str, *, at: int | None = None) -> StaffUser:
    """Check a login. Failures are counted (and committed by the caller: the desk renders
    the form again rather than raising through the request's rollback)."""
    at = now() if at is None else at
    address = email.strip().lower()
    user = session.scalars(
        select(StaffUser).where(col(StaffUser.email) == address).with_for_update()
    ).first()
    if user is not None and user.locked_until and user.locked_until > at:
        # Checked before the password, so a locked account gives a guesser no signal.
        raise LoginThrottled()
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None:
        raise LoginFailed()
    tenant = Tenant(user.dealer_id, False)
    if not ok or user.disabled:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = at + LOCKOUT_SECONDS
            user.failed_logins = 0
        session.add(user)
        record_audit(
            session,
            tenant,
            actor=Actor("staff", user.id),
            action="staff.login_failed",
            object_id=user.id,
            details={"locked": user.locked_until is not None and user.locked_until > at},
        )
        raise LoginFailed()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    session.add(user)
    record_audit(
        session, tenant, actor=Actor("staff", user.id), action="staff.login", object_id=user.id
    )
    return user


def count_staff(session: Session, dealer_id: str) -> int:
    stmt = select(func.count()).select_from(StaffUser).where(col(StaffUser.dealer_id) == dealer_id)
    return int(session.scalar(stmt) or 0)


def desk_timezone(session: Session, dealer_id: str) -> ZoneInfo:
    row = session.get(DeskSettings, dealer_id)
    try:
        return ZoneInfo(row.timezone if row else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def set_desk_timezone(
    session: Session, tenant: Tenant, timezone: str, *, actor: Actor | str
) -> DeskSettings:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"Unknown time zone '{timezone}'; use an IANA name such as America/Chicago.",
            param="timezone",
        ) from None
    row = session.get(DeskSettings, tenant.dealer_id) or DeskSettings(dealer_id=tenant.dealer_id)
    row.timezone = timezone
    session.add(row)
    record_audit(
        session, tenant, actor=actor, action="desk.timezone_set", details={"timezone": timezone}
    )
    return row
