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
        assert migrate.upgrade(engine) == migrate.head()
        tables = set(sa.inspect(engine).get_table_names())
        assert set(metadata.tables) | {"alembic_version"} == tables
        assert migrate.upgrade(engine) == migrate.head()  # again: nothing to do, no error
        assert migrate.current(engine) == migrate.head()
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


@pytest.mark.parametrize("kind", BACKENDS)
def test_photos_migration_keeps_the_orders_of_0001(kind, request, tmp_path_factory):
    """0001 → head on a database with orders: they stay, gain an empty ``source``, and take photos."""
    from datetime import datetime

    engine = sa.create_engine(new_database(kind, request, tmp_path_factory))
    try:
        assert migrate.upgrade(engine, "0001") == "0001"
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO workorders (title, category, region_code, state, created_by, created_at, state_since,"
                " version) VALUES ('旧工单', 'normal', '330225', 'received', 'duty', :t, :t, 1)"),
                {"t": datetime(2026, 7, 15, 12)})
        assert migrate.upgrade(engine) == migrate.head()
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT title, source FROM workorders")).all()
        assert [tuple(r) for r in rows] == [("旧工单", None)]
        assert "workorder_photos" in sa.inspect(engine).get_table_names()
        assert any(ix["name"] == "ix_workorders_source" and ix["unique"]
                   for ix in sa.inspect(engine).get_indexes("workorders"))
    finally:
        engine.dispose()
