"""API batches through the ingest room's rules, in one transaction, answered as JSON.

A batch call validates and de-duplicates its records exactly as a file import does, and is
one transaction: the import run's row, the records, the rejections, their "recorded" event
and the audit entry commit together, or nothing does (a failed call leaves only a run marked
failed). Records of one shape (what the routes send: one pydantic model per record) are
converted a field at a time (`records.convert_records`); records of mixed shapes take the
general path (`service.ingest_records`), with the same results. The answer is built once as
JSON bytes (`BatchAnswer.body`), in the shape of `BatchResultPublic`.

A batch over `MAX_BATCH` records is refused whole with `PayloadTooLarge` (413).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any, cast

import pydantic_core
from pydantic import BaseModel
from sqlalchemy import Table, insert
from sqlalchemy.exc import SQLAlchemyError

from kizuna.accounts.audit import insert_audit
from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.db.engine import one_writer
from kizuna.errors import InvalidInput, KizunaError
from kizuna.ingest.block import Block, Rejection
from kizuna.ingest.fields import Plan, RowContext, build_plan
from kizuna.ingest.models import ImportRun
from kizuna.ingest.records import convert_records
from kizuna.ingest.runner import ImportInterrupted, ImportSummary, RowResult, check_source
from kizuna.ingest.runs import this_worker
from kizuna.ingest.values import DateParser
from kizuna.ingest.vocabulary import Target, vocabulary
from kizuna.ingest.writer import Counts, Scope, Written, customer_sources, write_batch

__all__ = ["MAX_BATCH", "BatchAnswer", "PayloadTooLarge", "run_batch"]


class PayloadTooLarge(KizunaError):
    code = "payload_too_large"
    status = 413

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"{count:,} records were sent; one call takes at most {limit:,}. Split the batch "
            "into smaller calls, or import a file with `kizuna import`.",
            f"{count:,} 件が送られました。1 回の呼び出しは最大 {limit:,} 件です。"
            "分割して送るか、`kizuna import` でファイルから取り込んでください。",
            count=count,
            limit=limit,
        )


# One call is one request in memory; bigger loads belong to `kizuna import` (streamed).
MAX_BATCH = 5000
# Built once: a statement given its values as parameters is compiled once, from the cache.
_RUNS = cast(Table, ImportRun.__table__)
_INSERT_RUN = insert(_RUNS).returning(_RUNS.c.id)

Records = Sequence[Mapping[str, Any]] | Sequence[BaseModel]


@dataclass(frozen=True)
class BatchAnswer:
    """A batch's summary, and the whole answer (summary and one result per record, in the
    order sent) as the JSON bytes of `BatchResultPublic`."""

    summary: ImportSummary
    body: bytes


def run_batch(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    records: Records,
    language: str,
    source: str | None = None,
    actor: str = "system",
) -> BatchAnswer:
    """Import the records in one transaction; the answer. 413 over MAX_BATCH."""
    if len(records) > MAX_BATCH:
        raise PayloadTooLarge(len(records), MAX_BATCH)
    chosen = check_source(target, source)
    shaped = _by_field(records)
    plan = _plan(target, shaped[0]) if shaped is not None else None
    if shaped is None or plan is None:
        return _through_rows(kz, workspace, target, records, language, source, actor)
    ctx = RowContext(target, vocabulary(), DateParser(workspace.timezone))
    block, rejected = convert_records(shaped[1], plan, ctx)
    summary, written = _write(kz, workspace, target, chosen, block, rejected, actor)
    rows: list[dict[str, Any] | None] = [None] * summary.read
    ids = written.ids
    for line, status, key in zip(block.lines, written.statuses, block.keys, strict=True):
        rows[line - 1] = {  # `_row`, inline: once per record
            "line": line,
            "status": status,
            "id": ids.get(key),
            "external_id": key,
            "reason_code": None,
            "reason": None,
        }
    for entry in rejected:
        sent = entry.raw.get("external_id")  # the key as sent, so the caller can match it
        named = str(sent) if isinstance(sent, str | int) and not isinstance(sent, bool) else None
        reason = entry.why.reason(language)
        rows[entry.line - 1] = _row(entry.line, "rejected", None, named, entry.why.code, reason)
    return BatchAnswer(summary, _body(summary, rows))


def _by_field(records: Records) -> tuple[tuple[str, ...], list[Sequence[Any]]] | None:
    """The records' field names and their values field by field, when every record has
    the same fields in the same order; else None."""
    if not records:
        return None
    first = records[0]
    if isinstance(first, BaseModel):
        model = type(first)
        header = tuple(model.model_fields)
        if len(header) < 2 or not all(type(r) is model for r in records):
            return None
        values = list(map(attrgetter(*header), records))
    elif isinstance(first, Mapping):
        header = tuple(first)
        if len(header) < 1 or not all(isinstance(r, Mapping) for r in records):
            return None
        mappings: Sequence[Mapping[str, Any]] = records  # type: ignore[assignment]
        if any(tuple(r) != header for r in mappings):
            return None
        values = [tuple(r.values()) for r in mappings]
    else:
        return None
    return header, list(zip(*values, strict=True))


@lru_cache(maxsize=64)
def _plan(target: Target, header: tuple[str, ...]) -> Plan | None:
    """The plan of the records' fields (None when they are ambiguous: the general path
    rejects each record with the reason)."""
    try:
        return build_plan(target, header, vocabulary())
    except InvalidInput:
        return None


def _write(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    source: str,
    block: Block,
    rejected: list[Rejection],
    actor: str,
) -> tuple[ImportSummary, Written]:
    """The run's row, the records, their event and the audit entry, in one transaction."""
    try:
        # A Core transaction, no ORM session: nothing here needs one (every write is a
        # statement built once), and one cost about 0.4 ms a call (the audit row's flush).
        with one_writer(kz.engine), kz.engine.begin() as conn:
            now = utcnow()
            # Written "done" at once: the transaction shows it to nobody before the rows,
            # and write_batch sets its counts.
            run_id = conn.execute(
                _INSERT_RUN,
                {
                    "workspace_id": workspace.id,
                    "target": target,
                    "origin": "api",
                    "worker": this_worker(),
                    "status": "done",
                    "started_at": now,
                    "finished_at": now,
                    "heartbeat_at": now,
                },
            ).scalar_one()
            scope = Scope(target, workspace.id, source, run_id)
            sources = customer_sources(conn, workspace.id) if target != "customers" else []
            written = write_batch(
                conn, scope, block, rejected, Counts(), sources=sources, want_ids=True
            )
            done = written.counts
            summary = ImportSummary(
                run_id, done.read, done.inserted, done.updated, done.unchanged, done.rejected
            )
            insert_audit(
                conn,
                workspace.id,
                actor,
                "import.run",
                f"import:{run_id}",
                read=done.read,
                inserted=done.inserted,
                updated=done.updated,
                rejected=done.rejected,
            )
    except BaseException as exc:
        with kz.session() as session:
            session.add(
                ImportRun(
                    workspace_id=workspace.id,
                    target=target,
                    origin="api",
                    worker=this_worker(),
                    status="failed",
                    finished_at=utcnow(),
                )
            )
        raise _not_saved(exc, len(block) + len(rejected)) from exc
    return summary, written


