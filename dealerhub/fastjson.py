"""JSON for API responses and the database's JSON columns, encoded with orjson.

A payment request serialises its response and three or four event snapshots; orjson does that
several times faster than the standard library. Keys keep their insertion order (ids first, as
Stripe's objects read), not sorted.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> str:
    """The database columns' serialiser."""
    return orjson.dumps(obj, option=_OPTIONS).decode()


loads = orjson.loads


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider on orjson. Dates and datetimes come out as ISO 8601; types orjson
    does not know (``Decimal``, ``__html__``) fall back to Flask's own conversions."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # indent, sort_keys, … asked for explicitly: the standard library's way
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s) if not kwargs else super().loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """``jsonify`` (and flask-smorest's responses), with Flask's documented semantics: one
        positional argument is the object, several are a list, keyword arguments are a dict,
        none is ``null``; indented when ``compact`` is ``False`` or (``compact`` unset) the app
        is in debug mode. Flask's own passes ``separators`` or ``indent`` to :meth:`dumps`,
        which would send every response through the standard library."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj: Any = (args[0] if len(args) == 1 else list(args)) if args else (kwargs or None)
        pretty = self.compact is False or (self.compact is None and current_app.debug)
        option = _OPTIONS | orjson.OPT_INDENT_2 if pretty else _OPTIONS
        body = orjson.dumps(obj, default=self.default, option=option) + b"\n"
        return current_app.response_class(body, mimetype=self.mimetype)
