"""Ingestion use cases: `import_file` (the CLI) and `ingest_records` (the REST batch API).

Records use canonical English field names; header synonyms (vocabulary.yaml) are accepted too.

- customers: external_id (required), name, email, phone, line_id, birthday, age_band,
  gender, prefecture, life_stage, interests (list, or text split at | 、 , ;),
  consent_email (default no), consent_analysis (default yes), attributes (object);
  other keys go into attributes.
- interactions: external_id (derived from the content when absent), customer_ref (the
  customer's external_id), occurred_at (required), channel (required), touchpoint,
  kind (default "visit"), direct (default true), amount, properties (object).
- feedback: external_id (derived when absent), customer_ref, received_at (required),
  channel (default "other"), touchpoint, text, language, nps 0-10, csat 1-5, ces 1-7,
  rating 1-5, properties; a row needs a text or a score.

Other keys of interactions and feedback go into properties. Unknown channel names become
"other", the name as written kept in properties.channel_raw. Rows are keyed by (workspace,
source, external_id): a known key with the same content is "unchanged", with other content
"updated" (the row takes the new values). Rejected rows are stored with a reason code:
missing_field, invalid_date, invalid_number, score_out_of_range, invalid_boolean,
invalid_email, invalid_properties, too_long, empty_feedback, column_count,
invalid_record, ambiguous_columns. A rejection's `raw` maps each column to its value as
written; its "_columns" key lists the columns in file order (PostgreSQL's JSONB does not keep
key order).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, KizunaError, UnsupportedFile
from kizuna.feedback.models import SOURCES
from kizuna.ingest.fields import Plan, Prepared, RowContext, build_plan, convert_row
from kizuna.ingest.models import ImportRun
from kizuna.ingest.pipeline import BatchWriter
from kizuna.ingest.readers import INVALID_LINE, open_table
from kizuna.ingest.rejections import raw_row as _raw
from kizuna.ingest.rejections import write_rejections_csv
from kizuna.ingest.values import DateParser, RowRejected
from kizuna.ingest.vocabulary import TARGETS, Target, vocabulary
from kizuna.ingest.writer import Counts, Rejection, Scope, Written, customer_sources

__all__ = [
    "ImportInterrupted",
    "ImportSummary",
    "RowResult",
    "Target",
    "import_file",
    "ingest_records",
    "write_rejections_csv",
]

Row = tuple[int, tuple[str, ...], Sequence[Any]]


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

    def line(self) -> str:
        return (
            f"read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )


def ingest_records(
    kz: Kizuna,
    workspace: Workspace,
    target: Target,
    records: Iterable[Mapping[str, Any]],
    *,
    origin: str = "api",
    source: str | None = None,
    language: str = "ja",
    collect_results: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportSummary, list[RowResult]]:
    """Validate and write records (canonical field names), one transaction per batch."""
    seen = [0]

    def rows() -> Iterator[Row]:
        for line, record in enumerate(records, start=1):
            seen[0] = line
            if isinstance(record, Mapping):
                yield line, tuple(str(k) for k in record), tuple(record.values())
            else:
                yield line, INVALID_LINE, (record,)

    return _run(
        kz,
        workspace,
        _check_target(target),
        rows(),
        origin=origin,
        source=source,
        language=language,
        collect=collect_results,
        progress=progress,
        position=lambda: seen[0],
    )


def import_file(
    kz: Kizuna,
    workspace_slug: str,
    target: Target,
    path: Path,
    *,
    mapping_path: Path | None = None,
    encoding: str | None = None,
    source: str | None = None,
    language: str = "ja",
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Stream a CSV/TSV/JSONL/Parquet/XLSX file into the workspace; `progress` gets bytes
    (text files) or rows (Parquet, Excel) as they are consumed."""
    target = _check_target(target)
    with kz.session() as session:
        workspace = kz.workspace(session, workspace_slug)
    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    with open_table(Path(path), encoding, kz.settings.import_batch_size) as table:
        plan = None
        if table.header is not None:
            plan = build_plan(target, table.header, vocabulary(), mapping)
            _refuse_missing_columns(plan)
        summary, _ = _run(
            kz,
            workspace,
            target,
            table.rows,
            origin=Path(path).name,
            source=source,
            language=language,
            collect=False,
            progress=progress,
            position=table.position,
            plan=plan,
            mapping=mapping,
        )
    return summary


