"""Alembic environment: runs on the connection handed over by `Database.migrate`, or on the
URL from settings when invoked as `alembic -c bot/migrations/alembic.ini upgrade head`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from bot.config import load_settings
    from bot.store.db import make_url

    engine = create_engine(make_url(load_settings().database_url))
    with engine.begin() as conn:
        _run(conn)
