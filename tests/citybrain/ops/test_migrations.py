"""Migrations apply on an empty database and are idempotent, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from citybrain.ops import db, migrate
from citybrain.ops.tables import metadata
from tests.citybrain.ops.conftest import BACKENDS, new_database


@pytest.mark.parametrize("kind", BACKENDS)
def test_upgrade_on_empty_database_then_again(kind, request, tmp_path_factory):
    engine = sa.create_engine(new_database(kind, request, tmp_path_factory))
    try:
        assert migrate.current(engine) is None
        assert migrate.upgrade(engine) == migrate.head() == "0002"
        tables = set(sa.inspect(engine).get_table_names())
        assert set(metadata.tables) | {"alembic_version"} == tables
        assert migrate.upgrade(engine) == "0002"  # again: nothing to do, no error
        assert migrate.current(engine) == "0002"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_migrated_columns_match_the_tables(kind, request, tmp_path_factory):
    """The migration creates exactly the columns ``tables`` declares (the code reads those)."""
    engine = sa.create_engine(new_database(kind, request, tmp_path_factory))
    try:
        migrate.upgrade(engine)
        insp = sa.inspect(engine)
        for name, table in metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys()), name
    finally:
        engine.dispose()


def test_settings_pick_the_database(built_store):
    assert db.url_of(built_store).endswith("/ops.sqlite")
    assert db.url_of(built_store.model_copy(update={"ops_db": "postgresql://u@h1,h2/x"})) == \
        "postgresql+psycopg://u@h1,h2/x"


def test_sqlite_is_wal(tmp_path, built_store):
    engine = db.make_engine(built_store.model_copy(update={"ops_db": f"sqlite:///{tmp_path / 'o.sqlite'}"}))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert db.ensure(engine) is db.ensure(engine)
    engine.dispose()
