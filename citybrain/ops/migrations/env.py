"""Alembic environment of the operational database.

The connection comes from ``citybrain.ops.migrate.upgrade`` (``config.attributes["connection"]``);
run by the ``alembic`` tool instead, it builds the engine from the settings (``CITYBRAIN_OPS_DB``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from citybrain.ops.tables import metadata


def _run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata,
                      render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run `citybrain db upgrade`")

_conn = context.config.attributes.get("connection")
if _conn is not None:
    _run(_conn)
else:
    from citybrain.ops.db import make_engine, write
    from citybrain.settings import get_settings

    with write(make_engine(get_settings())) as _c:
        _run(_c)