def _not_saved(exc: BaseException, count: int) -> BaseException:
    if isinstance(exc, KizunaError) or not isinstance(exc, Exception):
        return exc  # our own errors already say what to do; Ctrl-C stays Ctrl-C
    detail = str(exc).splitlines()[0][:300] if isinstance(exc, SQLAlchemyError) else repr(exc)
    return ImportInterrupted(
        f"The batch of {count:,} records was not saved: {detail}. Nothing of it was stored. "
        "Fix the cause and send the same batch again: records already stored stay unchanged.",
        f"{count:,} 件のバッチは保存されませんでした: {detail}。このバッチは何も保存されて"
        "いません。原因を直して同じバッチをもう一度送ってください。保存済みの記録は変わりません。",
        line=1,
    )


def _through_rows(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    records: Records,
    language: str,
    source: str | None,
    actor: str,
) -> BatchAnswer:
    """Records of mixed shapes: the general path, record by record, in one transaction."""
    from kizuna.ingest.service import ingest_records

    dicts = [r.model_dump() if isinstance(r, BaseModel) else r for r in records]
    summary, results = ingest_records(
        kz,
        workspace,
        target,
        dicts,
        origin="api",
        source=source,
        language=language,
        collect_results=True,
        actor=actor,
        at_once=True,
    )
    return BatchAnswer(summary, _body(summary, [_result(r) for r in results]))


def _result(row: RowResult) -> dict[str, Any]:
    return _row(row.line, row.status, row.id, row.external_id, row.reason_code, row.reason)


def _row(
    line: int,
    status: str,
    row_id: int | None,
    key: str | None,
    code: str | None,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "line": line,
        "status": status,
        "id": row_id,
        "external_id": key,
        "reason_code": code,
        "reason": reason,
    }


def _body(summary: ImportSummary, rows: Sequence[dict[str, Any] | None]) -> bytes:
    """`BatchResultPublic` as JSON, serialised once (in pydantic's core)."""
    return pydantic_core.to_json(
        {
            "summary": {
                "run_id": summary.run_id,
                "read": summary.read,
                "inserted": summary.inserted,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "rejected": summary.rejected,
                "line": summary.line(),
            },
            "rows": rows,
        }
    )
