"""One batch of prepared rows into the database, in the caller's transaction.

Core statements only (no ORM objects per row): one SELECT of the batch's existing keys,
one SELECT resolving customer references, then `executemany` INSERT and UPDATE of plain
tuples zipped from the block's columns, the rejections, and the run's counters. The rows
that changed are announced with the target's "recorded" event (voices, interactions,
customers) in the same transaction, which is how text analysis and every other subscriber
hear of them. The caller commits the whole batch or nothing, so an interrupted import never
leaves half a batch and never an event without its rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from kizuna.customers.events import CustomersRecorded, InteractionsRecorded
from kizuna.customers.models import Customer, Interaction
from kizuna.db.base import utcnow
from kizuna.feedback.events import VoicesRecorded
from kizuna.feedback.models import Feedback
from kizuna.ingest.block import Block, Rejection, Values
from kizuna.ingest.bulk import Column, Same, insert_columns, reserve_ids, update_columns
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.ingest.vocabulary import Target
from kizuna.jobs.events import Event, raise_event

__all__ = ["Counts", "Rejection", "Scope", "Written", "customer_sources", "write_batch"]

TABLES: dict[str, Table] = {
    "customers": Customer.__table__,  # type: ignore[dict-item]
    "interactions": Interaction.__table__,  # type: ignore[dict-item]
    "feedback": Feedback.__table__,  # type: ignore[dict-item]
}
_CHUNK = 1000  # keys per IN list: far below SQLite's and PostgreSQL's parameter limits
# Statements built once and given their values as parameters (compiled once, from the cache).
_RUNS = cast(Table, ImportRun.__table__)
_UPDATE_RUN = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("run_id"))
    .values(
        {
            name: bindparam(name)
            for name in ("read", "inserted", "updated", "unchanged", "rejected", "heartbeat_at")
        }
    )
)
_SOURCES = (
    select(TABLES["customers"].c.source)
    .where(TABLES["customers"].c.workspace_id == bindparam("workspace_id"))
    .distinct()
)


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
    """Where a batch goes; `run_id` is None for a record written alone (no import run)."""

    target: Target
    workspace_id: int
    source: str
    run_id: int | None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# PostgreSQL's key lookup: parameters are the keys (a JSON array), workspace id and source.
_PG_EXISTING = (
    "SELECT f.external_id, f.id, f.content_hash FROM json_array_elements_text(%s::json) "
    "AS k(key) CROSS JOIN LATERAL (SELECT t.external_id, t.id, t.content_hash "
    'FROM "{table}" t WHERE t.workspace_id = %s AND t.source = %s '
    "AND t.external_id = k.key OFFSET 0) f"
)


def _existing(conn: Connection, table: Table, scope: Scope, keys: Sequence[str]) -> dict[str, Any]:
    """key -> (id, content hash) of the batch's keys already stored."""
    if not keys:
        return {}
    if conn.dialect.name == "sqlite":
        # The whole batch as one JSON parameter: no statement of thousands of "?" to build.
        sql = (
            f'SELECT external_id, id, content_hash FROM "{table.name}" WHERE workspace_id = ? '
            "AND source = ? AND external_id IN (SELECT value FROM json_each(?))"
        )
        params = (scope.workspace_id, scope.source, json.dumps(list(keys)))
        # The driver's own cursor: plain tuples, no result rows built for each key.
        rows = conn.connection.driver_connection.execute(sql, params).fetchall()  # type: ignore[union-attr]
        return {key: (row_id, digest) for key, row_id, digest in rows}
    # PostgreSQL: the whole batch as one JSON array, each key probed in the unique index by a
    # LATERAL subquery. Other forms are planned from the table's statistics and degrade: a
    # list of thousands of IN parameters (72 ms with a custom plan, 32 s with the generic plan
    # that prepared statements switch to after five runs); `= ANY(array)` (a scan of the
    # workspace's rows); and a plain join to the keys, which on a table not yet analysed (a
    # first import into a new database) is estimated at one row per workspace and hashed
    # whole: 157 ms for 5,000 keys at 100,000 rows and 2 s at 1 M, a 1 M-row first import
    # taking 217 s instead of about 35. A lateral probe (OFFSET 0 keeps the planner from
    # turning it back into that join) has no other plan: 17 ms at 100,000 rows. Planned
    # afresh each time (prepare=False), so no plan made on an empty table stays.
    # JSON, not a text[] parameter: psycopg dumps arrays element by element in Python (4 ms
    # for 5,000 keys; JSON 1.3 ms).
    sql = _PG_EXISTING.format(table=table.name)
    driver: Any = conn.connection.driver_connection
    found = driver.execute(
        sql, (json.dumps(list(keys)), scope.workspace_id, scope.source), prepare=False
    )
    return {key: (row_id, digest) for key, row_id, digest in found.fetchall()}


