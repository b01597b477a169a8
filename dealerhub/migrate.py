"""Running Alembic from inside the package (``dealerhub db …`` and ``dealerhub serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from dealerhub.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation treats % specially (URL-encoded passwords contain it).
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def revision(settings: Settings, message: str, *, autogenerate: bool = True) -> None:
    command.revision(alembic_config(settings), message=message, autogenerate=autogenerate)
