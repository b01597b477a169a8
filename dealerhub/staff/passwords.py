"""Staff passwords: argon2id hashing (argon2-cffi's defaults, RFC 9106's second recommended
parameter set) and the policy a new password must meet."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()
# Verified against when the e-mail names nobody, so a login for an unknown account costs the
# same time as one for a known account (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash("dealerhub-no-such-staff-user")


@cache
def _common() -> frozenset[str]:
    text = resources.files("dealerhub.staff").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def policy_error(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    # "Password123!" is "password" with decorations: strip trailing digits and punctuation.
    core = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in _common() or core in _common() or len(set(lowered)) < 4:
        return "This password is too common; choose a less guessable one."
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        return "The password must not contain the e-mail address."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no such user, same cost either way)."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
