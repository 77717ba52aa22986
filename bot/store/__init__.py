"""Persistence: SQLAlchemy 2 models, Alembic migrations and the repository the bot uses."""

from bot.store.db import Database, make_url

__all__ = ["Database", "make_url"]
