"""Stripe's search query language (https://docs.stripe.com/search#search-query-language).

``field:value``, ``field~value``, ``field>N`` (and ``<``, ``>=``, ``<=``), negation with a
leading ``-`` and ``metadata['key']:'value'``, joined by ``AND`` or ``OR`` but never both.
Pure module: callers map searchable field names to columns, so it knows no models.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import DateTime, String, and_, not_, or_
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "Clause",
    "FieldSpec",
    "Query",
    "SearchQueryError",
    "decode_page",
    "encode_page",
    "parse",
    "to_sql",
]

Op = Literal[":", "~", ">", "<", ">=", "<="]
Value = str | int | float | None

MAX_CLAUSES = 10  # Stripe's documented limit; it also bounds the size of the generated SQL.
MIN_SUBSTRING = 3  # Stripe rejects shorter `~` values: they would match nearly everything.

# Two-character operators first so ">=" is not read as ">" followed by "=".
_OPS: tuple[Op, ...] = (">=", "<=", ":", "~", ">", "<")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
# Bare values are deliberately narrow so typos like `status:active!` are reported rather
# than silently becoming part of the value.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.@+\-]+")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD_RE = re.compile(r"\S+")
# SQLite's JSON paths cannot quote '"' and compare labels before JSON unescaping, so only
# keys whose JSON spelling equals their text can be looked up on both databases.
_METADATA_KEY_RE = re.compile(r"[ !#-\[\]-~]+")
_INT_LIMIT = 2**63 - 1  # the largest integer every supported database can bind
_PAGE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PAGE_PREFIX = "offset:"


class SearchQueryError(ValueError):
    """A query cannot be parsed or compiled; ``position`` is a 0-based character offset."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _fail(message: str, position: int) -> SearchQueryError:
    return SearchQueryError(f"{message} at position {position}", position)


@dataclass(frozen=True)
class Clause:
    field: str
    op: Op
    value: Value
    negated: bool = False
    metadata_key: str | None = None
    # Where the clause starts in the query text, so `to_sql` errors can point at it. Not part
    # of equality: a clause means the same thing wherever it was written.
    position: int = dc_field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    conjunction: Literal["AND", "OR"]


@dataclass(frozen=True)
class FieldSpec:
    column: ColumnElement[Any]
    kind: Literal["string", "number", "timestamp"]
    allow_substring: bool = False


