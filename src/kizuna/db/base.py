"""Declarative base, shared column types and the workspace scope every customer table has."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "BigId", "JSONType", "UTCDateTime", "WorkspaceScoped", "utcnow"]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stored as naive UTC on every engine (so ibis sees one type); read back as aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        parsed: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONType}  # noqa: RUF012


class WorkspaceScoped:
    """Mixin: the row belongs to one workspace; every query filters on it.

    A table whose unique key or composite indexes already lead with `workspace_id` sets
    `workspace_index = False`: a second index on the column alone only slows every insert.
    """

    workspace_index: ClassVar[bool] = True

    @declared_attr
    def workspace_id(cls) -> Mapped[int]:
        return mapped_column(
            BigId,
            ForeignKey("workspace.id", ondelete="CASCADE"),
            index=cls.workspace_index,
            nullable=False,
        )
