"""Identity rows from customers' own columns: the first step of identity resolution.

Every usable e-mail, phone, LINE id and source key on a customer becomes an `identity`
row (kind, normalised value). Only missing rows are added, so re-running adds nothing.
Bulk paths, because this runs over every customer after each import:
- source keys are copied inside the database (`INSERT ... SELECT`), no row leaves it;
- e-mail / phone / LINE values are normalised in pandas (`kizuna.customers.identity`) and
  written with driver-level executemany sorted by value (the unique index is written in
  order); rows already there are skipped by `ON CONFLICT DO NOTHING` on that index.
"""

from __future__ import annotations

import itertools

import pandas as pd
from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.bulk import column_frame, driver_value, placeholders, table_of
from kizuna.customers.identity import (
    JUNK_TEXT,
    normalize_emails,
    normalize_line_ids,
    normalize_phones,
)
from kizuna.customers.models import Customer
from kizuna.db.base import UTCDateTime, utcnow

__all__ = ["SyncResult", "sync_identities"]

_BATCH = 100_000

SyncResult = tuple[int, int, dict[str, int]]


def sync_identities(session: Session, workspace: Workspace) -> SyncResult:
    """Add missing identity rows; return (customers, rows added, unusable values per kind)."""
    conn = session.connection()
    now = utcnow()
    added, customers = _sync_source_keys(conn, workspace.id, now)
    c = table_of(Customer).c
    rows = conn.execute(
        select(c.id, c.source, c.email, c.phone, c.line_id).where(
            c.workspace_id == workspace.id,
            c.email.is_not(None) | c.phone.is_not(None) | c.line_id.is_not(None),
        )
    ).all()
    frame = column_frame(rows, ["id", "source", "email", "phone", "line"])
    parts: list[pd.DataFrame] = []
    unusable: dict[str, int] = {}
    for column, kind, normalize in (
        ("email", "email", normalize_emails),
        ("phone", "phone", normalize_phones),
        ("line", "line_id", normalize_line_ids),
    ):
        raw = frame[column].astype("string[pyarrow]")
        given = (raw.str.strip().str.len() > 0).fillna(False).astype(bool)
        values = normalize(raw[given])
        unusable[kind] = int(values.isna().sum())
        part = frame.loc[given, ["id", "source"]].assign(kind=kind, value=values)
        parts.append(part[part["value"].notna()])
    found = pd.concat(parts, ignore_index=True).drop_duplicates(["id", "kind", "value"])
    added += _insert_missing(conn, workspace.id, found, now)
    return customers, added, unusable


def _sync_source_keys(conn: Connection, workspace_id: int, now: object) -> tuple[int, int]:
    """`external:<source>` rows straight from customer.source / external_id, in SQL."""
    junk = ", ".join(f"'{value}'" for value in sorted(JUNK_TEXT) if "'" not in value)
    kind = "'external:' || lower(trim(c.source))"
    result = conn.execute(
        text(
            "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
            f"created_at) SELECT c.workspace_id, c.id, {kind}, trim(c.external_id), c.source, "
            ":now FROM customer c WHERE c.workspace_id = :ws "
            f"AND lower(trim(c.external_id)) NOT IN ({junk}) "
            "AND NOT EXISTS (SELECT 1 FROM identity i WHERE i.workspace_id = c.workspace_id "
            f"AND i.kind = {kind} AND i.value_normalized = trim(c.external_id) "
            "AND i.customer_id = c.id)"
        ).bindparams(bindparam("now", type_=UTCDateTime()), ws=workspace_id),
        {"now": now},
    )
    customers = conn.execute(
        text("SELECT count(*) FROM customer WHERE workspace_id = :ws"), {"ws": workspace_id}
    ).scalar_one()
    return max(result.rowcount, 0), int(customers)


def _insert_missing(conn: Connection, workspace_id: int, found: pd.DataFrame, now: object) -> int:
    """One driver-level executemany; rows already there are skipped by the unique index."""
    if found.empty:
        return 0
    found = found.sort_values(["kind", "value"])  # write the unique index in order
    stamp = driver_value(conn, UTCDateTime(), now)
    records = list(
        zip(
            itertools.repeat(workspace_id),
            found["id"].astype("int64").tolist(),
            found["kind"].astype(str).tolist(),
            found["value"].astype(str).tolist(),
            found["source"].astype(str).tolist(),
            itertools.repeat(stamp),
        )
    )
    statement = (
        "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
        f"created_at) VALUES ({placeholders(conn, 6)}) ON CONFLICT DO NOTHING"
    )
    added = 0
    for start in range(0, len(records), _BATCH):
        result = conn.exec_driver_sql(statement, records[start : start + _BATCH])
        added += max(result.rowcount, 0)
    return added
