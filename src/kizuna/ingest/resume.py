"""Running a killed import again continues it: the same file, workspace and options pick up
the interrupted run where its last committed batch ended.

A file's run keeps a `fingerprint`: the file's size, modification time and a hash of its
first and last 64 KiB, with the target, the source, the encoding asked for and the mapping.
Each committed batch writes, in its own transaction, where the next one begins (see
`kizuna.ingest.pipeline`), so the position never claims more than was saved. When the newest
run with the same fingerprint in the workspace is interrupted (its process gone, see
`kizuna.ingest.runs`), `claim_interrupted` takes it over (one process wins) and the import
reads on from there, adding to that run's counts and rejections. A changed file has another
fingerprint and is imported whole, as before (keys make the saved rows "unchanged").

Nothing here reads or writes the rows themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.ingest.models import ImportRun
from kizuna.ingest.readers import Start
from kizuna.ingest.runs import mark_interrupted, this_worker
from kizuna.ingest.writer import Counts

__all__ = ["Resumption", "claim_interrupted", "file_fingerprint", "release"]

_EDGE = 1 << 16  # bytes hashed at each end of the file


@dataclass(frozen=True)
class Resumption:
    """An interrupted run taken over: its id, when it started, what it had saved, and where
    the file is read on from."""

    run_id: int
    started_at: dt.datetime
    counts: Counts
    rows: int  # source rows consumed by the earlier run(s)
    start: Start

    def note(self, language: str) -> str:
        """The line that tells a person the import resumed, in their language."""
        at = self.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        row = self.rows + 1
        if language == "ja":
            return (
                f"中断された取り込み(run {self.run_id}、{at} 開始)の {row:,} 行目から再開しました。"
                f"それより前の {self.rows:,} 行は前回の実行で取り込み済みで、件数はファイル全体を数えています。"
            )
        return (
            f"Resumed at row {row:,} of an interrupted run (run {self.run_id}) started at {at}; "
            f"the {self.rows:,} rows before it were imported by that run, and the counts cover "
            "the whole file."
        )


def file_fingerprint(
    path: Path,
    *,
    target: str,
    source: str,
    encoding: str | None,
    mapping: Mapping[str, str | None] | None,
) -> str:
    """The file's identity and the import's options, as 64 hex digits."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        digest.update(raw.read(_EDGE))
        if stat.st_size > _EDGE:
            raw.seek(max(stat.st_size - _EDGE, _EDGE))
            digest.update(raw.read(_EDGE))
    options = {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "target": target,
        "source": source,
        "encoding": (encoding or "").strip().lower(),
        "mapping": dict(sorted((mapping or {}).items())),
        "edges": digest.hexdigest(),
    }
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()


def claim_interrupted(
    kz: Kizuna, workspace: Workspace, target: str, fingerprint: str
) -> Resumption | None:
    """Take over the newest run of this file and options when it was interrupted after
    saving something; None when there is none (or another process took it first)."""
    with kz.session() as session:
        mark_interrupted(session, workspace.id)
    with kz.session() as session:
        run = session.scalars(
            select(ImportRun)
            .where(
                ImportRun.workspace_id == workspace.id,
                ImportRun.target == target,
                ImportRun.fingerprint == fingerprint,
            )
            .order_by(ImportRun.id.desc())
            .limit(1)
        ).first()
        if run is None or run.status != "interrupted" or run.resume_line is None:
            return None
        now = utcnow()
        taken = session.execute(
            update(ImportRun)
            .where(ImportRun.id == run.id, ImportRun.status == "interrupted")
            .values(
                status="running",
                worker=this_worker(),
                heartbeat_at=now,
                resumed_at=now,
                finished_at=None,
            )
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        counts = Counts(run.read, run.inserted, run.updated, run.unchanged, run.rejected)
        start = Start(run.resume_line, run.resume_offset)
        return Resumption(run.id, run.started_at, counts, run.resume_rows, start)


def release(kz: Kizuna, resumed: Resumption) -> None:
    """Give a claimed run back as interrupted (the import stopped before reading on)."""
    with kz.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == resumed.run_id, ImportRun.status == "running")
            .values(status="interrupted", finished_at=utcnow())
        )
