"""The schema is only ever created by migrations: they must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import kizuna.models  # noqa: F401
from kizuna import Kizuna
from kizuna.db import current_revision
from kizuna.db.base import Base
from kizuna.db.migrate import MIGRATIONS


def test_migrations_create_exactly_the_tables_the_models_describe(kz: Kizuna) -> None:
    with kz.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_database_is_at_the_newest_revision(kz: Kizuna) -> None:
    heads = sorted(p.stem.split("_")[0] for p in (MIGRATIONS / "versions").glob("*.py"))
    assert current_revision(kz.engine) == heads[-1]


def test_every_customer_data_table_is_scoped_to_a_workspace(kz: Kizuna) -> None:
    # A login (login_failure) comes before any workspace; a job may concern none (its
    # workspace_id is optional).
    unscoped_by_design = {"workspace", "user_account", "alembic_version", "job", "login_failure"}
    for table in inspect(kz.engine).get_table_names():
        if table in unscoped_by_design:
            continue
        columns = {c["name"] for c in inspect(kz.engine).get_columns(table)}
        assert "workspace_id" in columns, f"table {table} holds data without workspace_id"


def test_sqlite_runs_in_wal_mode(kz: Kizuna) -> None:
    if kz.engine.dialect.name != "sqlite":
        return
    with kz.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