def load_mapping(path: Path) -> dict[str, str | None]:
    """A mapping file: YAML `field: column header` (null ignores a column's field)."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Cannot read the mapping file '{path}' ({exc}). Write it as UTF-8 YAML: "
            "`field: column header`, one per line.",
            f"マッピングファイル「{path}」を読めません({exc})。UTF-8のYAMLで「項目: 列名」を"
            "1行ずつ書いてください。",
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
        raise InvalidInput(
            f"The mapping file '{path}' must be `field: column header` lines, such as "
            "`received_at: 回答日時`.",
            f"マッピングファイル「{path}」は「received_at: 回答日時」のような"
            "「項目: 列名」の行で書いてください。",
        )
    return {str(k): v for k, v in data.items()}


def _check_target(target: str) -> Target:
    for known in TARGETS:
        if target == known:
            return known
    raise InvalidInput(
        f"'{target}' cannot be imported; choose customers, interactions or feedback.",
        f"「{target}」は取り込めません。customers、interactions、feedback のいずれかを指定してください。",
    )


def _check_source(target: Target, source: str | None) -> str:
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


def _refuse_missing_columns(plan: Plan) -> None:
    missing = plan.missing_required()
    if missing:
        vocab = vocabulary()
        labels = "、".join(vocab.label(f) for f in missing)
        raise InvalidInput(
            f"The file has no column for {', '.join(missing)}. Columns found: "
            f"{', '.join(plan.header)}. Rename the column or map it with --mapping "
            f"(a YAML file such as `{missing[0]}: your column name`).",
            f"ファイルに{labels}の列がありません。ファイルの列: {', '.join(plan.header)}。"
            f"列名を変えるか、--mapping(例: `{missing[0]}: 列名` と書いたYAML)で指定してください。",
            missing=missing,
        )


def _run(
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
) -> tuple[ImportSummary, list[RowResult]]:
    chosen = _check_source(target, source)
    vocab = vocabulary()
    ctx = RowContext(target, vocab, DateParser(workspace.timezone))
    with kz.session() as session:
        run = ImportRun(workspace_id=workspace.id, target=target, origin=origin[:500])
        session.add(run)
        session.flush()
        run_id = run.id
        sources = customer_sources(session.connection(), workspace.id)
    scope = Scope(target, workspace.id, chosen, run_id)
    plans: dict[tuple[str, ...], Plan | InvalidInput] = {}
    if plan is not None:
        plans[plan.header] = plan
    results: list[RowResult] = []
    reported = [0]

    def on_written(batch: Sequence[Prepared | Rejection], written: Written, at: int) -> None:
        if collect:
            results.extend(_results(batch, written.statuses, written.ids, language))
        if progress is not None:
            progress(at - reported[0])
            reported[0] = at

    writer = BatchWriter(kz, scope, sources=sources, want_ids=collect, on_written=on_written)
    batch: list[Prepared | Rejection] = []
    size = kz.settings.import_batch_size
    line = 0
    last_header: tuple[str, ...] | None = None
    found: Plan | InvalidInput | None = None
    try:
        for line, header, cells in rows:
            if header is not last_header:  # a file's rows share one header object
                found = plans.get(header)
                if found is None:
                    if len(plans) > 1000:  # records of many shapes: stay bounded
                        plans.clear()
                    found = plans[header] = _plan_or_error(target, header, mapping)
                last_header = header
            try:
                if header is INVALID_LINE:
                    raise _not_a_record()
                if not isinstance(found, Plan):
                    raise _ambiguous(found)
                batch.append(convert_row(line, cells, found, ctx))
            except RowRejected as why:
                batch.append(Rejection(line, why, _raw(header, cells)))
            if len(batch) >= size:
                writer.submit(batch, position())
                batch = []
        if batch:
            writer.submit(batch, position())
        writer.close()
    except BaseException as exc:
        writer.abandon()
        _finish(kz, run_id, "failed")
        where = writer.failed_lines or (line, line)
        raise _explain(exc, where, writer.committed) from exc
    _finish(kz, run_id, "done")
    done = writer.committed
    summary = ImportSummary(
        run_id, done.read, done.inserted, done.updated, done.unchanged, done.rejected
    )
    return summary, results


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


def _results(
    batch: Sequence[Prepared | Rejection],
    statuses: list[str],
    ids: dict[str, int],
    language: str,
) -> Iterator[RowResult]:
    done = iter(statuses)
    for entry in batch:
        if isinstance(entry, Rejection):
            reason = entry.why.reason(language)
            yield RowResult(entry.line, "rejected", None, None, entry.why.code, reason)
        else:
            status: Any = next(done)
            yield RowResult(entry.line, status, ids.get(entry.key), entry.key, None, None)


def _finish(kz: Kizuna, run_id: int, status: str) -> None:
    with kz.engine.begin() as conn:
        conn.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=status, finished_at=utcnow())
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
