"""Staff accounts (one dealer each) and the desk's per-dealer settings."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from dealerhub.db import now
from dealerhub.rows import Row


class StaffUser(Row, table=True):
    """A desk login. ``password_hash`` is an argon2id PHC string; ``session_version`` is
    bumped on disable and password reset so every open session of the user ends."""

    __tablename__ = "staff_users"
    __object_name__ = "staff_user"
    __table_args__ = (UniqueConstraint("email", name="uq_staff_users_email"),)

    id: str = Field(primary_key=True, max_length=40)
    dealer_id: str = Field(foreign_key="dealers.id", index=True, max_length=40)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=255)
    disabled: bool = Field(default=False)
    session_version: int = Field(default=1)
    failed_logins: int = Field(default=0)
    locked_until: int | None = None
    last_login_at: int | None = None
    created: int = Field(default_factory=now)


class DeskSettings(Row, table=True):
    """Per-dealer desk preferences: the time zone the desk shows times in."""

    __tablename__ = "staff_desk_settings"

    dealer_id: str = Field(primary_key=True, foreign_key="dealers.id", max_length=40)
    timezone: str = Field(default="UTC", max_length=64)