def parse(query: str) -> Query:
    """Parse a search query; any problem raises `SearchQueryError` with its position."""
    return _Parser(query).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _unexpected(self, expected: str) -> SearchQueryError:
        what = f"character {self._peek()!r}" if self._peek() else "end of query"
        return SearchQueryError(
            f"Unexpected {what} at position {self.pos}; expected {expected}", self.pos
        )

    def _skip_space(self) -> None:
        while self._peek().isspace():
            self.pos += 1

    def parse(self) -> Query:
        end = len(self.text.rstrip())
        self._skip_space()
        if self.pos >= end:
            raise SearchQueryError("Query is empty", 0)
        clauses = [self._clause()]
        conjunction: Literal["AND", "OR"] | None = None
        while self.pos < end:
            if not self._peek().isspace():
                raise self._unexpected("a space and then AND or OR")
            self._skip_space()
            op_pos = self.pos
            word_match = _WORD_RE.match(self.text, op_pos)
            word = word_match.group() if word_match else ""
            if word not in ("AND", "OR"):
                # Stripe has no implicit AND, and its operators are case-sensitive.
                hint = " (operators must be uppercase)" if word.upper() in ("AND", "OR") else ""
                raise _fail(f"Expected AND or OR between clauses{hint}", op_pos)
            if conjunction is not None and word != conjunction:
                raise SearchQueryError("Queries cannot mix AND and OR", op_pos)
            conjunction = "AND" if word == "AND" else "OR"
            self.pos += len(word)
            if self.pos >= end:
                raise _fail(f"Expected a clause after {word}", op_pos)
            self._skip_space()
            if len(clauses) == MAX_CLAUSES:
                raise SearchQueryError(
                    f"Queries can contain at most {MAX_CLAUSES} clauses", self.pos
                )
            clauses.append(self._clause())
        return Query(tuple(clauses), conjunction or "AND")

    def _clause(self) -> Clause:
        start = self.pos
        negated = self._peek() == "-"
        self.pos += int(negated)
        name_match = _FIELD_RE.match(self.text, self.pos)
        if name_match is None:
            raise self._unexpected("a field name")
        name, self.pos = name_match.group(), name_match.end()
        metadata_key: str | None = None
        if name == "metadata":
            if self._peek() != "[":
                raise self._unexpected("['key'] after metadata")
            self.pos += 1
            if self._peek() not in ("'", '"'):
                raise self._unexpected("a quoted metadata key")
            key_pos = self.pos
            metadata_key = self._quoted()
            if not metadata_key:
                raise _fail("Metadata key is empty", key_pos)
            if self._peek() != "]":
                raise self._unexpected("']'")
            self.pos += 1
        op_pos = self.pos
        op = next((o for o in _OPS if self.text.startswith(o, self.pos)), None)
        if op is None:
            raise self._unexpected("one of : ~ > < >= <=")
        self.pos += len(op)
        value_pos = self.pos
        value = self._value(op)
        if metadata_key is not None and op != ":":
            raise _fail("Metadata only supports exact match ':'", op_pos)
        if op == "~" and (not isinstance(value, str) or len(value) < MIN_SUBSTRING):
            raise _fail(f"Substring search needs at least {MIN_SUBSTRING} characters", value_pos)
        if op not in (":", "~") and not isinstance(value, int | float):
            raise _fail(f"Comparator '{op}' needs a numeric value", value_pos)
        return Clause(name, op, value, negated, metadata_key, position=start)

    def _value(self, op: Op) -> Value:
        if self._peek() in ("'", '"'):
            return self._quoted()
        token_match = _TOKEN_RE.match(self.text, self.pos)
        if token_match is None:
            raise self._unexpected("a value")
        raw, start, self.pos = token_match.group(), self.pos, token_match.end()
        if op == "~":  # substring search is textual: `phone~555` means the characters 555
            return raw
        if raw == "null":
            return None
        return _number(raw, start) if _NUMBER_RE.fullmatch(raw) else raw

    def _quoted(self) -> str:
        """Read a quoted string; a backslash escapes the quote character or a backslash."""
        start, quote = self.pos, self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.text[self.pos + 1 : self.pos + 2] in (quote, "\\"):
                char = self.text[self.pos + 1]
                self.pos += 1
            elif char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise _fail("Unterminated string starting", start)


def _number(raw: str, position: int) -> int | float:
    try:
        number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:  # int() refuses digit strings longer than 4300 characters
        number = math.inf
    if not math.isfinite(number) or abs(number) > _INT_LIMIT:
        raise _fail("Number out of range", position)
    return number


def to_sql(
    query: Query,
    columns: Mapping[str, FieldSpec],
    metadata_column: ColumnElement[Any] | None = None,
) -> ColumnElement[bool]:
    """Compile a parsed query into a boolean expression for a WHERE clause.

    ``metadata_column`` must be typed ``sqlalchemy.JSON``: its ``[key].as_string()`` renders
    as ``JSON_EXTRACT`` on SQLite and ``->>`` on PostgreSQL, so one expression serves both.
    """
    conditions = [_clause_sql(c, columns, metadata_column) for c in query.clauses]
    return and_(*conditions) if query.conjunction == "AND" else or_(*conditions)


