"""The engine of the operational database, and its write transactions.

``make_engine(settings)`` gives SQLite at ``<db folder>/ops.sqlite`` (WAL, a busy timeout, foreign
keys) unless ``CITYBRAIN_OPS_DB`` names another database (``postgresql://…`` is read as
``postgresql+psycopg://…``). Writes go through ``write(engine)``: on SQLite it starts the
transaction with ``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing when
a read transaction would have to be upgraded. ``ensure(engine)`` applies the migrations once per
process and database.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, create_engine

from citybrain.settings import Settings

log = logging.getLogger(__name__)
_WRITE = "citybrain_write"
_MIGRATED: set[str] = set()
_LOCK = threading.Lock()


def url_of(settings: Settings) -> str:
    """The SQLAlchemy URL of the settings' operational database."""
    url = settings.ops_db
    if not url:
        return f"sqlite:///{(settings.db.parent / 'ops.sqlite').absolute()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def make_engine(settings: Settings) -> Engine:
    """A new engine for the settings' operational database (connects on first use)."""
    url = url_of(settings)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            settings.db.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_hooks(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=20)


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction (committed at the end of the block, rolled back on an error)."""
    with engine.execution_options(**{_WRITE: True}).begin() as conn:
        yield conn


def insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT of ``table`` (it has ``on_conflict_do_nothing``)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def ensure(engine: Engine) -> Engine:
    """Apply the migrations to ``engine``'s database once in this process; return the engine."""
    key = engine.url.render_as_string(hide_password=False)
    if key in _MIGRATED:
        return engine
    with _LOCK:
        if key not in _MIGRATED:
            from citybrain.ops.migrate import upgrade

            upgrade(engine)
            _MIGRATED.add(key)
    return engine


def engine() -> Engine:
    """The running app's operational database, migrated (``citybrain.context``)."""
    from citybrain.context import current

    return ensure(current().ops)
