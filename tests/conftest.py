"""Shared fixtures.

The suite runs on SQLite by default. With ``DEALERHUB_TEST_DATABASE_URL`` set to a PostgreSQL
URL, the session creates a throwaway database on that server, migrates it and drops it at the
end, so concurrent runs never share state. ``DEALERHUB_TEST_BROKER_URL`` (e.g. Redis) is used
by the tests that run a real worker; others run tasks eagerly.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from dealerhub import migrate
from dealerhub.app import create_app
from dealerhub.config import Environment, Secret, Settings
from dealerhub.configcache import CHANNEL, VersionedCache

PG_URL = os.environ.get("DEALERHUB_TEST_DATABASE_URL", "")
BROKER_URL = os.environ.get("DEALERHUB_TEST_BROKER_URL", "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    url = make_url(PG_URL)
    name = f"dealerhub_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def base_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=database_url,
        broker_url=f"filesystem://{data_dir / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=data_dir / "certs",
        log_json=True,
        tasks_eager=True,
    )
    migrate.upgrade(settings)
    return settings


@pytest.fixture(scope="session")
def app(base_settings: Settings) -> Iterator[Any]:
    app = create_app(base_settings)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db(app: Any) -> Any:
    return app.extensions["db"]


def swap_connectors_of(app: Any) -> Any:
    """``swap(**changes)`` replaces some of ``app``'s connectors (``Registry.replace``)."""

    def swap(**changes: Any) -> None:
        app.extensions["connectors"] = app.extensions["connectors"].replace(**changes)

    return swap


@pytest.fixture
def swap_connectors(app: Any) -> Iterator[Any]:
    """Fakes for one test: ``swap_connectors(dms_override=…, processors={…})``; the app's
    own connectors are back afterwards."""
    original = app.extensions["connectors"]
    yield swap_connectors_of(app)
    app.extensions["connectors"] = original


@pytest.fixture
def statements(db: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends during the test, in order."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    for engine in db.engines:
        event.listen(engine, "before_cursor_execute", listen)
    yield seen
    for engine in db.engines:
        event.remove(engine, "before_cursor_execute", listen)


@dataclass
class DealerKeys:
    id: str
    secret_key: str
    publishable_key: str
    live_secret_key: str
    live_publishable_key: str


def make_dealer(app: Any, name: str = "Test Motors") -> DealerKeys:
    from dealerhub.dealers.service import create_dealer

    with app.extensions["db"].transaction() as session:
        dealer, test, live = create_dealer(session=session, name=name)
        return DealerKeys(
            dealer.id, test.secret_key, test.publishable_key, live.secret_key, live.publishable_key
        )


@pytest.fixture
def dealer(app: Any) -> DealerKeys:
    """A fresh dealer per test: every object is tenant-scoped, so tests never see each other."""
    return make_dealer(app)


class Api:
    """A test client bound to one key."""

    def __init__(self, client: Any, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(
            path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client: Any, dealer: DealerKeys) -> Api:
    """Secret test-mode key of a fresh dealer."""
    return Api(client, dealer.secret_key)


@pytest.fixture
def pk_api(client: Any, dealer: DealerKeys) -> Api:
    """Publishable test-mode key of the same dealer as ``api``."""
    return Api(client, dealer.publishable_key)


@pytest.fixture
def live_api(client: Any, dealer: DealerKeys) -> Api:
    return Api(client, dealer.live_secret_key)


def config_cached(db: Any) -> bool:
    """Whether ``db`` serves keys and endpoints from its cache: on SQLite if it counts their
    changes (a migrated database), on PostgreSQL once its listener is up."""
    cache = db.config_cache
    if isinstance(cache, VersionedCache):
        with db.engine.connect() as conn:
            return cache.version(conn, "api_keys") is not None
    cache.start()
    assert wait_until(lambda: cache.listening)
    # A barrier: notifications arrive in order, so once this one is heard, those of changes
    # made before it (a fixture's new dealer and keys) can no longer land mid-test.
    barrier = f"barrier_{uuid.uuid4().hex}"
    with db.engine.connect() as conn:
        conn.execute(
            text("SELECT pg_notify(:channel, :table)"), {"channel": CHANNEL, "table": barrier}
        )
        conn.commit()
    assert wait_until(lambda: cache.generation(barrier)[1] > 0)
    return True


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` every 50 ms until it is true, or ``timeout`` has passed and a last
    look finds it still false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def assert_error(response: Any, status: int, type_: str, code: str | None = None) -> dict[str, Any]:
    """Check the error envelope and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["type"] == type_
    if code is not None:
        assert body["code"] == code
    assert body["request_id"].startswith("req_")
    return body


@pytest.fixture
def tmp_data(tmp_path: Path) -> Path:
    return tmp_path


def bind_tasks_to(app: Any) -> None:
    """Point Celery back at ``app`` as ``create_app`` bound it (eager in tests, every area's
    beat schedule): tasks run against the last app bound, and tests that tweak
    ``app.extensions["settings"]`` must see their tasks read them. Every test that creates
    another app calls this when it is done with it."""
    from dealerhub.app import bind_celery

    bind_celery(app)


@pytest.fixture(scope="session")
def toy_app(base_settings: Settings, app: Any) -> Iterator[Any]:
    """An app with the test-only ``toy`` area (see tests/toy.py) on its own tables."""
    from dealerhub.db import make_engine
    from tests import toy

    fresh = create_app(base_settings)
    bind_tasks_to(app)  # creating an app binds Celery to it; the main app keeps the tasks
    engine = make_engine(base_settings.database_url)
    toy.Widget.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    engine.dispose()
    fresh.extensions["api"].register_blueprint(toy.blp)
    yield fresh
    fresh.extensions["db"].dispose()


@pytest.fixture
def toy_client(toy_app: Any) -> Any:
    return toy_app.test_client()


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, app: Any) -> Iterator[dict[str, str]]:
    """The environment of a ``dealerhub`` command run on the test database."""
    from dealerhub import crypto

    key = app.extensions["settings"].encryption_keys[0]
    yield {
        "DEALERHUB_DATA_DIR": str(tmp_path),
        "DEALERHUB_DATABASE_URL": database_url,
        "DEALERHUB_ENCRYPTION_KEYS": str(key),
        "DEALERHUB_TASKS_EAGER": "1",
    }
    # Each command builds an app, which installs its key ring process-wide and binds Celery's
    # tasks to itself: give both back to the test app (or later tests' tasks read the
    # command's settings).
    crypto.configure(app.extensions["settings"].encryption_keys)
    bind_tasks_to(app)


@pytest.fixture
def toy_dealer(toy_app: Any) -> DealerKeys:
    return make_dealer(toy_app)


@pytest.fixture
def toy_api(toy_client: Any, toy_dealer: DealerKeys) -> Api:
    return Api(toy_client, toy_dealer.secret_key)
