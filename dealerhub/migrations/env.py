"""Alembic environment: the URL comes from dealerhub's settings, the metadata from the models."""

from __future__ import annotations

from alembic import context

import dealerhub.app  # noqa: F401 - importing the app registers every area's tables
from dealerhub.db import make_engine, metadata

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
