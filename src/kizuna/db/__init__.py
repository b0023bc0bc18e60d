"""The operational database: SQLAlchemy 2 models' base, engines and Alembic migrations.

This room knows tables and connections, nothing of features' rules or the web. The
migration helpers load Alembic when first used (`kizuna.db.migrate`), so a command that
only reads and writes rows (an import, a worker's job) starts without it.
"""

from typing import Any

from kizuna.db.base import Base, UTCDateTime, WorkspaceScoped, utcnow
from kizuna.db.engine import create_db_engine

__all__ = [
    "Base",
    "UTCDateTime",
    "WorkspaceScoped",
    "create_db_engine",
    "current_revision",
    "head_revision",
    "require_current",
    "upgrade",
    "utcnow",
]

_MIGRATE = ("current_revision", "head_revision", "require_current", "upgrade")


def __getattr__(name: str) -> Any:
    if name in _MIGRATE:
        from kizuna.db import migrate

        return getattr(migrate, name)
    raise AttributeError(f"module 'kizuna.db' has no attribute {name!r}")
