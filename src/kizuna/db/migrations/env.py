"""Alembic environment: the engine comes from the caller (`kizuna db upgrade`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from kizuna.db.base import Base
from kizuna.features import load_models

load_models()  # every feature's tables on Base.metadata
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
