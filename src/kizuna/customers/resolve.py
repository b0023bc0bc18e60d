"""Identity resolution: one person, many records — found, merged, explained, reversible.

`resolve_identities` (1) writes an `identity` row for every usable e-mail, phone, LINE id
and source key on the workspace's customers, (2) groups customers that share any
normalised identifier (across sources) with an array union-find, and (3) marks absorbed
customers with `merged_into_id` -> the group's survivor (lowest id, i.e. the oldest
record), journaling each merge in `customer_merge`. Other rooms' rows are never rewritten:
they read `coalesce(merged_into_id, id)` or call `canonical_customer_ids` / `customer_group`.
The undo side (`unmerge_customer`) lives in `kizuna.customers.merges`.

Values held by more than `shared_limit` records (a company switchboard, a shop's own
address) are not matched on and are reported. Customers someone unmerged by hand are held
apart from automatic matching, so a later run does not undo the person's decision.
Re-running is idempotent: no duplicate identity rows, no new merges.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.accounts.service import record_audit
from kizuna.analytics.unionfind import IntArray, group_roots
from kizuna.customers.bulk import driver_value, fetch_table, placeholders, sqlite_bulk_cache
from kizuna.customers.merges import held_apart_roots
from kizuna.customers.models import Customer
from kizuna.customers.sync import sync_identities
from kizuna.db.base import UTCDateTime, utcnow

__all__ = ["ResolveReport", "SharedValue", "resolve_identities"]

# When several identifiers explain one merge, the most specific one is recorded.
KIND_PRIORITY = {"email": 1, "line_id": 2, "phone": 3}
_BATCH = 50_000
_SHARED = pa.schema(
    [("customer_id", pa.int64()), ("kind", pa.large_string()), ("value", pa.large_string())]
)


@dataclass(frozen=True)
class SharedValue:
    """An identifier too common to mean one person (skipped), e.g. a switchboard number."""

    kind: str
    value: str
    customers: int


@dataclass
class ResolveReport:
    """What one resolve run did; `merged_by_kind` explains why records were merged."""

    customers: int = 0
    identities_added: int = 0
    unusable: dict[str, int] = field(default_factory=dict)
    merges: int = 0
    records_merged: int = 0
    merged_by_kind: dict[str, int] = field(default_factory=dict)
    groups: int = 0
    skipped_shared: list[SharedValue] = field(default_factory=list)
    held_apart: int = 0
    # Wall seconds per step (identities, match, merge), for benchmarks and logs.
    seconds: dict[str, float] = field(default_factory=dict)


def resolve_identities(
    session: Session, workspace: Workspace, shared_limit: int = 20, actor: str = "system"
) -> ResolveReport:
    """Sync identities, then merge customers sharing any identifier; see the module doc."""
    with sqlite_bulk_cache(session.connection()):
        return _resolve(session, workspace, shared_limit, actor)


def _resolve(
    session: Session, workspace: Workspace, shared_limit: int, actor: str
) -> ResolveReport:
    report = ResolveReport()
    started = time.perf_counter()
    report.customers, report.identities_added, report.unusable = sync_identities(session, workspace)
    report.seconds["identities"] = time.perf_counter() - started
    conn = session.connection()
    shared, report.skipped_shared = _shared_rows(conn, workspace.id, shared_limit)
    merged = conn.execute(
        select(Customer.id, Customer.merged_into_id)
        .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_not(None))
        .order_by(Customer.id)
    ).all()
    members = np.fromiter((int(m) for m, _ in merged), dtype=np.int64, count=len(merged))
    member_roots = np.fromiter((int(r or 0) for _, r in merged), dtype=np.int64, count=len(merged))
    held = held_apart_roots(session, workspace)
    report.held_apart = len(held)
    rows = _Rows.of(shared, members, member_roots, held)
    # Each value joins its records; existing groups stay joined (old root <-> member).
    nodes, roots = group_roots(
        np.concatenate([rows.first, members]), np.concatenate([rows.cid, member_roots])
    )
    new_root = roots[np.searchsorted(nodes, rows.old_root)]
    moved = rows.old_root != new_root
    absorbed, at = np.unique(rows.old_root[moved], return_index=True)
    report.seconds["match"] = time.perf_counter() - started - report.seconds["identities"]
    if absorbed.size:
        merges = _merge_reasons(rows, absorbed, new_root[moved][at])
        sizes = Counter(member_roots.tolist())
        _apply_merges(conn, workspace.id, merges, set(sizes), report)
        report.records_merged = sum(1 + sizes[old] for old in absorbed.tolist())
    report.seconds["merge"] = time.perf_counter() - started - sum(report.seconds.values())
    report.groups = int(
        conn.execute(
            select(func.count(func.distinct(Customer.merged_into_id))).where(
                Customer.workspace_id == workspace.id
            )
        ).scalar_one()
    )
    record_audit(
        session,
        workspace,
        actor,
        "customers.resolve",
        merges=report.merges,
        records_merged=report.records_merged,
        merged_by_kind=report.merged_by_kind,
        identities_added=report.identities_added,
    )
    return report


def _shared_rows(
    conn: Connection, workspace_id: int, shared_limit: int
) -> tuple[pa.Table, list[SharedValue]]:
    """Identity rows whose value 2..limit customers hold, sorted by (kind, value, customer)."""
    counted = (
        "SELECT kind, value_normalized, count(*) AS n FROM identity WHERE workspace_id = {m} "
        "GROUP BY kind, value_normalized HAVING count(*) > 1"
    )
    too_common = fetch_table(
        conn,
        f"SELECT kind, value_normalized, n FROM ({counted}) counted WHERE n > {{m}}",
        [workspace_id, shared_limit],
        pa.schema([("kind", pa.string()), ("value", pa.string()), ("n", pa.int64())]),
    ).to_pylist()
    too_common.sort(key=lambda r: (-r["n"], r["kind"], r["value"]))
    rows = fetch_table(
        conn,
        "SELECT i.customer_id, i.kind, i.value_normalized FROM identity i "
        f"JOIN ({counted}) counted ON counted.kind = i.kind "
        "AND counted.value_normalized = i.value_normalized "
        "WHERE i.workspace_id = {m} AND counted.n <= {m}",
        [workspace_id, workspace_id, shared_limit],
        _SHARED,
    )
    # Sorted here, not in SQL: Arrow compares code points, as Python does, on every engine.
    order = pc.sort_indices(
        rows, [("kind", "ascending"), ("value", "ascending"), ("customer_id", "ascending")]
    )
    skipped = [SharedValue(r["kind"], r["value"], int(r["n"])) for r in too_common]
    return rows.take(order).combine_chunks(), skipped


@dataclass(frozen=True)
class _Rows:
    """Shared identity rows as integer arrays, sorted by (kind, value, customer id).

    `group` numbers the (kind, value) pairs in their sort order, so ordering by `group`
    is ordering by (kind, value); `first` is the smallest customer holding the row's value.
    """

    table: pa.Table
    cid: IntArray
    group: IntArray
    old_root: IntArray
    first: IntArray

    @classmethod
    def of(cls, shared: pa.Table, members: IntArray, roots: IntArray, held: set[int]) -> _Rows:
        cid = shared.column("customer_id").to_numpy()
        kind, value = shared.column("kind"), shared.column("value")
        change = np.ones(len(cid), dtype=bool)
        if len(cid) > 1:
            differs = pc.or_(pc.not_equal(kind[1:], kind[:-1]), pc.not_equal(value[1:], value[:-1]))
            change[1:] = differs.to_numpy(zero_copy_only=False)
        old_root = cid.copy()
        if members.size:
            at = np.minimum(np.searchsorted(members, cid), members.size - 1)
            hit = members[at] == cid
            old_root[hit] = roots[at[hit]]
        keep = ~np.isin(old_root, np.fromiter(held, dtype=np.int64, count=len(held)))
        # Values are numbered before held rows go, so a group never runs into its neighbour.
        numbered = np.cumsum(change)[keep]
        cid, old_root = cid[keep], old_root[keep]
        starts = np.ones(len(cid), dtype=bool)
        starts[1:] = numbered[1:] != numbered[:-1]
        group = np.cumsum(starts) - 1
        first = cid[starts][group]
        table = shared.filter(pa.array(keep))
        return cls(table, cid, group, old_root, first)


def _merge_reasons(rows: _Rows, absorbed: IntArray, survivors: IntArray) -> dict[str, Any]:
    """For each absorbed old group: the identifier it shares with another group, and with whom.

    Among the values an absorbed group shares with another group, the most specific kind
    (KIND_PRIORITY) wins, then the smallest (kind, value); the matched customer is the
    smallest holder of that value outside the absorbed group.
    """
    group, old_root, cid = rows.group, rows.old_root, rows.cid
    n_groups = int(group[-1]) + 1
    # How many different old groups hold each value: only those link groups.
    pairs = np.lexsort((old_root, group))
    new_pair = np.ones(len(pairs), dtype=bool)
    new_pair[1:] = (group[pairs][1:] != group[pairs][:-1]) | (
        old_root[pairs][1:] != old_root[pairs][:-1]
    )
    spread = np.bincount(group[pairs][new_pair], minlength=n_groups)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    m1, r1 = cid[starts], old_root[starts]
    outside = old_root != r1[group]
    m2 = np.zeros(n_groups, dtype=np.int64)
    firsts, at = np.unique(group[outside], return_index=True)
    m2[firsts] = cid[outside][at]
    matched = np.where(outside, m1[group], m2[group])
    linking = (spread[group] > 1) & np.isin(old_root, absorbed)
    kinds = rows.table.column("kind").combine_chunks().dictionary_encode()
    priority = np.array([KIND_PRIORITY.get(k, 0) for k in kinds.dictionary.to_pylist()])
    row_priority = priority[kinds.indices.to_numpy(zero_copy_only=False)]
    candidates = np.flatnonzero(linking)
    order = candidates[
        np.lexsort((group[candidates], row_priority[candidates], old_root[candidates]))
    ]
    best_roots, at = np.unique(old_root[order], return_index=True)
    best = order[at]
    take = np.searchsorted(best_roots, absorbed)
    chosen = best[take]
    picked = rows.table.take(pa.array(chosen))
    return {
        "old": absorbed,
        "new": survivors,
        "matched": matched[chosen],
        "kind": picked.column("kind").to_pylist(),
        "value": picked.column("value").to_pylist(),
    }


def _apply_merges(
    conn: Connection,
    workspace_id: int,
    merges: dict[str, Any],
    has_members: set[int],
    report: ResolveReport,
) -> None:
    """Re-point absorbed groups at their survivor and journal each merge (driver executemany).

    The merges come sorted by absorbed id, so the updates walk the customer table in order.
    """
    old = merges["old"].tolist()
    new = merges["new"].tolist()
    # updated_at is set to itself: a merge is not an edit of the customer's own data. Two
    # statements, each on its own index (an OR of both makes SQLite scan once per merge).
    mark = placeholders(conn, 1)
    repoint = "UPDATE customer SET merged_into_id = {m}, updated_at = updated_at "
    repoint += "WHERE workspace_id = {m} AND {column} = {m}"
    by_id = [(n, workspace_id, o) for o, n in zip(old, new, strict=True)]
    by_root = [row for row in by_id if row[2] in has_members]
    for column, rows in (("id", by_id), ("merged_into_id", by_root)):
        statement = repoint.format(m=mark, column=column)
        for start in range(0, len(rows), _BATCH):
            conn.exec_driver_sql(statement, rows[start : start + _BATCH])
    stamp = driver_value(conn, UTCDateTime(), utcnow())
    journal = list(
        zip(
            itertools.repeat(workspace_id),
            old,
            new,
            merges["matched"].tolist(),
            merges["kind"],
            merges["value"],
            itertools.repeat(stamp),
        )
    )
    statement = (
        "INSERT INTO customer_merge (workspace_id, absorbed_id, survivor_id, matched_id, kind, "
        f"value_normalized, merged_at) VALUES ({placeholders(conn, 7)})"
    )
    for start in range(0, len(journal), _BATCH):
        conn.exec_driver_sql(statement, journal[start : start + _BATCH])
    report.merges = len(journal)
    report.merged_by_kind = dict(sorted(Counter(_kind_label(k) for k in merges["kind"]).items()))


def _kind_label(kind: str) -> str:
    return "external" if kind.startswith("external:") else kind
