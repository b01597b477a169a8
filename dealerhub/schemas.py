"""Shared marshmallow parts: the strict request base, metadata, the object base (``id``,
``object``, ``created``, ``livemode``), money, list and search-result objects, deletions.

Response schemas dump models directly (``attribute=`` maps a column to its public name) and
are the one rendering of each object: the API response and the event snapshot alike.
Dumping is on the request's hot path, so the typed fields below pass values that are
already JSON types straight through instead of converting them again, and every schema is
meant to be instantiated once, at module level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500


# Integers the database can hold (64 bits): every integer a client sends is bounded, or a
# large one is an OverflowError (a 500) at the first query that binds it.
INT64 = validate.Range(min=-(2**63), max=2**63 - 1)
TIMESTAMP = validate.Range(min=0, max=2**63 - 1)  # Unix seconds


class StrictSchema(Schema):
    """Request bodies and query strings: an unknown field is a 400 naming it."""

    class Meta:
        unknown = RAISE


def validate_metadata(value: Mapping[str, Any]) -> None:
    """Stripe's rules: at most 50 keys, keys at most 40 characters without ``[`` or ``]``,
    values strings of at most 500 characters."""
    if len(value) > METADATA_MAX_KEYS:
        raise ValidationError(f"metadata may have at most {METADATA_MAX_KEYS} keys.")
    for key, item in value.items():
        if not key or len(key) > METADATA_KEY_MAX or "[" in key or "]" in key:
            raise ValidationError(f"Invalid metadata key '{key[:METADATA_KEY_MAX]}'.")
        if not isinstance(item, str) or len(item) > METADATA_VALUE_MAX:
            raise ValidationError(
                f"metadata['{key}'] must be a string of at most {METADATA_VALUE_MAX} chars."
            )


# validate_metadata's rules as JSON Schema, for the OpenAPI document. OpenAPI 3.0 has no
# propertyNames, so the keys' rule is an extension (x-propertyNames, in JSON Schema's words).
METADATA_JSON_SCHEMA: dict[str, Any] = {
    "maxProperties": METADATA_MAX_KEYS,
    "x-propertyNames": {
        "minLength": 1,
        "maxLength": METADATA_KEY_MAX,
        "pattern": rf"^[^\[\]]{{1,{METADATA_KEY_MAX}}}$",
    },
    "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE_MAX},
}


class _DictCopy(fields.Dict):
    """A string map dumped as a plain copy (its values were strings when they were stored)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else dict(value)


class StrMap(_DictCopy):
    """A string-to-string map (values may be null)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(allow_none=True), **kwargs)


class MetadataField(_DictCopy):
    """``metadata``: a string map, validated on load."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate_metadata)
        kwargs.setdefault(
            "metadata",
            {
                "description": "String map: at most 50 keys of 40 chars, values of 500 chars.",
                "json_schema": METADATA_JSON_SCHEMA,
            },
        )
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)


def Metadata(**kwargs: Any) -> MetadataField:  # noqa: N802 - reads as a field type
    return MetadataField(**kwargs)


# Typed pass-through fields for dumping. The columns they read already hold JSON values of
# the documented type, so they skip marshmallow's per-value conversion (str(), int(), ...)
# and cost one attribute read. apispec types them through their base classes.


class _AsStored(fields.Field):
    """Dumps the stored value unchanged (``_serialize`` is marshmallow's documented hook for
    a custom field's output)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class Str(_AsStored, fields.String):
    pass


class Int(_AsStored, fields.Integer):
    pass


class Bool(_AsStored, fields.Boolean):
    pass


class Obj(_AsStored, fields.Dict):
    """A free-form JSON object (documented ``type: object``), passed through as stored."""


class StrList(fields.List):
    """A list of strings, dumped as a copy."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else list(value)


def Money(**kwargs: Any) -> Int:  # noqa: N802 - reads as a field type
    """An amount in the smallest currency unit (cents)."""
    kwargs.setdefault("metadata", {"description": "Integer minor units (e.g. cents)."})
    return Int(**kwargs)


def Currency(**kwargs: Any) -> Str:  # noqa: N802 - reads as a field type
    kwargs.setdefault("metadata", {"description": "Lower-case ISO 4217 code."})
    return Str(**kwargs)


