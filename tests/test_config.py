from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dealerhub.config import ConfigError, Environment, Secret, Settings, load_settings


def test_defaults_live_in_the_data_dir(tmp_path):
    settings = load_settings({"DEALERHUB_DATA_DIR": str(tmp_path)})
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == f"sqlite:///{tmp_path / 'dealerhub.sqlite3'}"
    assert settings.broker_url.startswith("filesystem://")
    assert settings.certs_dir == Path("certs").resolve()
    # Development keys are generated once, kept private, and reused.
    key_file = tmp_path / "encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = load_settings({"DEALERHUB_DATA_DIR": str(tmp_path)})
    assert again.encryption_keys == settings.encryption_keys
    assert again.secret_key == settings.secret_key


def test_key_ring_is_comma_separated(tmp_path):
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    settings = load_settings(
        {"DEALERHUB_DATA_DIR": str(tmp_path), "DEALERHUB_ENCRYPTION_KEYS": " , ".join(keys)}
    )
    assert list(settings.encryption_keys) == keys
    assert not (tmp_path / "encryption.key").exists()


def test_production_refuses_missing_keys(tmp_path):
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS"):
        load_settings({"DEALERHUB_DATA_DIR": str(tmp_path), "DEALERHUB_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(
            {
                "DEALERHUB_DATA_DIR": str(tmp_path),
                "DEALERHUB_ENV": "production",
                "DEALERHUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            }
        )


def test_bad_environment_name(tmp_path):
    with pytest.raises(ConfigError, match="DEALERHUB_ENV"):
        load_settings({"DEALERHUB_DATA_DIR": str(tmp_path), "DEALERHUB_ENV": "staging-ish"})


def test_secrets_do_not_show_in_repr_or_options(tmp_path):
    key = Fernet.generate_key().decode()
    settings = load_settings(
        {
            "DEALERHUB_DATA_DIR": str(tmp_path),
            "DEALERHUB_ENCRYPTION_KEYS": key,
            "DEALERHUB_SECRET_KEY": "s3cret-value",
            "DEALERHUB_WEBHOOK_RETRY_HOURS": "72",
            "DEALERHUB_SANDBOX_WEBHOOK_SECRET": "whsec_option_value",
            "DEALERHUB_DATABASE_URL": "postgresql+psycopg://app:pg-pass-123@db/app",
        }
    )
    assert "whsec_option_value" not in repr(settings)
    assert "pg-pass-123" not in repr(settings)
    assert key not in repr(settings)
    assert "s3cret-value" not in repr(settings)
    assert settings.option("WEBHOOK_RETRY_HOURS") == "72"
    assert settings.option("SECRET_KEY") == ""


def test_environ_round_trips_through_load_settings(tmp_path):
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url="sqlite:///" + str(tmp_path / "x.sqlite3"),
        broker_url="redis://127.0.0.1:6379/3",
        secret_key=Secret("s3cret-value"),
        encryption_keys=(
            Secret(Fernet.generate_key().decode()),
            Secret(Fernet.generate_key().decode()),
        ),
        certs_dir=tmp_path / "certs",
        log_level="WARNING",
        log_json=False,
        tasks_eager=True,
        idempotency_ttl_hours=6,
        webhook_allow_private=True,
        extra={"TASK_QUEUE": "q1"},
    )
    again = load_settings(settings.environ())
    assert again.with_overrides(extra=settings.extra) == settings
    assert again.option("TASK_QUEUE") == "q1"
