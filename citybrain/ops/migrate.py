"""Alembic migrations of the operational database, run from code (no alembic.ini).

``upgrade(engine)`` brings the database to the newest revision in one transaction; on PostgreSQL it
holds an advisory lock meanwhile, so that several processes starting at once (gunicorn workers,
hosts) apply it once. Running it again is a no-op.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from citybrain.ops.db import write

log = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines repeat on every start
SCRIPTS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_KEY = 30428  # GB/T 30428: any constant shared by every process of the product


def config() -> Config:
    """The Alembic configuration of the package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def head() -> str:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(config()).get_current_head() or ""


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate ``engine``'s database to ``revision``; return the revision it is at afterwards."""
    cfg = config()
    with write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})")
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    if before != after:
        log.info("ops database %s migrated %s -> %s", engine.url.render_as_string(), before, after)
    return after
