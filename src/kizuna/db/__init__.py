"""The operational database: SQLAlchemy 2 models' base, engines and Alembic migrations.

This room knows tables and connections, nothing of features' rules or the web.
"""

from kizuna.db.base import Base, UTCDateTime, WorkspaceScoped, utcnow
from kizuna.db.engine import create_db_engine
from kizuna.db.migrate import current_revision, head_revision, require_current, upgrade

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
