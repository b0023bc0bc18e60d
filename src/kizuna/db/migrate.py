"""Alembic, driven from code: the schema is only ever created by migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from kizuna.errors import SchemaOutdated

__all__ = ["alembic_config", "current_revision", "head_revision", "require_current", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration this version of Kizuna ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def require_current(engine: Engine) -> None:
    """SchemaOutdated, saying what to run, unless the database is at the newest migration.

    The server and workers check before they start, so an upgrade of the code without one of
    the database shows this message rather than failing page by page."""
    scripts = ScriptDirectory(str(MIGRATIONS))  # read once for the head and the known ones
    current, head = current_revision(engine), scripts.get_current_head()
    if current == head:
        return
    if current is None:
        raise SchemaOutdated(
            "The database is empty. Create its tables with `kizuna db upgrade` (or build the "
            "demo with `kizuna demo`), then start again.",
            "データベースが空です。`kizuna db upgrade`(デモは `kizuna demo`)でテーブルを作成して"
            "から、もう一度起動してください。",
            current=None,
            head=head,
        )
    if current not in {script.revision for script in scripts.walk_revisions()}:
        raise SchemaOutdated(
            f"The database is at migration {current}, newer than this version of Kizuna knows "
            f"(its newest is {head}). Run the version of Kizuna that upgraded it.",
            f"データベースはマイグレーション {current} で、このバージョンの Kizuna(最新 {head})"
            "より新しいものです。データベースを更新したバージョンの Kizuna で起動してください。",
            current=current,
            head=head,
        )
    raise SchemaOutdated(
        f"The database is at migration {current}; this version of Kizuna needs {head}. Back up "
        "the database, run `kizuna db upgrade`, then start again.",
        f"データベースはマイグレーション {current} ですが、このバージョンの Kizuna には {head} が"
        "必要です。バックアップを取り、`kizuna db upgrade` を実行してから、もう一度起動して"
        "ください。",
        current=current,
        head=head,
    )
