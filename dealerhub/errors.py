"""The error hierarchy: each error is a type carrying its HTTP status, Stripe-style ``type``
and stable ``code`` as data, rendered once into the envelope of the API conventions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DealerhubError(Exception):
    status: ClassVar[int] = 400
    type: ClassVar[str] = "invalid_request_error"
    code: ClassVar[str] = "parameter_invalid"
    default_message: ClassVar[str] = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        param: str | None = None,
        errors: Mapping[str, Any] | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.param = param
        self.errors = dict(errors) if errors else None
        if code is not None:
            self.code = code  # type: ignore[misc]  # instance override of the class default
        self.headers = dict(headers or {})
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param is not None:
            body["param"] = self.param
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class InvalidRequest(DealerhubError):
    """400: validation or a bad combination of parameters."""


class ValidationFailed(InvalidRequest):
    code = "parameter_invalid"

    @classmethod
    def from_messages(cls, messages: Mapping[str, Any]) -> ValidationFailed:
        """Wrap marshmallow's ``ValidationError.messages``, naming the first failing field."""
        path, detail = _first_error(messages)
        param = None if path == "_schema" else path
        text = detail if param is None else f"Invalid {param}: {detail}"
        unknown = isinstance(detail, str) and detail.startswith("Unknown field")
        return cls(
            text,
            param=param,
            errors=dict(messages),
            code="parameter_unknown" if unknown else "parameter_invalid",
        )


def _first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """Depth-first first leaf of a marshmallow error tree, as ``(dotted.path, message)``."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            return _first_error(value, path)
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, str):
            return prefix, first
        return _first_error(first, prefix)
    return prefix, str(messages)


class InvalidState(InvalidRequest):
    """400: an illegal state transition; the message names the current status."""

    code = "invalid_state"


class NotFound(DealerhubError):
    status = 404
    code = "resource_missing"
    default_message = "No such resource."


class MethodNotAllowed(DealerhubError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this resource."


class AuthenticationFailed(DealerhubError):
    status = 401
    type = "authentication_error"
    code = "api_key_invalid"
    default_message = "Invalid API key provided."


class PermissionDenied(DealerhubError):
    status = 403
    type = "permission_error"
    code = "permission_denied"
    default_message = "This key does not have permission to perform this request."


class Conflict(DealerhubError):
    status = 409
    code = "resource_exists"


class IdempotencyMismatch(DealerhubError):
    type = "idempotency_error"
    code = "idempotency_key_reused"
    default_message = (
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with."
    )


class IdempotencyInUse(DealerhubError):
    status = 409
    type = "idempotency_error"
    code = "idempotency_key_in_use"
    default_message = (
        "There is currently another in-progress request using this Idempotency-Key. "
        "Retry after the first request completes."
    )


class CardDeclined(DealerhubError):
    status = 402
    type = "card_error"
    code = "card_declined"
    default_message = "Your card was declined."
    # A decline is an outcome, not a bad request: the failed attempt is recorded and committed.
    keeps_changes = True


class RateLimited(DealerhubError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limited"
    default_message = "Too many requests."


class ProviderError(DealerhubError):
    """502/503/504: a third party failed. ``retryable`` tells the caller if a retry may help."""

    status = 502
    type = "provider_error"
    code = "provider_unavailable"
    default_message = "A third-party provider failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool = True,
        status: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, retryable=retryable, **kwargs)
        self.retryable = retryable
        if status is not None:
            self.status = status  # type: ignore[misc]


class InternalError(DealerhubError):
    status = 500
    type = "api_error"
    code = "internal_error"
    default_message = "An unexpected error occurred. It has been logged; quote the request id."
