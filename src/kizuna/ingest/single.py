"""One record through the same rules as a file: validate, key, store, raise the event.

`write_record` is what `record_voice`, `upsert_customer` and `record_interaction` stand on.
It runs in the caller's session and transaction (no import run, no thread, no pragma),
converts the record with the importer's own `convert_row` and writes it with the importer's
own `write_batch`, so a record keyed (workspace, source, external_id) sent twice is stored
once ("unchanged") and its "recorded" event is raised exactly when its row changed.
A record that an import would reject raises InvalidInput with the importer's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.errors import InvalidInput
from kizuna.ingest.block import Block
from kizuna.ingest.fields import RowContext, build_plan, convert_row
from kizuna.ingest.runner import check_source
from kizuna.ingest.values import DateParser, RowRejected, as_sent
from kizuna.ingest.vocabulary import Target, vocabulary
from kizuna.ingest.writer import Counts, Scope, customer_sources, write_batch

__all__ = ["RecordRejected", "Written", "write_record"]


class RecordRejected(InvalidInput):
    """A single record the import rules refuse; `details.reason_code` is the importer's code."""


@dataclass(frozen=True)
class Written:
    """What happened to one record: its row id, and inserted, updated or unchanged."""

    id: int
    status: Literal["inserted", "updated", "unchanged"]
    external_id: str


def write_record(
    session: Session,
    workspace: Workspace,
    target: Target,
    record: Mapping[str, Any],
    *,
    source: str | None = None,
) -> Written:
    """Validate and store one record in the caller's transaction (see the module doc)."""
    chosen = check_source(target, source)
    header = tuple(str(key) for key in record)
    try:
        plan = build_plan(target, header, vocabulary())
    except InvalidInput as exc:
        raise RecordRejected(
            exc.message_en, exc.message_ja, reason_code="ambiguous_columns"
        ) from None
    missing = plan.missing_required()
    if missing:  # a file without the column is refused before any row; a record likewise
        raise RecordRejected(
            f"The record has no {', '.join(missing)}; add it and send the record again.",
            f"{'、'.join(vocabulary().label(f) for f in missing)}がありません。追加してもう一度送って"
            "ください。",
            reason_code="missing_field",
        )
    ctx = RowContext(target, vocabulary(), DateParser(workspace.timezone))
    try:
        prepared = convert_row(1, tuple(map(as_sent, record.values())), plan, ctx)
    except RowRejected as why:
        raise RecordRejected(why.en, why.ja, reason_code=why.code) from None
    conn = session.connection()
    sources = customer_sources(conn, workspace.id) if target != "customers" else []
    block = Block.of([prepared])
    scope = Scope(target, workspace.id, chosen, None)
    done = write_batch(conn, scope, block, [], Counts(), sources=sources, want_ids=True)
    key = block.keys[0]
    status = done.statuses[0]
    assert status in ("inserted", "updated", "unchanged")
    return Written(done.ids[key], status, key)  # type: ignore[arg-type]
