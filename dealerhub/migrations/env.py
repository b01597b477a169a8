"""Alembic environment: the URL comes from dealerhub's settings, the metadata from the models."""

from __future__ import annotations

import importlib

from alembic import context

from dealerhub.app import AREAS
from dealerhub.db import make_engine, metadata

for area in AREAS:  # register every area's tables on the shared metadata
    if importlib.util.find_spec(f"dealerhub.{area}.models") is not None:
        importlib.import_module(f"dealerhub.{area}.models")
importlib.import_module("dealerhub.idempotency")

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "run migrations through `dealerhub db upgrade` (it sets the database URL)"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(url)
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    else:
        context.configure(connection=connectable, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
