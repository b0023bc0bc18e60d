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

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.accounts.service import record_audit
from kizuna.analytics.unionfind import group_roots
from kizuna.customers.bulk import (
    column_frame,
    driver_value,
    placeholders,
    sqlite_bulk_cache,
    table_of,
)
from kizuna.customers.merges import held_apart_roots
from kizuna.customers.models import Customer, Identity
from kizuna.customers.sync import sync_identities
from kizuna.db.base import UTCDateTime, utcnow

__all__ = ["ResolveReport", "SharedValue", "resolve_identities"]

# When several identifiers explain one merge, the most specific one is recorded.
KIND_PRIORITY = {"email": 1, "line_id": 2, "phone": 3}
_BATCH = 50_000


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
    roots_now: dict[int, int] = {
        int(cid): int(root or cid)
        for cid, root in conn.execute(
            select(Customer.id, Customer.merged_into_id).where(
                Customer.workspace_id == workspace.id, Customer.merged_into_id.is_not(None)
            )
        ).all()
    }
    held = held_apart_roots(session, workspace)
    report.held_apart = len(held)
    root_of = pd.Series(roots_now, dtype="int64")
    shared["old_root"] = (
        shared["customer_id"].map(root_of).fillna(shared["customer_id"]).astype(np.int64)
    )
    shared = shared[~shared["old_root"].isin(held)]
    # Each value joins its records; existing groups stay joined (old root <-> member).
    first = shared.groupby(["kind", "value"])["customer_id"].transform("min")
    members = np.fromiter(roots_now.keys(), dtype=np.int64, count=len(roots_now))
    member_roots = np.fromiter(roots_now.values(), dtype=np.int64, count=len(roots_now))
    nodes, roots = group_roots(
        np.concatenate([first.to_numpy(np.int64), members]),
        np.concatenate([shared["customer_id"].to_numpy(np.int64), member_roots]),
    )
    new_root = pd.Series(roots, index=nodes)
    shared["new_root"] = shared["old_root"].map(new_root)
    absorbed = shared.loc[shared["old_root"] != shared["new_root"], ["old_root", "new_root"]]
    absorbed = absorbed.drop_duplicates("old_root")
    report.seconds["match"] = time.perf_counter() - started - report.seconds["identities"]
    if len(absorbed):
        reasons = _merge_reasons(shared, set(absorbed["old_root"].tolist()))
        sizes = Counter(roots_now.values())
        merges = absorbed.merge(reasons, on="old_root")
        _apply_merges(conn, workspace.id, merges, set(sizes), report)
        report.records_merged = sum(1 + sizes[int(old)] for old in absorbed["old_root"])
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
) -> tuple[pd.DataFrame, list[SharedValue]]:
    """Identity rows whose value 2..limit customers hold (grouped in the database)."""
    i = table_of(Identity).c
    counted = (
        select(i.kind, i.value_normalized, func.count().label("n"))
        .where(i.workspace_id == workspace_id)
        .group_by(i.kind, i.value_normalized)
        .having(func.count() > 1)
        .subquery()
    )
    too_common = conn.execute(
        select(counted.c.kind, counted.c.value_normalized, counted.c.n)
        .where(counted.c.n > shared_limit)
        .order_by(counted.c.n.desc(), counted.c.kind, counted.c.value_normalized)
    ).all()
    rows = conn.execute(
        select(i.customer_id, i.kind, i.value_normalized)
        .join(
            counted,
            (counted.c.kind == i.kind) & (counted.c.value_normalized == i.value_normalized),
        )
        .where(i.workspace_id == workspace_id, counted.c.n <= shared_limit)
    ).all()
    frame = column_frame(rows, ["customer_id", "kind", "value"])
    frame["customer_id"] = frame["customer_id"].astype(np.int64)
    return frame, [SharedValue(k, v, int(n)) for k, v, n in too_common]


def _merge_reasons(shared: pd.DataFrame, absorbed_roots: set[int]) -> pd.DataFrame:
    """For each absorbed old group: the identifier it shares with another group, and with whom."""
    spread = shared.groupby(["kind", "value"])["old_root"].transform("nunique")
    linking = shared[spread > 1].copy()
    # The smallest record holding the value, and the smallest one outside that record's group.
    by_id = linking.sort_values("customer_id")
    first = by_id.groupby(["kind", "value"]).first()[["customer_id", "old_root"]]
    first.columns = ["m1", "r1"]
    linking = linking.join(first, on=["kind", "value"])
    other = linking[linking["old_root"] != linking["r1"]]
    second = other.groupby(["kind", "value"])["customer_id"].min().rename("m2")
    linking = linking.join(second, on=["kind", "value"])
    linking["matched_id"] = linking["m1"].where(linking["old_root"] != linking["r1"], linking["m2"])
    linking = linking[linking["old_root"].isin(absorbed_roots)]
    linking["priority"] = linking["kind"].map(KIND_PRIORITY).fillna(0)
    linking = linking.sort_values(["old_root", "priority", "kind", "value"])
    return linking.drop_duplicates("old_root")[["old_root", "kind", "value", "matched_id"]]


def _apply_merges(
    conn: Connection,
    workspace_id: int,
    merges: pd.DataFrame,
    has_members: set[int],
    report: ResolveReport,
) -> None:
    """Re-point absorbed groups at their survivor and journal each merge (driver executemany)."""
    old = merges["old_root"].astype("int64").tolist()
    new = merges["new_root"].astype("int64").tolist()
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
            merges["matched_id"].astype("int64").tolist(),
            merges["kind"].astype(str).tolist(),
            merges["value"].astype(str).tolist(),
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
