"""Structured JSON logs that carry the request and dealer ids, and never carry secrets.

Masking happens twice: when a record is created (so every handler, including pytest's
``caplog``, sees masked text) and when it is formatted (tracebacks are rendered late).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import sys
import threading
from datetime import UTC, datetime
from typing import IO, Any

from stdnum import luhn

from dealerhub.context import dealer_id_var, request_id_var

# Not after a decimal point: the fractional part of a duration ("0.4499663746974547s") is
# not a card number, even when its digits happen to pass the Luhn check. ``_CARD`` finds
# text that may hold one (13 to 19 digits, single spaces or hyphens between them), cheaply;
# ``_DIGIT_RUN`` then takes each whole run of digit groups apart (see ``_mask_cards``).
_CARD = re.compile(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?!\d)")
_DIGIT_RUN = re.compile(r"(?<![\d.])\d+(?:[ -]\d+)*")
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Client secrets first: they contain an object id that the other patterns would split.
    (re.compile(r"\b((?:pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+"), r"\1_secret_********"),
    (re.compile(r"\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]+"), r"\1_\2_********"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), "whsec_********"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ********"),
    (re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"), "***-**-****"),
    (
        re.compile(
            r"""(?ix)
            (["']?(?:[a-z_]*password|passwd|secret|ssn|social_security_number|cvc|
            certificate_file|api[_-]?key|authorization|token|date_of_birth|
            driver_license_number)["']?\s*[:=]\s*)
            ("[^"]*"|'[^']*'|[^\s,;&}]+)"""
        ),
        r'\1"********"',
    ),
]


def _mask_cards(match: re.Match[str]) -> str:
    """Mask every card number in a run of digit groups (``_DIGIT_RUN``).

    A card is a span of whole groups with 13 to 19 digits that passes the Luhn check. The
    run is searched span by span, not taken whole: beside another number ("/customers/
    4242…4242 401" in an access log line, "order 12 4242…") the whole run fails the check.
    Every group of every such span is masked (a chance Luhn match may hide a little more).
    """
    text = match.group(0)
    spans = [(group.start(), group.end()) for group in re.finditer(r"\d+", text)]
    groups = [text[start:end] for start, end in spans]
    covered = [False] * len(groups)
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn.is_valid(digits):
                covered[first : last + 1] = [True] * (last + 1 - first)
    out: list[str] = []
    pos = first = 0
    while first < len(groups):
        if not covered[first]:
            first += 1
            continue
        last = first
        while last + 1 < len(groups) and covered[last + 1]:
            last += 1
        digits = "".join(groups[first : last + 1])
        out += [text[pos : spans[first][0]], "*" * (len(digits) - 4) + digits[-4:]]
        pos = spans[last][1]
        first = last + 1
    return "".join(out) + text[pos:]


def mask_sensitive(text: str) -> str:
    """Replace API keys, client secrets, SSNs, card numbers and password values in ``text``."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    if _CARD.search(text) is None:
        return text
    return _DIGIT_RUN.sub(_mask_cards, text)


_base_factory = logging.getLogRecordFactory()
_exc_formatter = logging.Formatter()


def _masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string is the caller's bug; keep the record
        message = str(record.msg)
    record.msg = mask_sensitive(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters reuse a cached exc_text, so a masked one keeps tracebacks clean everywhere.
        record.exc_text = mask_sensitive(_exc_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_sensitive(record.stack_info)
    record.request_id = request_id_var.get()
    record.dealer_id = dealer_id_var.get()
    # What this factory masked, so the formatter can tell it from text set on the record later.
    record.dealerhub_masked = (record.msg, record.exc_text)
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object a line. A record made by the masking factory has its message and
    traceback masked already, so only its extra fields are masked here (every access-log line
    would otherwise pay for the seven patterns twice); any other record is masked whole."""

    def format(self, record: logging.LogRecord) -> str:
        masked = getattr(record, "dealerhub_masked", None)
        premasked = (
            masked is not None
            and masked[0] is record.msg
            and masked[1] is record.exc_text
            and not record.args
        )
        message = record.getMessage()
        payload: dict[str, Any] = {
            # UTC with its offset and milliseconds: lines from several machines sort and join.
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message if premasked else mask_sensitive(message),
            "request_id": getattr(record, "request_id", None),
            "dealer_id": getattr(record, "dealer_id", None),
        }
        for key in ("event", "task", "vendor", "status", "duration_ms", "path", "method"):
            if hasattr(record, key):
                value = getattr(record, key)
                payload[key] = mask_sensitive(value) if isinstance(value, str) else value
        if record.exc_info:
            if premasked and record.exc_text:
                payload["exc"] = record.exc_text  # masked by the factory
            else:
                payload["exc"] = mask_sensitive(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_sensitive(super().format(record))


# The process's original stderr once :func:`capture_output` has turned descriptors 1 and 2
# into pipes that feed the log: log lines are written here, never back into those pipes.
_output: IO[str] | None = None


class _Handler(logging.StreamHandler[IO[str]]):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if _output is None:
            super().handleError(record)
        # Otherwise logging's report would go to stderr, which is read back into the log and
        # would fail the same way, forever: drop it.


def configure_logging(
    level: str = "INFO", *, json_output: bool = True, capture_warnings: bool = False
) -> None:
    """Install masking on every record and one stderr handler on the root logger.

    ``capture_warnings`` (server processes) sends ``warnings.warn`` through the log as
    records of the ``py.warnings`` logger instead of bare text on stderr.
    """
    logging.setLogRecordFactory(_masking_factory)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_dealerhub", False):
            root.removeHandler(handler)
    handler = _Handler(_output or sys.stderr)
    handler._dealerhub = True  # type: ignore[attr-defined]  # marks our handler for reconfigure
    handler.setFormatter(
        JsonFormatter()
        if json_output
        else TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    if capture_warnings:
        logging.captureWarnings(True)


def capture_output() -> None:
    """Make every line this process (and the children it forks) writes to file descriptors 1
    and 2 a log record, of the ``stdout`` (INFO) or ``stderr`` (WARNING) logger: ``print``,
    tracebacks Python writes itself, and text libraries write to the descriptor directly
    (Celery's shutdown notices). Log lines go to the original stderr. Call it once
    :func:`configure_logging` ran, in a long-running process only (a command's own output
    on stdout would become log lines too)."""
    global _output
    if _output is not None:
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _output = open(  # noqa: SIM115 - lives as long as the process
        os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace"
    )
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_dealerhub", False) and isinstance(handler, logging.StreamHandler):
            handler.setStream(_output)
    pumps = []
    for fd, name, level in ((1, "stdout", logging.INFO), (2, "stderr", logging.WARNING)):
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        pump = threading.Thread(
            target=_pump,
            args=(read_end, logging.getLogger(name), level),
            name=f"log-{name}",
            daemon=True,
        )
        pump.start()
        pumps.append(pump)
    atexit.register(_release_output, pumps)


def _pump(fd: int, logger: logging.Logger, level: int) -> None:
    with open(fd, encoding="utf-8", errors="backslashreplace") as lines:
        for line in lines:
            text = line.rstrip()
            if text:
                logger.log(level, text)


def _release_output(pumps: list[threading.Thread]) -> None:
    """At exit: point descriptors 1 and 2 back at the original stderr, so the pipes close
    and the pumps log what is still in them before the process ends."""
    if _output is None:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
            stream.flush()
    for fd in (1, 2):
        os.dup2(_output.fileno(), fd)
    for pump in pumps:
        pump.join(timeout=2)
