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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.errors import InvalidInput
from kizuna.ingest.fields import Plan, build_plan
from kizuna.ingest.readers import INVALID_LINE, Start, Table, open_table
from kizuna.ingest.rejections import write_rejections_csv
from kizuna.ingest.resume import claim_interrupted, file_fingerprint, release
from kizuna.ingest.runner import ImportInterrupted, ImportSummary, RowResult, check_source, run
from kizuna.ingest.values import as_sent
from kizuna.ingest.vocabulary import TARGETS, Target, vocabulary

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
    actor: str = "system",
    at_once: bool = False,
) -> tuple[ImportSummary, list[RowResult]]:
    """Validate and write records (canonical field names), one transaction per batch; all in
    one transaction with `at_once` (one API call's records)."""
    seen = [0]

    def rows() -> Iterator[Row]:
        for line, record in enumerate(records, start=1):
            seen[0] = line
            if isinstance(record, Mapping):
                yield line, tuple(map(str, record)), tuple(map(as_sent, record.values()))
            else:
                yield line, INVALID_LINE, (record,)

    return run(
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
        actor=actor,
        at_once=at_once,
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
    actor: str = "system",
    restart: bool = False,
) -> ImportSummary:
    """Stream a CSV/TSV/JSONL/Parquet/XLSX file into the workspace; `progress` gets bytes
    (text files) or rows (Parquet, Excel) as they are consumed.

    When the newest import of the same file (same size, time and bytes at both ends) with
    the same options into this workspace was interrupted, this one resumes it where its last
    committed batch ended (`summary.resumed` says so); `restart` reads the file whole."""
    target = _check_target(target)
    with kz.session() as session:
        workspace = kz.workspace(session, workspace_slug)
    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    batch_rows, by_columns = kz.settings.import_batch_size, kz.settings.import_by_columns
    path = Path(path)
    fingerprint = None
    if path.is_file():  # open_table explains a missing file
        chosen = check_source(target, source)
        fingerprint = file_fingerprint(
            path, target=target, source=chosen, encoding=encoding, mapping=mapping
        )
    resumed = None
    if fingerprint is not None and not restart:
        resumed = claim_interrupted(kz, workspace, target, fingerprint)
    start = resumed.start if resumed is not None else None
    try:
        with open_table(path, encoding, batch_rows, by_columns=by_columns, start=start) as table:
            plan = None
            if table.header is not None:
                plan = build_plan(target, table.header, vocabulary(), mapping)
                _refuse_missing_columns(plan)
            claimed, resumed = resumed, None  # from here on, `run` finishes the claimed run
            summary, _ = run(
                kz,
                workspace,
                target,
                table.rows,
                origin=path.name,
                source=source,
                language=language,
                collect=False,
                progress=progress,
                position=table.position,
                plan=plan,
                mapping=mapping,
                chunks=table.chunks,
                actor=actor,
                where=_where(table),
                fingerprint=fingerprint,
                resumed=claimed,
            )
    finally:
        if resumed is not None:  # claimed, but the file could not be read on
            release(kz, resumed)
    return summary


def _where(table: Table) -> Callable[[int | None], Start]:
    """Where the file goes on: at a chunk's end line, or after the rows read so far."""

    def where(line: int | None) -> Start:
        at = table.next_line() if line is None else line
        return Start(at, table.offset_of(at))

    return where


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