def Const(value: Any, type_: str = "string", **metadata: Any) -> fields.Constant:  # noqa: N802
    """A value that is always ``value`` (``object`` names, Stripe's always-null fields)."""
    if value is None:
        meta: dict[str, Any] = {"type": type_, "nullable": True, "description": "Always null."}
    else:
        meta = {"type": type_, "enum": [value]}
    meta.update(metadata)
    return fields.Constant(value, metadata=meta)


def _itself(obj: Any) -> Any:
    return obj


class Computed(fields.Nested):
    """A nested object computed from the parent object by ``getter`` (for example an intent's
    charges list), documented as its nested schema. Without a getter the nested schema reads
    the parent object itself (a group of its columns shown as one sub-object)."""

    def __init__(self, nested: Any, getter: Callable[[Any], Any] = _itself, **kwargs: Any) -> None:
        self.getter = getter
        super().__init__(nested, **kwargs)

    def get_value(
        self,
        obj: Any,
        attr: str,
        accessor: Callable[[Any, str, Any], Any] | None = None,
        default: Any = missing,
    ) -> Any:
        return self.getter(obj)


class Rendered(fields.Nested):
    """A nested object the service has already dumped with its schema (inside a view that is
    itself a dict): documented as that schema, passed through as it is."""

    def serialize(
        self,
        attr: str,
        obj: Any,
        accessor: Callable[[Any, str, Any], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        return self.get_value(obj, attr, accessor=accessor)


class NestedOrEmpty(fields.Nested):
    """A nested object that is never null: a missing or null value dumps as the nested
    schema's defaults (for example an address with every key null)."""

    def get_value(
        self,
        obj: Any,
        attr: str,
        accessor: Callable[[Any, str, Any], Any] | None = None,
        default: Any = missing,
    ) -> Any:
        return super().get_value(obj, attr, accessor, default) or {}


# How ResponseSchema.dump handles a field: read and pass through, a constant, read and copy
# a dict or a list, call a function of the object, dump a nested schema (one object, a
# computed one, or a list of them), or marshmallow's own Field.serialize for anything else.
_PASS, _CONST, _DICT, _LIST, _FUNC, _NESTED, _COMPUTED, _NESTED_LIST, _FIELD = range(9)
_Step = tuple[str, int, str, Any, Any]


def _step(name: str, field: fields.Field) -> _Step:
    key = field.data_key if field.data_key is not None else name
    attr = field.attribute if field.attribute is not None else name
    kind = {
        Str: _PASS,
        Int: _PASS,
        Bool: _PASS,
        Obj: _PASS,
        Rendered: _PASS,
        fields.Constant: _CONST,
        MetadataField: _DICT,
        StrMap: _DICT,
        StrList: _LIST,
    }.get(type(field), _FIELD)
    if isinstance(field, fields.Constant):
        return key, _CONST, attr, field.constant, None
    if kind != _FIELD:
        return key, kind, attr, field.dump_default, None
    if type(field) is fields.Function and field.serialize_func is not None:
        return key, _FUNC, attr, field.serialize_func, None
    if isinstance(field, fields.Nested) and isinstance(field.schema, ResponseSchema):
        many = bool(field.many or field.schema.many)
        if type(field) is Computed:
            return key, _COMPUTED, attr, field.getter, (field.schema, many)
        if type(field) is fields.Nested:
            return key, _NESTED, attr, field.dump_default, (field.schema, many)
    inner = getattr(field, "inner", None)
    if (
        type(field) is fields.List
        and type(inner) is fields.Nested
        and isinstance(inner.schema, ResponseSchema)
        and not inner.many
    ):
        return key, _NESTED_LIST, attr, field.dump_default, inner.schema
    return key, _FIELD, name, field, None


class ResponseSchema(Schema):
    """Base of response schemas. Reads model attributes with a plain ``getattr`` (or a key,
    for the dicts stored in JSON columns), and dumps with a plan made once per instance from
    its ``dump_fields``: the fields of this module, constants, functions and nested response
    schemas are handled inline, anything else goes through ``Field.serialize`` exactly as
    marshmallow's own ``dump`` would (tests/test_schemas.py checks both agree). Response
    schemas therefore define no ``pre_dump``/``post_dump`` hooks (compute with fields)."""

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if type(obj) is dict:
            return obj.get(attr, default)
        return getattr(obj, attr, default)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else bool(many)
        plan: list[_Step] | None = self.__dict__.get("dump_plan")
        if plan is None:
            plan = [_step(name, field) for name, field in self.dump_fields.items()]
            self.__dict__["dump_plan"] = plan
        if many:
            return [self._dump_one(plan, item) for item in obj]
        return self._dump_one(plan, obj)

    def _dump_one(self, plan: list[_Step], obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        get = obj.get if type(obj) is dict else partial(getattr, obj)
        for key, kind, attr, arg, nested in plan:
            if kind == _PASS:  # the common case first
                value = get(attr, missing)
                if value is missing:
                    value = arg() if callable(arg) else arg
                    if value is missing:
                        continue
                out[key] = value
                continue
            if kind == _CONST:
                out[key] = arg
                continue
            if kind == _FUNC:
                out[key] = arg(obj)
                continue
            if kind == _FIELD:
                value = arg.serialize(attr, obj, accessor=self.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            if kind == _COMPUTED:
                value = arg(obj)
            else:
                value = get(attr, missing)
                if value is missing:
                    value = arg() if callable(arg) else arg
                    if value is missing:
                        continue
            if value is None:
                out[key] = None
            elif kind == _DICT:
                out[key] = dict(value)
            elif kind == _LIST:
                out[key] = list(value)
            elif kind == _NESTED_LIST:
                out[key] = [None if item is None else nested.dump(item) for item in value]
            else:  # _NESTED, _COMPUTED
                out[key] = nested[0].dump(value, many=nested[1])
        return out


class ObjectSchema(ResponseSchema):
    """``id``, ``object``, ``created``, ``livemode``: what every API object starts with.
    Subclasses set ``object`` with ``Const("<type name>")``."""

    id = Str(required=True)
    object: fields.Field = Str(required=True, metadata={"description": "The object's type name."})
    created = Int(required=True, metadata={"description": "Unix seconds"})
    livemode = Bool(required=True)


class PostalAddressSchema(ResponseSchema):
    """An address as it was given (only the keys that were sent)."""

    line1 = Str(allow_none=True)
    line2 = Str(allow_none=True)
    city = Str(allow_none=True)
    state = Str(allow_none=True)
    postal_code = Str(allow_none=True)
    country = Str(allow_none=True)


def list_schema(item: type[Schema], *, name: str | None = None) -> type[Schema]:
    """The response schema of a list endpoint: ``{object: "list", data: [item], has_more,
    url}``. It dumps a page (:func:`dealerhub.pagination.paginate`) of models."""
    schema_name = name or item.__name__.removesuffix("Schema") + "ListSchema"
    return type(
        schema_name,
        (ResponseSchema,),
        {
            "object": Const("list"),
            "data": fields.List(fields.Nested(item), required=True),
            "has_more": Bool(required=True),
            "url": Str(required=True),
        },
    )


def search_result_schema(
    item: type[Schema], *, name: str | None = None, or_list: bool = False
) -> type[Schema]:
    """``{object: "search_result", data: [item], has_more, next_page, url}``: the result of a
    Stripe search query (:func:`dealerhub.pagination.search`). With ``or_list`` the endpoint
    answers a plain list page (:func:`dealerhub.pagination.paginate`, no ``next_page``) when
    no query is given, and ``object`` says which one it is."""
    schema_name = name or item.__name__.removesuffix("Schema") + "SearchResultSchema"
    kinds = ["search_result", "list"] if or_list else ["search_result"]
    return type(
        schema_name,
        (ResponseSchema,),
        {
            "object": Str(required=True, metadata={"enum": kinds}),
            "data": fields.List(fields.Nested(item), required=True),
            "has_more": Bool(required=True),
            "next_page": Str(
                allow_none=True, metadata={"description": "Pass as `page` for the next page."}
            ),
            "url": Str(required=True),
        },
    )


class DeletedSchema(ResponseSchema):
    """``{"id": …, "object": …, "deleted": true}``: what every DELETE of an object returns."""

    id = Str(required=True)
    object = Str(required=True)
    deleted = Bool(required=True)
