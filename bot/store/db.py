"""Engine creation and migrations for SQLite (default, WAL) and PostgreSQL.

Migrations run through Alembic on the very connection the app will use, so `sqlite:///:memory:`
works, and on PostgreSQL under an advisory lock so several replicas can start at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url as sa_make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.migrations import HEAD
from bot.store.crypto import make_cipher

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_LOCK = 7_115_301  # arbitrary, constant: pg_advisory_lock key for migrations


def make_url(database_url: str) -> URL:
    """Accept the URLs operators write (postgres://, postgresql://) and pick the psycopg 3 driver."""
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    url = sa_make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_memory(url: URL) -> bool:
    """An in-memory SQLite database: private to one process."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]  # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class SqliteWriterLock:
    """SQLite has one writer. Threads of a process queue on a lock, and processes on the same
    file (`serve --workers`, `worker`, `dispatch`) on a `flock` beside it, from which the kernel
    wakes the next at once: neither collides in SQLite's busy handler, whose back-off sleeps
    would add tens of milliseconds. Re-entrant within a thread."""

    def __init__(self, path: str | None) -> None:
        self._path = path  # None for an in-memory database: one process only
        self._local = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._pid != os.getpid():  # a forked worker needs its own open file: its own lock
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        assert self._fd is not None
        return self._fd

    def __enter__(self) -> None:
        self._local.acquire()
        if self._depth == 0 and self._path is not None:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._local.release()
                raise
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._path is not None:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        self._local.release()


class Database:
    """One engine and session factory per process."""

    def __init__(self, database_url: str, data_key: str | None = None) -> None:
        self.url = make_url(database_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            memory = is_memory(self.url)
            if not memory:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 10},
                poolclass=StaticPool if memory else None,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # BEGIN IMMEDIATE: take the write lock up front, so two threads or processes never
            # deadlock upgrading a read lock, and a claim + update is atomic.
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
            self._writer: AbstractContextManager[object] = SqliteWriterLock(
                None if memory else f"{self.url.database}-writer.lock"
            )
        else:
            self.engine = create_engine(self.url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self._writer = nullcontext()  # PostgreSQL: row locks, taken where they are needed
        # The cipher rides on this engine's dialect, so SecretText columns find it (and two
        # databases in one process may use different keys).
        self.engine.dialect.hitoban_cipher = make_cipher(data_key)  # type: ignore[attr-defined]
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to head (idempotent)."""
        if self._at_head():
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._writer, self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def _at_head(self) -> bool:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            return conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error (on SQLite, under
        the writer lock)."""
        with self._writer, self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
