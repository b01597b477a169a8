"""The error-code reference, generated from the code: ``python -m dealerhub.errorcodes``
writes docs/errors.md, and a test fails when that file and the code disagree.

It reads the source (no imports, so nothing runs): every subclass of ``DealerhubError`` with
its status, ``type`` and default ``code``, then every place one is raised with its ``code``
(a ``code="…"`` argument or the class default) and the message it gives there.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT_CLASS = "DealerhubError"
DEFAULTS = {"status": 400, "type": "invalid_request_error", "code": "parameter_invalid"}
SKIP_DIRS = {"migrations", "simulators"}  # not the API (offline fakes, schema history)

# What the envelope's fields mean for the codes every endpoint can answer with; other codes
# are explained by the messages quoted from the code.
MEANINGS = {
    "parameter_invalid": "A field failed validation; `param` names it, `errors` lists each.",
    "parameter_unknown": "A body field or query parameter the endpoint does not take.",
    "parameter_missing": "A required header or parameter is missing.",
    "body_invalid": "The body is not valid JSON (or nests too deep, or a number is too big).",
    "unsupported_media_type": "A body that is not JSON where JSON is expected (`Content-Type`).",
    "request_too_large": "The body is over the size limit (1 MiB).",
    "resource_missing": "Unknown id, another dealer's or the other mode's object, unknown URL.",
    "api_key_missing": "No API key: send `Authorization: Bearer <key>`.",
    "api_key_invalid": "Unknown, revoked or expired API key.",
    "permission_denied": "A publishable key on a secret-key endpoint.",
    "origin_not_allowed": "A browser origin not in `web.allowed_origins`, or a secret key "
    "sent from a browser.",
    "idempotency_key_reused": "The same `Idempotency-Key` with different parameters.",
    "idempotency_key_in_use": "The same `Idempotency-Key` while the first request runs.",
    "card_declined": "The card was declined; `decline_code` says why.",
    "invalid_state": "The object's status does not allow this; the message names it.",
    "method_not_allowed": "The URL exists but not with this HTTP method (`Allow` lists them).",
    "internal_error": "Our bug: nothing internal is shown; quote the `request_id`.",
}


@dataclass
class ErrorClass:
    name: str
    bases: list[str]
    attrs: dict[str, object]


@dataclass
class ErrorCode:
    status: int
    type: str
    code: str
    modules: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)


def _modules(package: Path = PACKAGE) -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent)
        if SKIP_DIRS & set(rel.parts):
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        out.append((module, ast.parse(path.read_text(), str(path))))
    return out


def _classes(modules: list[tuple[str, ast.Module]]) -> dict[str, ErrorClass]:
    found: dict[str, ErrorClass] = {}
    for _module, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            ]
            attrs: dict[str, object] = {}
            for item in node.body:
                if not isinstance(item, ast.Assign | ast.AnnAssign):
                    continue
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                for target in targets:
                    if not (isinstance(target, ast.Name) and target.id in DEFAULTS):
                        continue
                    if isinstance(item.value, ast.Constant):
                        attrs[target.id] = item.value.value
            found.setdefault(node.name, ErrorClass(node.name, bases, attrs))
    # Keep the subclasses of DealerhubError only.
    errors: dict[str, ErrorClass] = {}

    def is_error(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == ROOT_CLASS:
            return True
        cls = found.get(name)
        if cls is None or name in seen:
            return False
        return any(is_error(b, seen | {name}) for b in cls.bases)

    for name, cls in found.items():
        if is_error(name):
            errors[name] = cls
    return errors


def _attr(classes: dict[str, ErrorClass], name: str, key: str) -> object:
    cls = classes.get(name)
    while cls is not None:
        if key in cls.attrs:
            return cls.attrs[key]
        parent = next((b for b in cls.bases if b in classes), None)
        cls = classes.get(parent) if parent else None
    return DEFAULTS[key]


def _message(call: ast.Call) -> str | None:
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        text = first.value
    elif isinstance(first, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in first.values)
    else:
        return None
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "…"


def collect(package: Path = PACKAGE) -> list[ErrorCode]:
    modules = _modules(package)
    classes = _classes(modules)
    codes: dict[tuple[int, str, str], ErrorCode] = {}

    def add(cls: str, code: str, module: str, message: str | None, status: int | None) -> None:
        status = status or int(_attr(classes, cls, "status"))  # type: ignore[call-overload]
        type_ = str(_attr(classes, cls, "type"))
        entry = codes.setdefault((status, type_, code), ErrorCode(status, type_, code))
        entry.modules.add(module)
        if message and message not in entry.messages:
            entry.messages.append(message)

    for module, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            if name not in classes or name == ROOT_CLASS:
                continue
            given = {
                k.arg: k.value.value
                for k in node.keywords
                if k.arg in ("code", "status") and isinstance(k.value, ast.Constant)
            }
            code = str(given.get("code") or _attr(classes, name, "code"))
            status = given.get("status")
            add(name, code, module, _message(node), status if isinstance(status, int) else None)
    # Class defaults that are raised only through helpers still belong in the list.
    for name in classes:
        code = str(_attr(classes, name, "code"))
        status = int(_attr(classes, name, "status"))  # type: ignore[call-overload]
        type_ = str(_attr(classes, name, "type"))
        if name != ROOT_CLASS and (status, type_, code) not in codes:
            codes[(status, type_, code)] = ErrorCode(status, type_, code)
    return sorted(codes.values(), key=lambda c: (c.status, c.type, c.code))


def markdown(codes: list[ErrorCode]) -> str:
    lines = [
        "# Error codes",
        "",
        "Generated from the code by `python -m dealerhub.errorcodes > docs/errors.md` (a test",
        "fails when this page and the code disagree). Every error has one envelope:",
        "",
        "```json",
        '{"error": {"type": "invalid_request_error", "code": "parameter_invalid", "message": "…",',
        '           "param": "amount", "errors": {"amount": ["…"]}, "request_id": "req_…"}}',
        "```",
        "",
        "Branch on `type` and `code`, never on `message` (its wording may change). Quote the",
        "`request_id` when you ask for help. A 502/503/504 `provider_error` says in `retryable`",
        "whether trying again may help; retry every money-moving POST with the same",
        "`Idempotency-Key` so that a retry never charges twice.",
        "",
    ]
    by_status: dict[int, list[ErrorCode]] = defaultdict(list)
    for c in codes:
        by_status[c.status].append(c)
    for status in sorted(by_status):
        lines += [
            f"## {status}",
            "",
            "| type | code | meaning, or what the code says | raised in |",
        ]
        lines += ["|---|---|---|---|"]
        for c in by_status[status]:
            meaning = MEANINGS.get(c.code) or "; ".join(f"“{m}”" for m in c.messages[:2]) or "-"
            meaning = meaning.replace("|", "\\|")
            where = ", ".join(
                f"`{m.removeprefix('dealerhub.')}`" for m in sorted(c.modules)[:3]
            ) + (" …" if len(c.modules) > 3 else "")
            lines.append(f"| `{c.type}` | `{c.code}` | {meaning} | {where or '-'} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown(collect()))
