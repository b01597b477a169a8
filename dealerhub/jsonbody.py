"""Request bodies as JSON, strictly: every body the API reads goes through :func:`load`.

orjson already refuses lone surrogates, non-finite numbers and nesting past 1,024 levels; on
top of that a body may nest at most :data:`MAX_DEPTH` levels and hold no integer outside
64 bits (the database's and the JSON encoder's limit), so no input reaches a ``RecursionError``,
an ``OverflowError`` or an encoder failure later on: it is a 400 here, naming where it failed.
(orjson reads an integer too large for 64 bits as a float, so floats are bounded alike.)
"""

from __future__ import annotations

from typing import Any

import orjson

from dealerhub.errors import InvalidRequest

MAX_DEPTH = 32
MAX_INT = 2**63 - 1


class BodyInvalid(InvalidRequest):
    code = "body_invalid"


class RequestTooLarge(InvalidRequest):
    """413: a body over ``MAX_CONTENT_LENGTH``."""

    status = 413
    code = "request_too_large"


class UnsupportedMediaType(InvalidRequest):
    """415: a body that is not JSON where JSON is expected (curl's ``-d`` sends a form)."""

    status = 415
    code = "unsupported_media_type"


def load(data: bytes | str) -> Any:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BodyInvalid(f"The body is not valid JSON: {exc}.") from exc
    _check(value, "body", 0)
    return value


def _check(value: Any, where: str, depth: int) -> None:
    # Iterative over siblings, recursive only in depth, which is bounded by MAX_DEPTH.
    if depth > MAX_DEPTH:
        raise BodyInvalid(f"The body nests deeper than {MAX_DEPTH} levels (at {where}).")
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list | int | float) and not isinstance(item, bool):
                _check(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list | int | float) and not isinstance(item, bool):
                _check(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, int | float) and not -MAX_INT - 1 <= value <= MAX_INT:
        raise BodyInvalid(
            f"{where} is a number outside 64 bits.", param=where.removeprefix("body.")
        )
