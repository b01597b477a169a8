"""Property-based fuzzing of every operation in /openapi.json with schemathesis, in-process
through WSGI (SQLite in a temporary directory) with a fixed seed.

Every case (schemathesis' examples, coverage and fuzzing phases; valid and invalid data) must
pass five checks:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: the status is one the operation documents;
- ``content_type_conformance``: the content type is one documented for that status;
- ``response_schema_conformance``: the body matches the documented schema;
- ``positive_data_acceptance``: a request the document says is valid is not refused (2xx, or
  401/403/404/409/429 — never a 400).

The app is seeded with real objects (``valid_data.py``) whose ids fill the path parameters, so
valid requests reach the code behind the id lookup. Tasks are not run eagerly: a case enqueues
work like a real request does and returns.

It takes minutes, so ``make test`` skips it; ``.ci/run`` runs it once with ``DEALERHUB_FUZZ=1``
(``DEALERHUB_FUZZ_EXAMPLES`` sets the fuzzing-phase examples per operation, 10 by default:
over 5,000 cases with the other phases). The number of cases is printed at the end of the run.
Results are recorded in docs/reliability.md.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

FUZZ = os.environ.get("DEALERHUB_FUZZ") == "1"
EXAMPLES = int(os.environ.get("DEALERHUB_FUZZ_EXAMPLES", "10"))
NO_SHRINK = os.environ.get("DEALERHUB_FUZZ_NO_SHRINK") == "1"
SEED = 16  # issue 16; with derandomize the cases are the same on every run

# Query parameters documented as mutually exclusive (a body says it in its JSON schema).
EXCLUSIVE_QUERY = (("starting_after", "ending_before"), ("type", "types[]"))

# Cases sent, per operation label: tests/fuzz/conftest.py prints the total.
CASES: Counter[str] = Counter()


def _app_and_key() -> tuple[Any, str]:
    from cryptography.fernet import Fernet

    from dealerhub import migrate
    from dealerhub.app import create_app
    from dealerhub.config import Environment, Secret, Settings
    from dealerhub.dealers.service import create_dealer

    data = Path(tempfile.mkdtemp(prefix="dealerhub-fuzz-"))
    settings = Settings(
        env=Environment.TEST,
        data_dir=data,
        database_url=f"sqlite:///{data / 'fuzz.sqlite3'}",
        broker_url=f"filesystem://{data / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=data / "certs",
        log_json=True,
        tasks_eager=False,
    )
    migrate.upgrade(settings)
    app = create_app(settings)
    with app.extensions["db"].transaction() as session:
        _dealer, test_keys, _live_keys = create_dealer(session=session, name="Fuzz Motors")
    return app, test_keys.secret_key


def for_the_generator(document: dict[str, Any]) -> dict[str, Any]:
    """The document as schemathesis can generate from it: it ignores ``propertyNames``
    (metadata keys: 1-40 characters, no brackets), so those become the equivalent
    ``patternProperties`` with no other keys. The app's document itself stays OpenAPI 3.0."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names = node.get("propertyNames")
            values = node.get("additionalProperties")
            if isinstance(names, dict) and "pattern" in names and isinstance(values, dict):
                node["patternProperties"] = {names["pattern"]: values}
                node["additionalProperties"] = False
                del node["propertyNames"]
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(document)
    return document


def _error_code(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


def is_state_refusal(response: Any) -> bool:
    """A 400 for the object's state, not the request's data: the API conventions make an
    illegal transition a 400 naming the current status (capturing a canceled intent,
    replaying a record that is not dead, deleting a product that has prices). The document
    describes requests; whether the seeded object is still in a state that takes them
    depends on what earlier cases did to it."""
    code = _error_code(response)
    return response.status_code == 400 and (
        code in STATE_CODES or code.endswith("_unexpected_state")
    )


STATE_CODES = frozenset({"invalid_state", "product_has_prices"})


if FUZZ:
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings

    from dealerhub.events import urls
    from tests.fuzz import valid_data

    # No DNS here: webhook URLs resolve to a public address, as they would in production
    # (the seam dealerhub.events.urls documents for tests).
    urls.resolve = lambda host, port: ["93.184.216.34"]

    APP, KEY = _app_and_key()
    PATH_IDS = valid_data.seed(APP, KEY)
    CONFIG = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {KEY}"},
            "parameters": {f"path.{name}": value for name, value in PATH_IDS.items()},
        }
    )
    schema = schemathesis.openapi.from_dict(
        for_the_generator(APP.test_client().get("/openapi.json").get_json()), config=CONFIG
    )
    schema.app = APP
    schema.location = "/openapi.json"

    @schemathesis.check
    def valid_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
        """schemathesis' positive_data_acceptance, except for a refusal for the object's
        state (``is_state_refusal``)."""
        if is_state_refusal(response):
            return None
        result: bool | None = schemathesis.checks.positive_data_acceptance(ctx, response, case)
        return result

    CHECKS = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
        valid_data_is_accepted,
    ]

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        # DEALERHUB_FUZZ_NO_SHRINK=1 skips shrinking failures (faster while iterating).
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
        + ([] if NO_SHRINK else [Phase.shrink]),
        derandomize=True,  # the same cases on every run
        suppress_health_check=list(HealthCheck),
    )
    def test_every_operation_keeps_its_contract(case: Any) -> None:
        CASES[case.operation.label] += 1
        if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
            # Query parameters that exclude each other (each one's description says so):
            # OpenAPI 3.0 cannot say it of two parameters, so valid data sends one of them.
            for first, second in EXCLUSIVE_QUERY:
                if first in case.query and second in case.query:
                    del case.query[second]
        case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)

else:

    @pytest.mark.skip(reason="fuzzing runs in .ci/run (DEALERHUB_FUZZ=1)")
    def test_every_operation_keeps_its_contract() -> None:
        """Placeholder so the suite shows the fuzz run is elsewhere."""
