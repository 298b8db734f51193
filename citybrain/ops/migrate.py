"""Alembic migrations of the operational database, run from code (no alembic.ini).

``upgrade(engine)`` brings the database to the newest revision in one transaction; on PostgreSQL it
holds an advisory lock meanwhile, so that several processes starting at once (gunicorn workers,
hosts) apply it once. Running it again is a no-op. Revisions written in parallel branches (two
migrations with the same parent) both apply: the target is every head, and a revision is named by
its heads joined with ``+``.
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


def _name(heads: tuple[str, ...] | list[str]) -> str | None:
    return "+".join(sorted(heads)) or None


def head() -> str:
    """The newest revision(s) the code knows."""
    return _name(ScriptDirectory.from_config(config()).get_heads()) or ""


def current(engine: Engine) -> str | None:
    """The revision(s) the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return _name(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> str | None:
    """Migrate ``engine``'s database to ``revision``; return the revision it is at afterwards."""
    cfg = config()
    with write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})")
        before = _name(MigrationContext.configure(conn).get_current_heads())
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = _name(MigrationContext.configure(conn).get_current_heads())
    if before != after:
        log.info("ops database %s migrated %s -> %s", engine.url.render_as_string(), before, after)
    return after
