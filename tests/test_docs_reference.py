"""The docs that are generated or checked from the code (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

from dealerhub import errorcodes

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_error_reference_is_generated_from_the_code() -> None:
    expected = errorcodes.markdown(errorcodes.collect())
    assert (DOCS / "errors.md").read_text() == expected, (
        "docs/errors.md is stale: python -m dealerhub.errorcodes > docs/errors.md"
    )


def test_error_reference_lists_the_statuses_of_the_conventions() -> None:
    codes = {(c.status, c.code) for c in errorcodes.collect()}
    for pair in [
        (400, "parameter_invalid"),
        (400, "parameter_unknown"),
        (400, "body_invalid"),
        (400, "idempotency_key_reused"),
        (401, "api_key_missing"),
        (402, "card_declined"),
        (403, "permission_denied"),
        (403, "origin_not_allowed"),
        (404, "resource_missing"),
        (409, "idempotency_key_in_use"),
        (413, "request_too_large"),
        (415, "unsupported_media_type"),
        (500, "internal_error"),
    ]:
        assert pair in codes, pair


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_curl_examples_with_brackets_use_globoff() -> None:
    # curl reads [..] in a URL as a range: created[gte]=… fails without -g / --globoff.
    for path in _markdown_files():
        for line in path.read_text().splitlines():
            if "curl " in line and re.search(r"https?://\S*\[", line):
                flags = line.split("curl", 1)[1]
                assert re.search(r"\s-[a-zA-Z]*g|--globoff", flags), f"{path.name}: {line}"


def test_docs_link_only_inside_the_repository() -> None:
    for path in _markdown_files():
        text = path.read_text()
        for target in re.findall(r"\]\(([^)#]+)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (path.parent / target).resolve().is_relative_to(ROOT), f"{path.name}: {target}"
    assert "../shared/" not in (DOCS / "architecture.md").read_text()


def test_docs_mention_no_staff_sessions() -> None:
    # There is no staff desk in this repository (yet): no session to sign.
    for path in _markdown_files():
        assert "staff session" not in path.read_text().lower(), path.name


def test_credit_example_consent_is_not_a_fixed_timestamp() -> None:
    text = (DOCS / "credit.md").read_text()
    fixed = re.findall(r'"obtained_at":\s*(\d{9,})', text)
    assert fixed == [], "a fixed consent time expires after 30 days; use $(date +%s)"