def _customer_ids(
    conn: Connection, workspace_id: int, sources: Sequence[str], refs: Sequence[str]
) -> dict[str, int]:
    """customer_ref -> customer id, matching a customer's external_id from any source."""
    table = TABLES["customers"]
    found: dict[str, int] = {}
    if conn.dialect.name == "postgresql":  # probed key by key (see `_existing`)
        sql = (
            "SELECT c.external_id, c.id FROM json_array_elements_text(%s::json) AS k(key) "
            "CROSS JOIN LATERAL (SELECT t.external_id, t.id "
            f'FROM "{table.name}" t WHERE t.workspace_id = %s AND t.source = ANY(%s) '
            "AND t.external_id = k.key OFFSET 0) c ORDER BY c.id DESC"
        )
        cursor = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            sql, (json.dumps(list(refs)), workspace_id, list(sources)), prepare=False
        )
        return {ref: row_id for ref, row_id in cursor.fetchall()}
    if conn.dialect.name == "sqlite":
        # As `_existing`: the refs as one JSON parameter and plain tuples from the driver (a
        # statement of hundreds of bound refs cost more than the lookup), one source at a
        # time so the (workspace, source, external_id) index answers.
        sql = (
            f'SELECT external_id, id FROM "{table.name}" WHERE workspace_id = ? '
            "AND source = ? AND external_id IN (SELECT value FROM json_each(?))"
        )
        driver: Any = conn.connection.driver_connection
        wanted = json.dumps(list(refs))
        for source in sources:
            for ref, row_id in driver.execute(sql, (workspace_id, source, wanted)).fetchall():
                if row_id < found.get(ref, row_id + 1):  # the oldest customer wins
                    found[ref] = row_id
        return found
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
    return list(conn.scalars(_SOURCES, {"workspace_id": workspace_id}))


def write_batch(
    conn: Connection,
    scope: Scope,
    block: Block,
    rejected: Sequence[Rejection],
    committed: Counts,
    *,
    sources: Sequence[str] = (),
    want_ids: bool = False,
) -> Written:
    """Write one batch; `committed` are the run's counts before it (for the run's row)."""
    table = TABLES[scope.target]
    existing = _existing(conn, table, scope, list(dict.fromkeys(block.keys)))
    counts = Counts(read=len(block) + len(rejected), rejected=len(rejected))
    inserts, updates, statuses = _sort(block, existing, counts)
    now = utcnow()
    links = _links(conn, scope, block, [*inserts.values(), *updates.values()], sources)
    new_ids = reserve_ids(conn, table, len(inserts))  # PostgreSQL; None on SQLite
    returned = None  # SQLite: (key, id) of each inserted row, from the INSERT itself
    if inserts:  # a batch whose rows were all rejected has no columns at all
        names, columns = _columns(scope, block, list(inserts.values()), links, now)
        if new_ids is not None:
            names.insert(0, "id")
            columns.insert(0, new_ids)
        wanted = ("external_id", "id") if new_ids is None else ()
        returned = insert_columns(conn, table, names, columns, len(inserts), returning=wanted)
    if updates:
        names, columns = _columns(scope, block, list(updates.values()), links, now)
        at = names.index("created_at")  # an update keeps the row's first creation time
        names[at], columns[at] = "id", [existing[key][0] for key in updates]
        update_columns(conn, table, names, columns, len(updates))
    if rejected:
        conn.execute(insert(ImportRejection), [_rejection(scope, r, now) for r in rejected])
    if scope.run_id is not None:
        total = Counts()
        total.add(committed)
        total.add(counts)
        conn.execute(
            _UPDATE_RUN,
            {
                "run_id": scope.run_id,
                "read": total.read,
                "inserted": total.inserted,
                "updated": total.updated,
                "unchanged": total.unchanged,
                "rejected": total.rejected,
                "heartbeat_at": now,
            },
        )
    ids = {key: row_id for key, (row_id, _) in existing.items()}
    if new_ids is not None:
        ids.update(zip(inserts, new_ids, strict=True))
    elif returned is not None:
        ids.update(returned)
    elif inserts:  # neither SQLite nor PostgreSQL: looked up again
        ids.update({k: v[0] for k, v in _existing(conn, table, scope, list(inserts)).items()})
    if inserts or updates:
        _raise_recorded(conn, scope, [ids[key] for key in (*inserts, *updates)])
    return Written(counts, statuses, ids if want_ids else {})


