"""Tables of the ingestion room: each import run and every row it rejected."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["ImportRejection", "ImportRun"]


class ImportRun(WorkspaceScoped, Base):
    """One import: its counts so far, and who runs it. `worker` (host:pid) and
    `heartbeat_at` (renewed by every committed batch) tell a run whose process died
    ("interrupted") from one still working; see `kizuna.ingest.runs`.

    A file's run also keeps the file's `fingerprint` (its identity and the import's
    options) and, written with each committed batch, where the next batch begins:
    `resume_rows` (source rows consumed), `resume_line` (the file's line, or the row of a
    Parquet or Excel file) and `resume_offset` (the byte offset of that line in a text
    file). Running the same import again continues an interrupted run from there
    (`kizuna.ingest.resume`); `resumed_at` is when it last did."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(32))  # customers | interactions | feedback
    origin: Mapped[str] = mapped_column(String(500))  # file name or "api"
    # running | done | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    worker: Mapped[str] = mapped_column(String(100), default="")
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    resume_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    resume_line: Mapped[int | None] = mapped_column(BigInteger, default=None)
    resume_offset: Mapped[int | None] = mapped_column(BigInteger, default=None)
    resumed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ImportRejection(WorkspaceScoped, Base):
    """A row that could not be taken, kept whole with its line number and reason."""

    __tablename__ = "import_rejection"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