def _clause_sql(
    clause: Clause, columns: Mapping[str, FieldSpec], metadata_column: ColumnElement[Any] | None
) -> ColumnElement[bool]:
    target: ColumnElement[Any]
    condition: ColumnElement[bool]
    spec = columns.get(clause.field) if clause.metadata_key is None else None
    if clause.metadata_key is not None and metadata_column is not None:
        if not _METADATA_KEY_RE.fullmatch(clause.metadata_key):
            raise SearchQueryError(
                'Metadata keys may only use printable ASCII other than " and \\', clause.position
            )
        target = cast(Any, metadata_column)[clause.metadata_key].as_string()
        # Stripe metadata values are strings, so a bare number matches its text form.
        value = None if clause.value is None else str(clause.value)
        condition = target.is_(None) if value is None else target == value
    elif spec is not None:
        target, condition = spec.column, _field_condition(clause, spec)
    else:
        allowed = sorted(columns) + (["metadata['<key>']"] if metadata_column is not None else [])
        name = "metadata" if clause.metadata_key is not None else clause.field
        raise SearchQueryError(
            f"Unknown search field '{name}'. Allowed fields: {', '.join(allowed) or '(none)'}",
            clause.position,
        )
    if not clause.negated:
        return condition
    if clause.value is None:
        return target.is_not(None)
    # NOT (col = v) is NULL, not true, when col is NULL; Stripe counts a missing value as
    # "not equal", so NULL rows are added back explicitly (JSON lookups are always nullable).
    if getattr(target, "nullable", True):
        return or_(target.is_(None), not_(condition))
    return not_(condition)


def _field_condition(clause: Clause, spec: FieldSpec) -> ColumnElement[bool]:
    column, value, op, pos = spec.column, clause.value, clause.op, clause.position
    if value is None:
        if op != ":":
            raise _fail(f"Only ':' can be used with null on '{clause.field}'", pos)
        return column.is_(None)
    if op == "~":
        if not spec.allow_substring:
            raise _fail(f"Field '{clause.field}' does not support substring search (~)", pos)
        text = column if spec.kind == "string" else sql_cast(column, String)
        # icontains lower()s both sides, so matching is case-insensitive on SQLite and
        # PostgreSQL alike (SQLite's LIKE is not, PostgreSQL's is); autoescape keeps % and _.
        return text.icontains(str(value), autoescape=True)
    if spec.kind == "string":
        if op != ":":
            raise _fail(f"Comparator '{op}' cannot be used on text field '{clause.field}'", pos)
        return column == str(value)
    if isinstance(value, str):  # forgive `amount:'100'`; other text is a user error
        if not _NUMBER_RE.fullmatch(value):
            raise _fail(f"Field '{clause.field}' expects a number, not {value!r}", pos)
        value = _number(value, pos)
    operand: int | float | datetime = value
    if spec.kind == "timestamp" and isinstance(column.type, DateTime):
        # Timestamps are Unix seconds as in Stripe; DateTime columns need a datetime operand.
        try:
            operand = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise _fail(f"Timestamp out of range for '{clause.field}'", pos) from None
        operand = operand if column.type.timezone else operand.replace(tzinfo=None)
    match op:
        case ">":
            return column > operand
        case "<":
            return column < operand
        case ">=":
            return column >= operand
        case "<=":
            return column <= operand
        case _:
            return column == operand


def encode_page(offset: int) -> str:
    """Opaque cursor for the `page` / `next_page` parameters of search results."""
    if offset < 0:
        raise ValueError("offset must be non-negative")
    raw = f"{_PAGE_PREFIX}{offset}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_page(token: str) -> int:
    invalid = SearchQueryError("Invalid page token", 0)
    # urlsafe_b64decode silently skips foreign characters, so check the alphabet first.
    if not _PAGE_RE.fullmatch(token):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid from None
    digits = raw.removeprefix(_PAGE_PREFIX)
    if raw == digits or not re.fullmatch(r"0|[1-9][0-9]{0,17}", digits):
        raise invalid
    # Only the canonical spelling is accepted, so each offset has exactly one token.
    if encode_page(int(digits)) != token:
        raise invalid
    return int(digits)
