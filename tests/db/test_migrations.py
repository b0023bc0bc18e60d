"""The schema is only ever created by migrations: they must match the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from kizuna import Kizuna
from kizuna.cli import main
from kizuna.db import create_db_engine, head_revision, require_current, upgrade
from kizuna.db.base import Base
from kizuna.db.migrate import current_heads, head_revisions, script_directory
from kizuna.errors import SchemaOutdated
from kizuna.features import features, load_models, migration_folders

# issue 12: the voice search index is dialect-specific SQL (FTS5 and its shadow tables on
# SQLite, a tsvector table on PostgreSQL) that no model describes.
from kizuna.feedback.search import INDEX_TABLES

load_models()


def test_migrations_create_exactly_the_tables_the_models_describe(kz: Kizuna) -> None:
    with kz.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name not in INDEX_TABLES,
            },
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_database_is_at_the_newest_revision_of_every_branch(kz: Kizuna) -> None:
    assert current_heads(kz.engine) == head_revisions()
    assert len(head_revisions()) == len(migration_folders()), "one head per feature branch"


def test_each_feature_owns_one_linear_branch_named_after_it() -> None:
    """Two features adding a migration each never collide: each moves its own branch only."""
    scripts = script_directory()
    folders = migration_folders()
    assert folders, "no feature keeps migrations"
    by_branch: dict[str, list[str]] = {}
    for script in scripts.walk_revisions():
        path = Path(script.path).resolve()
        owner = next((name for name, f in folders.items() if f.resolve() in path.parents), None)
        if owner is None:  # the shared history, before features had branches
            assert script.revision[:4].isdigit(), script.path
            continue
        assert script.revision.startswith(f"{owner}_"), (
            f"{script.path}: a revision of the {owner} branch must be named {owner}_NNNN"
        )
        by_branch.setdefault(owner, []).append(script.revision)
        assert isinstance(script.down_revision, str), f"{script.revision} must have one parent"
    for owner, revisions in by_branch.items():
        first = scripts.get_revision(sorted(revisions)[0])
        assert first is not None and owner in (first.branch_labels or ()), (
            f"the first migration of {owner} must carry branch_labels = ({owner!r},)"
        )
        assert len(scripts.get_revisions(f"{owner}@head")) == 1, f"{owner} has several heads"
    declared = {f.name for f in features() if f.migrations}
    assert set(by_branch) == declared


def test_every_customer_data_table_is_scoped_to_a_workspace(kz: Kizuna) -> None:
    # A login (login_failure) comes before any workspace; a job may concern none (its
    # workspace_id is optional); a browser session is a person's, across their workspaces.
    unscoped_by_design = {
        "workspace",
        "user_account",
        "alembic_version",
        "job",
        "login_failure",
        "web_session",
    }
    for table in inspect(kz.engine).get_table_names():
        if table in unscoped_by_design or table in INDEX_TABLES - {"feedback_search"}:
            continue
        columns = {c["name"] for c in inspect(kz.engine).get_columns(table)}
        assert "workspace_id" in columns, f"table {table} holds data without workspace_id"


def test_sqlite_runs_in_wal_mode(kz: Kizuna) -> None:
    if kz.engine.dialect.name != "sqlite":
        return
    with kz.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_server_and_worker_refuse_a_database_behind_the_code_and_say_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kizuna.db'}"
    engine = create_db_engine(url)
    try:
        with pytest.raises(SchemaOutdated) as empty:
            require_current(engine)
        assert "kizuna db upgrade" in empty.value.message("en")
        upgrade(engine, "0006")  # a database left behind by an upgrade of the code alone
        with pytest.raises(SchemaOutdated) as behind:
            require_current(engine)
        message = behind.value.message("en")
        assert "0006" in message and head_revision() in message and "kizuna db upgrade" in message
        assert "jobs_0002" in head_revision()
        assert "バックアップ" in behind.value.message("ja")
        monkeypatch.setenv("KIZUNA_DATABASE_URL", url)
        monkeypatch.setattr("sys.argv", ["kizuna", "worker", "--once"])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 2
        assert "kizuna db upgrade" in capsys.readouterr().err
        upgrade(engine)
        require_current(engine)  # up to date: nothing to say
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE alembic_version SET version_num = 'jobs_9999' WHERE version_num = 'jobs_0002'"
                )
            )
        with pytest.raises(SchemaOutdated, match="newer than this version of Kizuna knows"):
            require_current(engine)
    finally:
        engine.dispose()
