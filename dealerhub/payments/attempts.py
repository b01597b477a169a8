"""Payment attempts: the only module that calls payment processors.

Every call goes through :func:`_call`, which turns what a gateway can do wrong into what the
payment services can act on:

- an answer (approved, declined, pending, needs authentication) is returned as it is;
- :class:`ConnectorOutcomeUnknown` (the request went out, no usable answer came back) becomes
  an ``UNKNOWN`` result: the caller records the attempt as unknown and puts it where the
  sync job will ask the processor how it ended (never a guess either way);
- :class:`ConnectorUnavailable` that is not an unknown outcome (the gateway certainly did
  nothing: connection refused, 429, 503) is tried once more with the same attempt id, which
  the gateway receives as its idempotency / reference key, so a repeat cannot charge twice;
- any other :class:`ConnectorError` (nothing was done: refused connection, our credentials
  refused, a request the vendor rejected) raises :class:`ProcessingError`, a 502 that keeps
  the request's changes, so the failed attempt stays on record.

The attempt row (charge, refund, setup intent) is added to the request's session before the
call, carries the processor's name, and commits with the request whatever the call did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from dealerhub.connectors.base import (
    ConnectorError,
    ConnectorOutcomeUnknown,
    ConnectorUnavailable,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    PaymentProcessor,
    PaymentSource,
    ProcessorResult,
)
from dealerhub.errors import ProviderError

log = logging.getLogger(__name__)


class ProcessingError(ProviderError):
    """502: the processor could not take the attempt. The attempt stays recorded as failed
    (the request's changes are kept); ``retryable`` says whether trying again may work."""

    code = "processing_error"
    keeps_changes = True


def _call(
    processor: PaymentProcessor, what: str, attempt_id: str, call: Callable[[], ProcessorResult]
) -> ProcessorResult:
    try:
        try:
            return call()
        except ConnectorOutcomeUnknown:
            raise
        except ConnectorUnavailable as exc:
            log.info(
                "%s %s of %s: %s %s before processing; trying once more",
                processor.name,
                what,
                attempt_id,
                type(exc).__name__,
                exc.vendor_code or "",
            )
            return call()
    except ConnectorOutcomeUnknown as exc:
        # The class and vendor code only: vendor messages may quote customer data.
        log.warning(
            "%s %s of %s: outcome unknown (%s %s); the sync job will ask",
            processor.name,
            what,
            attempt_id,
            type(exc).__name__,
            exc.vendor_code or "",
        )
        return ProcessorResult(
            AttemptStatus.UNKNOWN,
            None,
            failure_code="processor_timeout",
            message="The processor did not answer in time; the outcome is being confirmed.",
        )
    except ConnectorError as exc:
        log.warning(
            "%s %s of %s failed: %s %s",
            processor.name,
            what,
            attempt_id,
            type(exc).__name__,
            exc.vendor_code or "",
        )
        raise ProcessingError(
            f"The payment processor ({processor.name}) could not process this request"
            + (": try again shortly." if exc.retryable else "."),
            retryable=exc.retryable,
        ) from exc


def authorize(processor: PaymentProcessor, request: AuthorizeRequest) -> ProcessorResult:
    return _call(processor, "authorize", request.attempt_id, lambda: processor.authorize(request))


def complete_action(
    processor: PaymentProcessor, reference: str, *, attempt_id: str, success: bool, capture: bool
) -> ProcessorResult:
    return _call(
        processor,
        "authentication",
        attempt_id,
        lambda: processor.complete_action(reference, success=success, capture=capture),
    )


def capture(
    processor: PaymentProcessor, reference: str, amount: int, *, attempt_id: str
) -> ProcessorResult:
    return _call(
        processor,
        "capture",
        attempt_id,
        lambda: processor.capture(reference, amount, attempt_id=attempt_id),
    )


def void(processor: PaymentProcessor, reference: str, *, attempt_id: str) -> ProcessorResult:
    return _call(
        processor, "void", attempt_id, lambda: processor.void(reference, attempt_id=attempt_id)
    )


def refund(
    processor: PaymentProcessor, reference: str, amount: int, *, refund_id: str
) -> ProcessorResult:
    return _call(
        processor,
        "refund",
        refund_id,
        lambda: processor.refund(reference, amount, refund_id=refund_id),
    )


def setup(
    processor: PaymentProcessor, source: PaymentSource, *, attempt_id: str
) -> ProcessorResult:
    return _call(
        processor, "setup", attempt_id, lambda: processor.setup(source, attempt_id=attempt_id)
    )


def sync(processor: PaymentProcessor, reference: str | None, *, attempt_id: str) -> ProcessorResult:
    """The processor's current view of an attempt. An unknown or unreachable answer is an
    ``UNKNOWN`` result here: the sync job simply asks again later."""
    try:
        return _call(
            processor,
            "sync",
            attempt_id,
            lambda: processor.sync(reference, attempt_id=attempt_id),
        )
    except ProcessingError:
        return ProcessorResult(AttemptStatus.UNKNOWN, reference)


def settled(result: ProcessorResult) -> bool:
    """Whether ``result`` is final (anything but processing, pending or unknown)."""
    return result.status not in (
        AttemptStatus.PROCESSING,
        AttemptStatus.PENDING,
        AttemptStatus.UNKNOWN,
    )
