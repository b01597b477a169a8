"""Event type names and ``*`` groups (``payment_intent.*``, ``*.succeeded``, ``*``)."""

from __future__ import annotations

import re
from functools import lru_cache

TYPE_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
PATTERN_RE = re.compile(r"^(\*|[a-z0-9_*]+(\.[a-z0-9_*]+)*)$")


def is_pattern(value: str) -> bool:
    return "*" in value


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    # ``*`` stands for one or more characters, dots included, so ``*.succeeded`` matches
    # ``payment_intent.succeeded`` and ``payment_intent.*`` matches ``payment_intent.a.b``.
    return re.compile("^" + ".+".join(re.escape(p) for p in pattern.split("*")) + "$")


def matches(pattern: str, type_: str) -> bool:
    return pattern == type_ or (is_pattern(pattern) and bool(_regex(pattern).match(type_)))


def matches_any(patterns: list[str], type_: str) -> bool:
    return any(matches(p, type_) for p in patterns)


def to_like(pattern: str) -> str:
    """A SQL LIKE pattern (escape character ``\\``) equivalent to ``pattern``."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "_%")
