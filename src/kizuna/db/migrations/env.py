"""Alembic environment: the engine comes from the caller (`kizuna db upgrade`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import kizuna.models  # noqa: F401  (registers every table on Base.metadata)
from kizuna.db.base import Base

engine: Engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
