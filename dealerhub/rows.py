"""The base of every table model: construction that writes the fields into the instance.

A payment request builds three rows (payment method, intent, charge). SQLModel's constructor
sets each field through pydantic's and SQLAlchemy's ``__setattr__``, which cost that request
more than its INSERTs; :class:`Row` writes the column fields straight into the instance
instead. Relationships are assigned as attributes, so SQLAlchemy's instrumentation sees them
(back references, cascades, foreign keys set at flush). New rows are written by SQLAlchemy's
unit of work as usual.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from copy import deepcopy
from functools import cache
from typing import Any

from pydantic_core import PydanticUndefined
from sqlmodel import SQLModel

_IMMUTABLE = (str, int, float, bool, type(None), enum.Enum)


class Row(SQLModel):
    """Base of every table model. Construction writes the fields straight into the instance,
    which is where SQLAlchemy reads a new row's values at INSERT and where it writes a loaded
    row's. SQLModel's own constructor sets each field through pydantic's and SQLAlchemy's
    ``__setattr__`` instead (it does not validate table models either). Relationship
    attributes (SQLModel ``Relationship``) are set by ordinary attribute assignment. Unknown
    keyword arguments are an error here, where SQLModel would drop them silently."""

    def __init__(self, **data: Any) -> None:
        values = self.__dict__
        for name, default, factory in _defaults(type(self)):
            if name in data:
                values[name] = data.pop(name)
            elif factory is not None:
                values[name] = factory()
            elif default is not PydanticUndefined:
                values[name] = default if isinstance(default, _IMMUTABLE) else deepcopy(default)
        if data:
            relationships = type(self).__sqlmodel_relationships__
            unknown = sorted(name for name in data if name not in relationships)
            if unknown:
                raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}")
            for name, value in data.items():
                setattr(self, name, value)


@cache
def _defaults(model: type[Row]) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    return tuple(
        (name, field.default, field.default_factory)  # type: ignore[misc]
        for name, field in model.model_fields.items()
    )
