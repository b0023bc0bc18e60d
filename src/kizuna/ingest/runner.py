"""One import run: rows or chunks in, batches converted and written, a summary out.

`service` builds the inputs (a file's rows or chunks, an API's records) and calls `run`.
Here: the import_run row, converting rows (row by row, or a chunk at a time through
`columnar`), handing batches to the `BatchWriter`, and the bilingual explanation when a
run stops part-way. A file's batches carry where the file goes on after them (`where`),
which the writer keeps on the run; a run resumed (`kizuna.ingest.resume`) goes on with the
interrupted run's row and counts.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.db.engine import one_writer
from kizuna.errors import InvalidInput, KizunaError, UnsupportedFile
from kizuna.feedback.models import SOURCES
from kizuna.ingest.arrow_csv import Chunk
from kizuna.ingest.block import Block, Prepared, Rejection
from kizuna.ingest.columnar import convert_chunk
from kizuna.ingest.fields import Plan, RowContext, build_plan, convert_row
from kizuna.ingest.models import ImportRun
from kizuna.ingest.pipeline import Batch, BatchWriter
from kizuna.ingest.readers import INVALID_LINE, Start
from kizuna.ingest.rejections import raw_row as _raw
from kizuna.ingest.resume import Resumption
from kizuna.ingest.runs import this_worker
from kizuna.ingest.values import DateParser, RowRejected
from kizuna.ingest.vocabulary import Target, vocabulary
from kizuna.ingest.writer import Counts, Scope, Written, customer_sources, write_batch

__all__ = ["ImportInterrupted", "ImportSummary", "RowResult", "check_source", "run"]

Row = tuple[int, tuple[str, ...], Sequence[Any]]
# Where the source goes on after a batch: given a chunk's end line, or None for "after the
# rows read so far".
Where = Callable[[int | None], Start]


class ImportInterrupted(KizunaError):
    """The import stopped part-way; whole batches before the stop are saved."""

    code = "import_interrupted"
    status = 500


@dataclass(frozen=True)
class RowResult:
    line: int  # 1-based position in the batch / line of the file
    status: Literal["inserted", "updated", "unchanged", "rejected"]
    id: int | None
    external_id: str | None
    reason_code: str | None
    reason: str | None  # in the requested language


@dataclass(frozen=True)
class ImportSummary:
    run_id: int
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    resumed: Resumption | None = None  # the interrupted run this one went on with

    def line(self) -> str:
        return (
            f"read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )


def check_source(target: Target, source: str | None) -> str:
    chosen = (source or "import").strip()
    if target == "feedback" and chosen not in SOURCES:
        raise InvalidInput(
            f"Feedback source '{chosen}' is unknown; use one of {', '.join(SOURCES)}.",
            f"フィードバックのソース「{chosen}」は使えません。{', '.join(SOURCES)} のいずれかです。",
        )
    if not chosen or len(chosen) > 64:
        raise InvalidInput(
            "The source must be 1 to 64 characters, such as 'pos' or 'crm'.",
            "ソースは1〜64文字で指定してください(例: pos、crm)。",
        )
    return chosen


def run(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    rows: Iterable[Row],
    *,
    origin: str,
    source: str | None,
    language: str,
    collect: bool,
    progress: Callable[[int], None] | None,
    position: Callable[[], int],
    plan: Plan | None = None,
    mapping: Mapping[str, str | None] | None = None,
    chunks: Iterable[Chunk] | None = None,
    actor: str = "system",
    at_once: bool = False,
    where: Where | None = None,
    fingerprint: str | None = None,
    resumed: Resumption | None = None,
) -> tuple[ImportSummary, list[RowResult]]:
    """Import `rows` (or, with a plan, a text file's `chunks`) in batches; the summary,
    and each row's result when `collect` is set. The finished run is audited.

    `at_once` (an API call: one request's records, already in memory) writes everything in
    one transaction on the calling thread, the run's row and audit included: stored whole
    or not at all, and without a writer thread to start or three commits to queue for
    (SQLite takes one writer at a time) for a few hundred rows.

    `where` (a file's position after a batch) is kept on the run with each batch; with
    `resumed`, the rows go on in that interrupted run (taken over by the caller), whose
    counts the summary continues.
    """
    chosen = check_source(target, source)
    ctx = RowContext(target, vocabulary(), DateParser(workspace.timezone))
    if at_once:
        size = kz.settings.import_batch_size
        batches = _row_batches(rows, plan, mapping, ctx, size, [0])
        return _run_at_once(
            kz, workspace, target, batches, origin, chosen, language, collect, actor
        )
    with kz.session() as session:
        if resumed is None:
            record = ImportRun(
                workspace_id=workspace.id,
                target=target,
                origin=origin[:500],
                worker=this_worker(),
                heartbeat_at=utcnow(),
                fingerprint=fingerprint,
            )
            session.add(record)
            session.flush()
            run_id = record.id
        else:
            run_id = resumed.run_id
        sources = customer_sources(session.connection(), workspace.id)
    scope = Scope(target, workspace.id, chosen, run_id)
    results: list[RowResult] = []
    reported = [0]

    def on_written(batch: Batch, written: Written, at: int) -> None:
        if collect:
            results.extend(_results(batch, written, language))
        if progress is not None:
            progress(at - reported[0])
            reported[0] = at

    writer = BatchWriter(kz, scope, sources=sources, want_ids=collect, on_written=on_written)
    if resumed is not None:
        writer.committed.add(resumed.counts)
    seen = [0]  # the last line converted, for the error message
    if chunks is not None and plan is not None:
        batches = _chunk_batches(chunks, plan, ctx, seen, where)
    else:
        size = kz.settings.import_batch_size
        batches = _row_batches(rows, plan, mapping, ctx, size, seen, where)
    try:
        for batch in batches:
            writer.submit(batch, position())
        writer.close()
    except BaseException as exc:
        writer.abandon()
        # Ctrl-C (or the process told to stop) interrupts: running it again resumes.
        _finish(kz, run_id, "failed" if isinstance(exc, Exception) else "interrupted")
        lines = writer.failed_lines or (seen[0], seen[0])
        raise _explain(exc, lines, writer.committed) from exc
    done = writer.committed
    summary = ImportSummary(
        run_id, done.read, done.inserted, done.updated, done.unchanged, done.rejected, resumed
    )
    _finish(kz, run_id, "done", summary, actor)
    return summary, results


def _run_at_once(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    batches: Iterable[Batch],
    origin: str,
    source: str,
    language: str,
    collect: bool,
    actor: str,
) -> tuple[ImportSummary, list[RowResult]]:
    """`run` in one transaction; a failure leaves a "failed" run with nothing saved.

    The records are converted before the transaction starts, and on SQLite the threads of
    this process take turns at writing (a lock, first come first served): SQLite's own
    wait for its one writer sleeps and retries, and with eight API calls at once some
    slept for seconds while the database stood idle.
    """
    results: list[RowResult] = []
    done = Counts()
    lines = (0, 0)
    try:
        ready = list(batches)
        with one_writer(kz.engine), kz.session() as session:
            record = ImportRun(
                workspace_id=workspace.id,
                target=target,
                origin=origin[:500],
                worker=this_worker(),
                heartbeat_at=utcnow(),
            )
            session.add(record)
            session.flush()
            conn = session.connection()
            scope = Scope(target, workspace.id, source, record.id)
            sources = customer_sources(conn, workspace.id)
            for batch in ready:
                lines = batch.lines()
                written = write_batch(
                    conn,
                    scope,
                    batch.block,
                    batch.rejected,
                    done,
                    sources=sources,
                    want_ids=collect,
                )
                done.add(written.counts)
                if collect:
                    results.extend(_results(batch, written, language))
            summary = ImportSummary(
                record.id, done.read, done.inserted, done.updated, done.unchanged, done.rejected
            )
            record.status, record.finished_at = "done", utcnow()
            _audit(session, workspace.id, actor, summary)
    except BaseException as exc:
        with kz.session() as session:
            failed = ImportRun(
                workspace_id=workspace.id,
                target=target,
                origin=origin[:500],
                worker=this_worker(),
                status="failed",
                finished_at=utcnow(),
            )
            session.add(failed)
        raise _explain(exc, lines, Counts()) from exc
    return summary, results


def _chunk_batches(
    chunks: Iterable[Chunk], plan: Plan, ctx: RowContext, seen: list[int], where: Where | None
) -> Iterator[Batch]:
    for chunk in chunks:
        block, rejected = convert_chunk(chunk, plan, ctx)
        batch = Batch(block, rejected, where(chunk.end) if where is not None else None)
        if len(batch):
            seen[0] = batch.lines()[1]
            yield batch


def _row_batches(
    rows: Iterable[Row],
    plan: Plan | None,
    mapping: Mapping[str, str | None] | None,
    ctx: RowContext,
    size: int,
    seen: list[int],
    where: Where | None = None,
) -> Iterator[Batch]:
    plans: dict[tuple[str, ...], Plan | InvalidInput] = {}
    if plan is not None:
        plans[plan.header] = plan
    prepared: list[Prepared] = []
    rejected: list[Rejection] = []
    last_header: tuple[str, ...] | None = None
    found: Plan | InvalidInput | None = None
    for line, header, cells in rows:
        seen[0] = line
        if header is not last_header:  # a file's rows share one header object
            found = plans.get(header)
            if found is None:
                if len(plans) > 1000:  # records of many shapes: stay bounded
                    plans.clear()
                found = plans[header] = _plan_or_error(ctx.target, header, mapping)
            last_header = header
        try:
            if header is INVALID_LINE:
                raise _not_a_record()
            if not isinstance(found, Plan):
                raise _ambiguous(found)
            prepared.append(convert_row(line, cells, found, ctx))
        except RowRejected as why:
            rejected.append(Rejection(line, why, _raw(header, cells)))
        if len(prepared) + len(rejected) >= size:
            yield Batch(Block.of(prepared), rejected, where(None) if where is not None else None)
            prepared, rejected = [], []
    if prepared or rejected:
        yield Batch(Block.of(prepared), rejected, where(None) if where is not None else None)


def _plan_or_error(
    target: Target, header: tuple[str, ...], mapping: Mapping[str, str | None] | None
) -> Plan | InvalidInput:
    try:
        return build_plan(target, header, vocabulary(), mapping)
    except InvalidInput as exc:  # in a record stream it rejects the record, not the run
        return exc


def _ambiguous(error: InvalidInput | None) -> RowRejected:
    assert error is not None
    return RowRejected("ambiguous_columns", error.message_en, error.message_ja)


def _not_a_record() -> RowRejected:
    return RowRejected(
        "invalid_record",
        "This entry is not a JSON object of field names and values; write one object per line.",
        "この行は「項目名と値」のJSONオブジェクトではありません。1行に1つのオブジェクトを書いてください。",
    )


def _results(batch: Batch, written: Written, language: str) -> list[RowResult]:
    """Each row's result, in line order."""
    block, ids = batch.block, written.ids
    found = [
        RowResult(line, status, ids.get(key), key, None, None)  # type: ignore[arg-type]
        for line, status, key in zip(block.lines, written.statuses, block.keys, strict=True)
    ]
    for entry in batch.rejected:
        reason = entry.why.reason(language)
        sent = entry.raw.get("external_id")  # the key as sent, so the caller can match it
        key = str(sent) if isinstance(sent, str | int) and not isinstance(sent, bool) else None
        found.append(RowResult(entry.line, "rejected", None, key, entry.why.code, reason))
    found.sort(key=lambda r: r.line)
    return found


def _finish(
    kz: Kizuna,
    run_id: int,
    status: str,
    summary: ImportSummary | None = None,
    actor: str = "system",
) -> None:
    with kz.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=status, finished_at=utcnow())
        )
        if summary is not None:
            workspace_id = session.scalar(
                select(ImportRun.workspace_id).where(ImportRun.id == run_id)
            )
            assert workspace_id is not None
            _audit(session, workspace_id, actor, summary)


def _audit(session: Session, workspace_id: int, actor: str, summary: ImportSummary) -> None:
    record_audit(
        session,
        workspace_id,
        actor,
        "import.run",
        f"import:{summary.run_id}",
        read=summary.read,
        inserted=summary.inserted,
        updated=summary.updated,
        rejected=summary.rejected,
    )


def _explain(exc: BaseException, lines: tuple[int, int], committed: Counts) -> BaseException:
    if isinstance(exc, KizunaError) or not isinstance(exc, Exception):
        return exc  # our own errors already say what to do; Ctrl-C stays Ctrl-C
    saved = f"read {committed.read}, inserted {committed.inserted}, updated {committed.updated}"
    line = lines[0]
    if isinstance(exc, UnicodeDecodeError):
        return UnsupportedFile(
            f"The file is not in the encoding it seemed to be (near line {line}). Give it with "
            f"--encoding (utf-8 or cp932) and run again. Saved so far: {saved}.",
            f"ファイルの文字コードが途中で変わっています({line}行目付近)。--encoding(utf-8 または "
            f"cp932)を指定して再実行してください。保存済み: {saved}。",
        )
    if isinstance(exc, csv.Error):
        return UnsupportedFile(
            f"The file is not valid CSV near line {line} ({exc}). Fix that line or save the "
            f"file again from the spreadsheet, then run again. Saved so far: {saved}.",
            f"{line}行目付近がCSVとして正しくありません({exc})。その行を直すか表計算ソフトから"
            f"保存し直して、再実行してください。保存済み: {saved}。",
        )
    detail = str(exc).splitlines()[0][:300] if isinstance(exc, SQLAlchemyError) else repr(exc)
    first, last = lines
    return ImportInterrupted(
        f"The import stopped in the batch of lines {first}-{last}: {detail}. That batch was "
        f"not saved; the batches before it were ({saved}). Fix the cause and run the same "
        "import again: saved rows stay unchanged.",
        f"{first}〜{last}行目のバッチで取り込みが止まりました: {detail}。このバッチは保存されて"
        f"いません。それより前のバッチは保存済みです({saved})。原因を直して同じ取り込みを"
        "再実行してください。保存済みの行は変わりません。",
        line=first,
    )