def _sort(
    block: Block, existing: dict[str, Any], counts: Counts
) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Each row's status; the rows to insert and to update (key -> row in the block)."""
    n = len(block)
    if not existing and len(set(block.keys)) == n:  # a first import: every row is new
        counts.inserted = n
        return dict(zip(block.keys, range(n), strict=True)), {}, ["inserted"] * n
    current = {key: digest for key, (_, digest) in existing.items()}
    inserts: dict[str, int] = {}
    updates: dict[str, int] = {}
    statuses: list[str] = []
    for row, (key, digest) in enumerate(zip(block.keys, block.hashes, strict=True)):
        known = current.get(key)
        if known is None:
            inserts[key] = row
            statuses.append("inserted")
        elif known == digest:
            statuses.append("unchanged")
        else:  # the same key twice in one batch: the later row wins, as on a re-import
            (inserts if key in inserts else updates)[key] = row
            statuses.append("updated")
        current[key] = digest
    counts.inserted = len([s for s in statuses if s == "inserted"])
    counts.updated = len([s for s in statuses if s == "updated"])
    counts.unchanged = n - counts.inserted - counts.updated
    return inserts, updates, statuses


def _columns(
    scope: Scope, block: Block, rows: list[int], links: dict[str, int], now: dt.datetime
) -> tuple[list[str], list[Column]]:
    """The table's columns for some rows of the block (all of them: no copies)."""
    whole = rows == list(range(len(block)))

    def pick(values: Values) -> Values:
        return values if whole else [values[i] for i in rows]

    names = ["workspace_id", "source", "external_id", "content_hash", "created_at"]
    columns: list[Column] = [
        Same(scope.workspace_id),
        Same(scope.source),
        pick(block.keys),
        pick(block.hashes),
        Same(now),
    ]
    for name, values in block.columns.items():
        names.append(name)
        columns.append(pick(values))
    if scope.target == "customers":
        names.append("updated_at")
        columns.append(Same(now))
    else:
        names.append("customer_id")
        refs = pick(block.columns["customer_ref"])
        columns.append([links.get(r) if r else None for r in refs] if links else Same(None))
    return names, columns


def _raise_recorded(conn: Connection, scope: Scope, ids: list[int]) -> None:
    """The batch's "recorded" event, in its transaction: subscribers (text analysis, rules,
    survey triggers) react to imported rows exactly as to rows written one at a time."""
    event: Event
    if scope.target == "feedback":
        event = VoicesRecorded(workspace_id=scope.workspace_id, feedback_ids=ids)
    elif scope.target == "interactions":
        event = InteractionsRecorded(workspace_id=scope.workspace_id, interaction_ids=ids)
    else:
        event = CustomersRecorded(workspace_id=scope.workspace_id, customer_ids=ids)
    raise_event(conn, event)


def _links(
    conn: Connection, scope: Scope, block: Block, rows: list[int], sources: Sequence[str]
) -> dict[str, int]:
    if scope.target == "customers" or not sources or not rows:
        return {}
    column = block.columns["customer_ref"]
    refs = list({ref for i in rows if (ref := column[i])})
    return _customer_ids(conn, scope.workspace_id, sources, refs) if refs else {}


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
