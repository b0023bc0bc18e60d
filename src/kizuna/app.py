"""The one application object: `Kizuna(settings)`.

The server, the CLI and the tests build it the same way. It owns the engine and the
session factory; it connects lazily and reads no environment beyond `Settings()`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.accounts.models import Workspace
from kizuna.db import create_db_engine
from kizuna.errors import WorkspaceNotFound
from kizuna.features import load_models
from kizuna.settings import Settings

__all__ = ["Kizuna"]


class Kizuna:
    """Kizuna's application: settings, database engine and sessions."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        load_models()  # every feature's tables, so foreign keys between them resolve
        self.settings = settings if settings is not None else Settings()
        self.engine = engine if engine is not None else create_db_engine(self.settings.database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Kizuna(database={self.engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def upgrade_db(self) -> None:
        """Apply every feature's Alembic migrations (the only way the schema is created)."""
        from kizuna.db.migrate import upgrade  # Alembic only when migrating

        upgrade(self.engine)

    def workspace(self, session: Session, slug: str) -> Workspace:
        found = session.scalar(select(Workspace).where(Workspace.slug == slug))
        if found is None:
            raise WorkspaceNotFound(slug)
        return found

    def close(self) -> None:
        self.engine.dispose()
        spark = sys.modules.get("kizuna.engines.spark")  # only if this process used Spark
        if spark is not None:
            spark.stop_spark()

    def __enter__(self) -> Kizuna:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
