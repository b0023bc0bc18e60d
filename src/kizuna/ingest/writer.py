"""One batch of prepared rows into the database, in the caller's transaction.

Core statements only (no ORM objects per row): one SELECT of the batch's existing keys,
one SELECT resolving customer references, then `executemany` INSERT and UPDATE with plain
parameter rows, the rejections, and the run's counters. The caller commits the whole batch
or nothing, so an interrupted import never leaves half a batch behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer, Interaction
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback
from kizuna.ingest.bulk import insert_rows, update_rows
from kizuna.ingest.fields import Prepared
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.ingest.values import RowRejected
from kizuna.ingest.vocabulary import Target

__all__ = ["Counts", "Rejection", "Written", "write_batch"]

TABLES: dict[str, Table] = {
    "customers": Customer.__table__,  # type: ignore[dict-item]
    "interactions": Interaction.__table__,  # type: ignore[dict-item]
    "feedback": Feedback.__table__,  # type: ignore[dict-item]
}
_CHUNK = 1000  # keys per IN list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(slots=True)
class Rejection:
    line: int
    why: RowRejected
    raw: dict[str, Any]


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        for name in ("read", "inserted", "updated", "unchanged", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Written:
    """What a batch did: counts, each prepared row's status and the ids of its keys."""

    counts: Counts
    statuses: list[str]
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    target: Target
    workspace_id: int
    source: str
    run_id: int


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing(conn: Connection, table: Table, scope: Scope, keys: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # One statement with an expanding parameter: built and compiled once, not per chunk.
    query = select(table.c.external_id, table.c.id, table.c.content_hash).where(
        table.c.workspace_id == scope.workspace_id,
        table.c.source == scope.source,
        table.c.external_id.in_(bindparam("keys", expanding=True)),
    )
    for part in _chunks(keys):
        for key, row_id, digest in conn.execute(query, {"keys": list(part)}):
            found[key] = (row_id, digest)
    return found


def _customer_ids(
    conn: Connection, workspace_id: int, sources: Sequence[str], refs: Sequence[str]
) -> dict[str, int]:
    """customer_ref -> customer id, matching a customer's external_id from any source."""
    table = TABLES["customers"]
    found: dict[str, int] = {}
    # Naming the sources lets the (workspace, source, external_id) index answer.
    query = (
        select(table.c.external_id, table.c.id)
        .where(
            table.c.workspace_id == workspace_id,
            table.c.source.in_(sources),
            table.c.external_id.in_(bindparam("refs", expanding=True)),
        )
        .order_by(table.c.id.desc())  # the oldest customer wins when sources disagree
    )
    for part in _chunks(refs):
        found.update({ref: row_id for ref, row_id in conn.execute(query, {"refs": list(part)})})
    return found


def customer_sources(conn: Connection, workspace_id: int) -> list[str]:
    table = TABLES["customers"]
    query = select(table.c.source).where(table.c.workspace_id == workspace_id).distinct()
    return list(conn.scalars(query))


def write_batch(
    conn: Connection,
    scope: Scope,
    entries: Sequence[Prepared | Rejection],
    committed: Counts,
    *,
    sources: Sequence[str] = (),
    want_ids: bool = False,
) -> Written:
    """Write one batch; `committed` are the run's counts before it (for the run's row)."""
    table = TABLES[scope.target]
    prepared = [e for e in entries if isinstance(e, Prepared)]
    rejected = [e for e in entries if isinstance(e, Rejection)]
    keys = list(dict.fromkeys(p.key for p in prepared))
    existing = _existing(conn, table, scope, keys)
    current = {key: digest for key, (_, digest) in existing.items()}
    inserts: dict[str, Prepared] = {}
    updates: dict[str, Prepared] = {}
    statuses: list[str] = []
    counts = Counts(read=len(entries), rejected=len(rejected))
    for row in prepared:
        digest = current.get(row.key)
        if digest is None:
            inserts[row.key] = row
            counts.inserted += 1
            statuses.append("inserted")
        elif digest == row.content_hash:
            counts.unchanged += 1
            statuses.append("unchanged")
        else:  # the same key twice in one batch: the later row wins, as on a re-import
            (inserts if row.key in inserts else updates)[row.key] = row
            counts.updated += 1
            statuses.append("updated")
        current[row.key] = row.content_hash
    now = utcnow()
    links = _links(conn, scope, [*inserts.values(), *updates.values()], sources)
    insert_rows(conn, table, [_params(scope, p, links, now) for p in inserts.values()])
    changed = []
    for key, row in updates.items():
        values = _params(scope, row, links, now)
        del values["created_at"]
        values["id"] = existing[key][0]
        changed.append(values)
    update_rows(conn, table, changed)
    if scope.target == "feedback" and (inserts or updates):
        _queue_text_analysis(conn, scope, [*inserts, *updates])
    if rejected:
        conn.execute(insert(ImportRejection), [_rejection(scope, r, now) for r in rejected])
    total = Counts()
    total.add(committed)
    total.add(counts)
    conn.execute(
        update(ImportRun)
        .where(ImportRun.id == scope.run_id)
        .values(
            read=total.read,
            inserted=total.inserted,
            updated=total.updated,
            unchanged=total.unchanged,
            rejected=total.rejected,
        )
    )
    ids = {key: row_id for key, (row_id, _) in existing.items()}
    if want_ids and inserts:
        ids.update({k: v[0] for k, v in _existing(conn, table, scope, list(inserts)).items()})
    return Written(counts, statuses, ids)


def _queue_text_analysis(conn: Connection, scope: Scope, keys: list[str]) -> None:
    """New or changed voices are analysed in the background, queued in the batch's transaction."""
    from kizuna.text.service import enqueue_analysis_of_keys

    with Session(bind=conn) as session:
        enqueue_analysis_of_keys(session, scope.workspace_id, scope.source, keys)
        session.flush()


def _links(
    conn: Connection, scope: Scope, rows: Sequence[Prepared], sources: Sequence[str]
) -> dict[str, int]:
    if scope.target == "customers" or not sources:
        return {}
    refs = list({ref for p in rows if (ref := p.values.get("customer_ref"))})
    return _customer_ids(conn, scope.workspace_id, sources, refs) if refs else {}


def _params(scope: Scope, row: Prepared, links: dict[str, int], now: dt.datetime) -> dict[str, Any]:
    values = {
        "workspace_id": scope.workspace_id,
        "source": scope.source,
        "external_id": row.key,
        "content_hash": row.content_hash,
        "created_at": now,
        **row.values,
    }
    if scope.target == "customers":
        values["updated_at"] = now
    else:
        ref = row.values.get("customer_ref")
        values["customer_id"] = links.get(ref) if ref else None
    return values


def _rejection(scope: Scope, row: Rejection, now: dt.datetime) -> dict[str, Any]:
    return {
        "workspace_id": scope.workspace_id,
        "run_id": scope.run_id,
        "line": row.line,
        "reason_code": row.why.code,
        # One column, both languages: whoever reads the table later may read either.
        "reason": f"{row.why.ja} / {row.why.en}",
        "raw": row.raw,
        "created_at": now,
    }
