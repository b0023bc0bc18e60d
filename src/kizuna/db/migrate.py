"""Alembic, driven from code: the schema is only ever created by migrations.

Migrations live with the features that own the tables. The shared history (revisions
0001..0007, the house before features had their own) is in `db/migrations/versions`; each
feature with tables of its own keeps an Alembic branch in `<feature>/migrations/`, labelled
with the feature's name, whose revision ids start with `<name>_` and whose first revision
builds on the shared history. Two features adding a migration each never collide: each
moves only its own branch. `kizuna db upgrade` applies every branch (`heads`); the
database is current when its heads are exactly the code's.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from kizuna.errors import SchemaOutdated

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_heads",
    "current_revision",
    "head_revision",
    "head_revisions",
    "require_current",
    "script_directory",
    "upgrade",
]

MIGRATIONS = Path(__file__).parent / "migrations"


def _version_locations() -> list[Path]:
    from kizuna.features import migration_folders

    return [MIGRATIONS / "versions", *migration_folders().values()]


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(map(str, _version_locations())))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def current_heads(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def current_revision(engine: Engine) -> str | None:
    """The database's revisions, one per branch, as one line (None when empty)."""
    heads = current_heads(engine)
    return ", ".join(heads) if heads else None


def head_revisions(scripts: ScriptDirectory | None = None) -> tuple[str, ...]:
    return tuple(sorted((scripts or script_directory()).get_heads()))


def head_revision() -> str:
    """The newest migration of every branch this version of Kizuna ships, as one line."""
    return ", ".join(head_revisions())


def require_current(engine: Engine) -> None:
    """SchemaOutdated, saying what to run, unless the database is at the newest migrations.

    The server and workers check before they start, so an upgrade of the code without one of
    the database shows this message rather than failing page by page."""
    scripts = script_directory()  # read once for the heads and the known revisions
    current, heads = current_heads(engine), head_revisions(scripts)
    if current == heads:
        return
    want = ", ".join(heads)
    if not current:
        raise SchemaOutdated(
            "The database is empty. Create its tables with `kizuna db upgrade` (or build the "
            "demo with `kizuna demo`), then start again.",
            "データベースが空です。`kizuna db upgrade`(デモは `kizuna demo`)でテーブルを作成して"
            "から、もう一度起動してください。",
            current=None,
            head=want,
        )
    known = {script.revision for script in scripts.walk_revisions()}
    have = ", ".join(current)
    if not set(current) <= known:
        raise SchemaOutdated(
            f"The database is at migration {have}, newer than this version of Kizuna knows "
            f"(its newest is {want}). Run the version of Kizuna that upgraded it.",
            f"データベースはマイグレーション {have} で、このバージョンの Kizuna(最新 {want})"
            "より新しいものです。データベースを更新したバージョンの Kizuna で起動してください。",
            current=have,
            head=want,
        )
    raise SchemaOutdated(
        f"The database is at migration {have}; this version of Kizuna needs {want}. Back up "
        "the database, run `kizuna db upgrade`, then start again.",
        f"データベースはマイグレーション {have} ですが、このバージョンの Kizuna には {want} が"
        "必要です。バックアップを取り、`kizuna db upgrade` を実行してから、もう一度起動して"
        "ください。",
        current=have,
        head=want,
    )
