"""Process settings, read once from ``DEALERHUB_*`` environment variables.

Nothing else in the package reads ``os.environ``: ``create_app`` calls :func:`load_settings`
when it is not handed a :class:`Settings`, and tests build their own.
"""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.fernet import Fernet


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigError(RuntimeError):
    """Raised at start-up when the environment is unusable (never at request time)."""


class Secret(str):
    """A str whose repr hides the value, so settings can be logged or printed safely."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True)
class Settings:
    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("var")
    # URLs may carry passwords: kept out of repr() like the secrets.
    database_url: str = field(default="", repr=False)
    broker_url: str = field(default="", repr=False)
    secret_key: Secret = Secret("")
    encryption_keys: tuple[Secret, ...] = ()
    certs_dir: Path = Path("certs")
    log_level: str = "INFO"
    log_json: bool = True
    # Celery runs tasks inline (no broker) when true: used by unit tests only.
    tasks_eager: bool = False
    idempotency_ttl_hours: int = 24
    webhook_allow_private: bool = False
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    def option(self, name: str, default: str = "") -> str:
        """An area-specific ``DEALERHUB_<NAME>`` value (areas document their own options)."""
        return self.extra.get(name, default)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def environ(self) -> dict[str, str]:
        """The ``DEALERHUB_*`` variables that :func:`load_settings` turns back into these
        settings: how a child process (a worker, a server) is started with them. They carry
        the secrets, so they go to ``subprocess`` environments only, never to logs."""
        return {
            **{f"DEALERHUB_{k}": v for k, v in self.extra.items()},
            "DEALERHUB_ENV": self.env.value,
            "DEALERHUB_DATA_DIR": str(self.data_dir),
            "DEALERHUB_DATABASE_URL": self.database_url,
            "DEALERHUB_BROKER_URL": self.broker_url,
            "DEALERHUB_SECRET_KEY": str(self.secret_key),
            "DEALERHUB_ENCRYPTION_KEYS": ",".join(self.encryption_keys),
            "DEALERHUB_CERTS_DIR": str(self.certs_dir),
            "DEALERHUB_LOG_LEVEL": self.log_level,
            "DEALERHUB_LOG_JSON": str(self.log_json).lower(),
            "DEALERHUB_TASKS_EAGER": str(self.tasks_eager).lower(),
            "DEALERHUB_IDEMPOTENCY_TTL_HOURS": str(self.idempotency_ttl_hours),
            "DEALERHUB_WEBHOOK_ALLOW_PRIVATE": str(self.webhook_allow_private).lower(),
        }


_SECRET_VARS = frozenset({"DEALERHUB_SECRET_KEY", "DEALERHUB_ENCRYPTION_KEYS"})


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _load_or_create_dev_keys(data_dir: Path) -> tuple[Secret, ...]:
    """Dev convenience: a generated Fernet key kept in the data dir (0600)."""
    path = data_dir / "encryption.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(Fernet.generate_key().decode())
    return (Secret(path.read_text().strip()),)


def _load_or_create_secret_key(data_dir: Path) -> Secret:
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return Secret(path.read_text().strip())


def load_log_settings(environ: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """``(level, json)`` from ``DEALERHUB_LOG_LEVEL`` and ``DEALERHUB_LOG_JSON``, without
    :func:`load_settings`'s side effects (it creates development keys): for a process that
    only needs to log, such as gunicorn's arbiter."""
    env_vars = os.environ if environ is None else environ
    level = env_vars.get("DEALERHUB_LOG_LEVEL", "INFO").upper()
    return level, _bool(env_vars.get("DEALERHUB_LOG_JSON"), default=True)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``DEALERHUB_*`` variables; refuse unsafe production setups."""
    env_vars = os.environ if environ is None else environ

    def get(name: str, default: str = "") -> str:
        return env_vars.get(f"DEALERHUB_{name}", default)

    try:
        env = Environment(get("ENV", "development").lower())
    except ValueError as exc:
        raise ConfigError(f"DEALERHUB_ENV must be one of {[e.value for e in Environment]}") from exc
    data_dir = Path(get("DATA_DIR", "var")).resolve()
    database_url = get("DATABASE_URL") or f"sqlite:///{data_dir / 'dealerhub.sqlite3'}"
    broker_url = get("BROKER_URL") or f"filesystem://{data_dir / 'broker'}"
    log_level, log_json = load_log_settings(env_vars)

    raw_keys = [k.strip() for k in get("ENCRYPTION_KEYS").split(",") if k.strip()]
    if raw_keys:
        keys = tuple(Secret(k) for k in raw_keys)
    elif env is Environment.PRODUCTION:
        raise ConfigError("DEALERHUB_ENCRYPTION_KEYS must be set in production")
    else:
        keys = _load_or_create_dev_keys(data_dir)

    secret_key = get("SECRET_KEY")
    if not secret_key:
        if env is Environment.PRODUCTION:
            raise ConfigError("DEALERHUB_SECRET_KEY must be set in production")
        secret_key = _load_or_create_secret_key(data_dir)

    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        broker_url=broker_url,
        secret_key=Secret(secret_key),
        encryption_keys=keys,
        certs_dir=Path(get("CERTS_DIR", "certs")).resolve(),
        log_level=log_level,
        log_json=log_json,
        tasks_eager=_bool(get("TASKS_EAGER")),
        idempotency_ttl_hours=int(get("IDEMPOTENCY_TTL_HOURS", "24")),
        webhook_allow_private=_bool(get("WEBHOOK_ALLOW_PRIVATE")),
        extra={
            k.removeprefix("DEALERHUB_"): v
            for k, v in env_vars.items()
            if k.startswith("DEALERHUB_") and k not in _SECRET_VARS
        },
    )
