"""Identity rows from customers' own columns: the first step of identity resolution.

Every usable e-mail, phone, LINE id and source key on a customer becomes an `identity`
row (kind, normalised value). Only missing rows are added, so re-running adds nothing.
Bulk paths, because this runs over every customer after each import:
- source keys are copied inside the database (`INSERT ... SELECT`, in index order), no row
  leaves it;
- e-mail / phone / LINE values are read through the driver cursor into Arrow columns,
  normalised (`kizuna.customers.identity`), and the rows already stored are taken away
  with an Arrow anti-join, so a re-run reads instead of attempting a write per row;
- what is left is written with driver-level executemany sorted by (kind, value), so the
  unique index is written in order; `ON CONFLICT DO NOTHING` stays as the guard against a
  concurrent run.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.bulk import driver_value, fetch_table, placeholders
from kizuna.customers.identity import (
    JUNK_TEXT,
    normalize_emails,
    normalize_line_ids,
    normalize_phones,
)
from kizuna.db.base import UTCDateTime, utcnow

__all__ = ["SyncResult", "sync_identities"]

_BATCH = 100_000
_KINDS = (("email", "email"), ("phone", "phone"), ("line_id", "line_id"))
_NORMALIZE = {"email": normalize_emails, "phone": normalize_phones, "line_id": normalize_line_ids}
_ROWS = pa.schema(
    [("customer_id", pa.int64()), ("kind", pa.large_string()), ("value", pa.large_string())]
)
_FOUND = _ROWS.append(pa.field("source", pa.large_string()))

SyncResult = tuple[int, int, dict[str, int]]


def sync_identities(session: Session, workspace: Workspace) -> SyncResult:
    """Add missing identity rows; return (customers, rows added, unusable values per kind)."""
    conn = session.connection()
    now = utcnow()
    added, customers = _sync_source_keys(conn, workspace.id, now)
    found, unusable = _normalised_rows(conn, workspace.id)
    missing = _not_stored(conn, workspace.id, found)
    added += _insert_missing(conn, workspace.id, missing, now)
    return customers, added, unusable


def _normalised_rows(conn: Connection, workspace_id: int) -> tuple[pa.Table, dict[str, int]]:
    """(customer_id, kind, value, source) for every usable identifier on the customers."""
    schema = pa.schema(
        [("customer_id", pa.int64()), ("source", pa.large_string())]
        + [(column, pa.large_string()) for column, _ in _KINDS]
    )
    customers = fetch_table(
        conn,
        "SELECT id, source, email, phone, line_id FROM customer WHERE workspace_id = {m} "
        "AND (email IS NOT NULL OR phone IS NOT NULL OR line_id IS NOT NULL)",
        [workspace_id],
        schema,
    )
    parts: list[pa.Table] = []
    unusable: dict[str, int] = {}
    for column, kind in _KINDS:
        raw = customers.column(column)
        given = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(raw)), 0), False)
        picked = customers.filter(given)
        series = pd.Series(pd.arrays.ArrowStringArray(picked.column(column)))
        normalised = _NORMALIZE[kind](series).astype("string[pyarrow]")
        values = pa.chunked_array([pa.array(normalised, type=pa.large_string())])
        unusable[kind] = values.null_count
        usable = pc.is_valid(values)
        # One column holds one value per customer, so (customer, kind, value) is unique here.
        parts.append(
            pa.table(
                {
                    "customer_id": picked.column("customer_id").filter(usable),
                    "kind": pa.array([kind] * (len(picked) - values.null_count), pa.large_string()),
                    "value": values.filter(usable),
                    "source": picked.column("source").filter(usable),
                },
                schema=_FOUND,
            )
        )
    return pa.concat_tables(parts), unusable


def _not_stored(conn: Connection, workspace_id: int, found: pa.Table) -> pa.Table:
    """The rows of `found` that the identity table does not hold yet (a re-run adds none)."""
    kinds = ", ".join(f"'{kind}'" for _, kind in _KINDS)
    stored = fetch_table(
        conn,
        "SELECT customer_id, kind, value_normalized FROM identity WHERE workspace_id = {m} "
        f"AND kind IN ({kinds})",
        [workspace_id],
        _ROWS,
    )
    if stored.num_rows == 0 or found.num_rows == 0:
        return found
    keys = ["customer_id", "kind", "value"]
    return found.join(stored, keys=keys, join_type="left anti", use_threads=False)


def _sync_source_keys(conn: Connection, workspace_id: int, now: object) -> tuple[int, int]:
    """`external:<source>` rows straight from customer.source / external_id, in SQL."""
    junk = ", ".join(f"'{value}'" for value in sorted(JUNK_TEXT) if "'" not in value)
    kind = "'external:' || lower(trim(c.source))"
    # ORDER BY: rows reach the unique index (workspace, kind, value, customer) in its order.
    result = conn.execute(
        text(
            "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
            f"created_at) SELECT c.workspace_id, c.id, {kind}, trim(c.external_id), c.source, "
            ":now FROM customer c WHERE c.workspace_id = :ws "
            f"AND lower(trim(c.external_id)) NOT IN ({junk}) "
            "AND NOT EXISTS (SELECT 1 FROM identity i WHERE i.workspace_id = c.workspace_id "
            f"AND i.kind = {kind} AND i.value_normalized = trim(c.external_id) "
            "AND i.customer_id = c.id) ORDER BY 3, 4, 2"
        ).bindparams(bindparam("now", type_=UTCDateTime()), ws=workspace_id),
        {"now": now},
    )
    customers = conn.execute(
        text("SELECT count(*) FROM customer WHERE workspace_id = :ws"), {"ws": workspace_id}
    ).scalar_one()
    return max(result.rowcount, 0), int(customers)


def _insert_missing(conn: Connection, workspace_id: int, found: pa.Table, now: object) -> int:
    """Driver-level executemany in (kind, value) order; the unique index skips stored rows."""
    if found.num_rows == 0:
        return 0
    order = pc.sort_indices(found, [("kind", "ascending"), ("value", "ascending")])
    found = found.take(order)
    stamp = driver_value(conn, UTCDateTime(), now)
    statement = (
        "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
        f"created_at) VALUES ({placeholders(conn, 6)}) ON CONFLICT DO NOTHING"
    )
    added = 0
    for batch in found.to_batches(_BATCH):
        records = list(
            zip(
                itertools.repeat(workspace_id),
                batch.column("customer_id").to_pylist(),
                batch.column("kind").to_pylist(),
                batch.column("value").to_pylist(),
                batch.column("source").to_pylist(),
                itertools.repeat(stamp),
            )
        )
        result = conn.exec_driver_sql(statement, records)
        added += max(result.rowcount, 0)
    return added
