"""API batches through the ingest room, so the API validates and de-duplicates like imports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.feedback.schemas import BatchResultPublic, ImportSummaryPublic, RowResultPublic
from kizuna.web.errors import PayloadTooLarge

__all__ = ["MAX_BATCH", "run_batch"]

# One call is one request in memory; bigger loads belong to `kizuna import` (streamed).
MAX_BATCH = 5000


def run_batch(
    kz: Kizuna,
    workspace: Workspace,
    target: Literal["customers", "interactions", "feedback"],
    records: Sequence[Mapping[str, Any]],
    language: str,
    source: str | None = None,
) -> BatchResultPublic:
    """Import the records; one result per record and the summary. 413 over MAX_BATCH."""
    if len(records) > MAX_BATCH:
        raise PayloadTooLarge(len(records), MAX_BATCH)
    from kizuna.ingest.service import ingest_records

    summary, rows = ingest_records(
        kz,
        workspace,
        target,
        records,
        origin="api",
        source=source,
        language=language,
        collect_results=True,
    )
    return BatchResultPublic(
        summary=ImportSummaryPublic(
            run_id=summary.run_id,
            read=summary.read,
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
            line=summary.line(),
        ),
        rows=[
            RowResultPublic(
                line=row.line,
                status=row.status,
                id=row.id,
                external_id=row.external_id,
                reason_code=row.reason_code,
                reason=row.reason,
            )
            for row in rows
        ],
    )
