"""Identity rows from customers' own columns: the first step of identity resolution.

Every usable e-mail, phone and LINE id on a customer becomes an `identity` row (kind,
normalised value). A customer's own source key (`external:<source>`, external id) is
stored only when it can match something: another customer's key normalises to the same
value (source "CRM" and "crm"), or an identity row of another customer names it (a shop
record that carries a CRM id). A key no one else holds cannot merge anything, and the
customer row already shows it (about a third of all rows at a million customers).
Only missing rows are added, so re-running adds nothing; rows are never removed here.

Bulk paths, because this runs over every customer after each import:
- source keys are found and copied inside the database (`INSERT ... SELECT`); no row
  leaves it;
- e-mail / phone / LINE values are read through the driver cursor into Arrow columns and
  digested; only customers whose digest differs from the one stored by the last run
  (`identity_digest`) are normalised (`kizuna.customers.identity`) and written, so a
  re-run after a small import reads but does not redo the work;
- new rows go through a temporary table into `identity` with one `INSERT ... SELECT ...
  ON CONFLICT DO NOTHING` (the unique index skips stored rows), sorted by (kind, value) so
  the unique index is written in order; on SQLite this takes about a fifth less time than
  an executemany straight into the indexed table, on PostgreSQL the stage is filled by COPY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, bindparam, delete, func, insert, select, text
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.bulk import driver_value, fetch_table, placeholders, stage_rows, table_of
from kizuna.customers.identity import (
    JUNK_TEXT,
    RULES_VERSION,
    normalize_emails,
    normalize_line_ids,
    normalize_phones,
)
from kizuna.customers.models import Customer, Identity, IdentityDigest
from kizuna.db.base import UTCDateTime, utcnow

__all__ = ["IdentitySync", "SyncResult", "sync_identities", "sync_identity_rows"]

_BATCH = 100_000
_KINDS = (("email", "email"), ("phone", "phone"), ("line_id", "line_id"))
_NORMALIZE = {"email": normalize_emails, "phone": normalize_phones, "line_id": normalize_line_ids}
_FOUND = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("kind", pa.large_string()),
        ("value", pa.large_string()),
        ("source", pa.large_string()),
    ]
)
_READ = pa.schema(
    [("customer_id", pa.int64()), ("source", pa.large_string())]
    + [(column, pa.large_string()) for column, _ in _KINDS]
    + [("created", pa.large_string())]
)
# SipHash key of the digests: a new normalisation rule re-reads every customer once.
_HASH_KEY = f"kizuna-ids-v{RULES_VERSION:04d}"
# Digests are stored as (customer id, digest) pairs, one row per 2**14 customer ids: a row
# per customer would cost the first run a million inserts.
_BLOCK_BITS = 14
_PACKED = np.dtype([("customer_id", "<i8"), ("digest", "<u8")])
_STAGE = "kizuna_identity_stage"
_STAGE_COLUMNS = ("customer_id", "kind", "value", "source")

SyncResult = tuple[int, int, dict[str, int]]


@dataclass
class IdentitySync:
    """What one sync did: `synced` customers had new or changed identifiers and were read."""

    customers: int = 0
    synced: int = 0
    added: int = 0
    # Values that normalised to nothing (junk, malformed), among the customers synced.
    unusable: dict[str, int] = field(default_factory=dict)
    # Every identity row of the workspace (customer_id, kind, value) when it had none before
    # this run, so a workspace's first resolve matches without reading them all back.
    rows: pa.Table | None = None


def sync_identities(session: Session, workspace: Workspace) -> SyncResult:
    """Add missing identity rows; return (customers, rows added, unusable values per kind)."""
    result = sync_identity_rows(session.connection(), workspace.id)
    return result.customers, result.added, result.unusable


def sync_identity_rows(conn: Connection, workspace_id: int) -> IdentitySync:
    """Add the identity rows that customers' current columns call for; see the module doc."""
    now = utcnow()
    result = IdentitySync()
    had_none = (
        conn.execute(
            select(Identity.id).where(Identity.workspace_id == workspace_id).limit(1)
        ).first()
        is None
    )
    result.added = _sync_source_keys(conn, workspace_id, now)
    result.customers = int(
        conn.execute(
            select(func.count()).select_from(Customer).where(Customer.workspace_id == workspace_id)
        ).scalar_one()
    )
    customers = _read_customers(conn, workspace_id)
    ids = customers.column("customer_id").to_numpy()
    digests = _digests(customers)
    stored = _stored_digests(conn, workspace_id)
    # A workspace without identity rows (a first run, or rows deleted) is read in full.
    fresh = np.ones(ids.size, dtype=bool) if had_none else ~_unchanged(ids, digests, stored)
    # A first run reads everyone: no filtered copy of a million rows then.
    changed = customers if fresh.all() else customers.filter(pa.array(fresh))
    del customers
    result.synced = changed.num_rows
    found, result.unusable = _normalised_rows(changed)
    del changed
    result.added += _insert_rows(conn, workspace_id, found, now)
    _store_digests(conn, workspace_id, ids, digests, stored, now)
    if had_none:  # what was written is all there is: the found rows and the shared keys
        keys = conn.execute(
            text(
                "SELECT i.customer_id, i.kind, i.value_normalized FROM identity i "
                f"WHERE i.workspace_id = :ws AND {_external_kinds(conn)}"
            ),
            {"ws": workspace_id},
        ).all()
        schema = _FOUND.remove(3)  # without the source
        written = pa.Table.from_pylist(
            [dict(zip(schema.names, key, strict=True)) for key in keys], schema=schema
        )
        result.rows = pa.concat_tables([written, found.drop_columns(["source"])])
    return result


def _read_customers(conn: Connection, workspace_id: int) -> pa.Table:
    """Every customer with an e-mail, phone or LINE id: raw columns, sorted by id."""
    customers = fetch_table(
        conn,
        "SELECT id, source, email, phone, line_id, CAST(created_at AS VARCHAR(40)) "
        "FROM customer WHERE workspace_id = {m} "
        "AND (email IS NOT NULL OR phone IS NOT NULL OR line_id IS NOT NULL)",
        [workspace_id],
        _READ,
    )
    ids = customers.column("customer_id").to_numpy()
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):  # PostgreSQL: any order
        customers = customers.take(np.argsort(ids, kind="stable"))
    return customers


def _digests(customers: pa.Table) -> npt.NDArray[np.uint64]:
    """A 64-bit digest of each customer's identifying columns.

    The creation time is in it because SQLite hands a deleted last id to the next new
    customer: the new record must not pass for the old one. Hashed a batch at a time, so
    only one batch of Python strings is alive at once.
    """
    parts: list[npt.NDArray[np.uint64]] = [np.empty(0, dtype=np.uint64)]
    for batch in customers.select(["email", "phone", "line_id", "created"]).to_batches(_BATCH):
        columns = [pc.fill_null(column, "") for column in batch.columns]
        joined = pc.binary_join_element_wise(*columns, pa.scalar("\x1f", pa.large_string()))
        values = joined.to_numpy(zero_copy_only=False)
        parts.append(pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=False))
    return np.concatenate(parts)


def _stored_digests(conn: Connection, workspace_id: int) -> npt.NDArray[np.void]:
    """(customer id, digest) pairs the last run stored, sorted by customer id."""
    table = table_of(IdentityDigest)
    rows = conn.execute(
        select(table.c.block, table.c.digests)
        .where(table.c.workspace_id == workspace_id)
        .order_by(table.c.block)
    ).all()
    if not rows:
        return np.empty(0, dtype=_PACKED)
    return np.concatenate([np.frombuffer(bytes(blob), dtype=_PACKED) for _, blob in rows])


def _unchanged(
    ids: npt.NDArray[np.int64], digests: npt.NDArray[np.uint64], stored: npt.NDArray[np.void]
) -> npt.NDArray[np.bool_]:
    """True where the customer was read before with the same digest (ids sorted)."""
    if stored.size == 0 or ids.size == 0:
        return np.zeros(ids.size, dtype=bool)
    known = stored["customer_id"]
    at = np.minimum(np.searchsorted(known, ids), known.size - 1)
    same: npt.NDArray[np.bool_] = (known[at] == ids) & (stored["digest"][at] == digests)
    return same


def _store_digests(
    conn: Connection,
    workspace_id: int,
    ids: npt.NDArray[np.int64],
    digests: npt.NDArray[np.uint64],
    stored: npt.NDArray[np.void],
    now: object,
) -> None:
    """Rewrite the blocks whose pairs differ from the stored ones (new, changed or gone)."""
    fresh = _blocks(ids, digests)
    old = _blocks(stored["customer_id"], stored["digest"])
    stale = [block for block, blob in old.items() if fresh.get(block) != blob]
    new = [block for block, blob in fresh.items() if old.get(block) != blob]
    table = table_of(IdentityDigest)
    if stale:
        conn.execute(
            delete(table).where(table.c.workspace_id == workspace_id, table.c.block.in_(stale))
        )
    if new:
        rows = [
            {"workspace_id": workspace_id, "block": b, "digests": fresh[b], "synced_at": now}
            for b in new
        ]
        conn.execute(insert(table), rows)


def _blocks(ids: npt.NDArray[np.int64], digests: npt.NDArray[np.uint64]) -> dict[int, bytes]:
    """Sorted (id, digest) pairs packed per block of 2**_BLOCK_BITS ids."""
    if ids.size == 0:
        return {}
    packed = np.empty(ids.size, dtype=_PACKED)
    packed["customer_id"], packed["digest"] = ids, digests
    block = ids >> _BLOCK_BITS
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], ids.size]
    return {int(block[s]): packed[s:e].tobytes() for s, e in zip(starts, ends, strict=True)}


def _normalised_rows(customers: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """(customer_id, kind, value, source) for every usable identifier on the customers."""
    parts: list[pa.Table] = []
    unusable: dict[str, int] = {}
    for column, kind in _KINDS:
        raw = customers.column(column)
        given = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(raw)), 0), False)
        picked = customers.filter(given)
        if picked.num_rows == 0:
            unusable[kind] = 0
            continue
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
    return (pa.concat_tables(parts) if parts else _FOUND.empty_table()), unusable


def _sync_source_keys(conn: Connection, workspace_id: int, now: object) -> int:
    """`external:<source>` rows for the source keys that more than one customer holds.

    A key is written the way `resolve` compares it: lower-cased, trimmed source and trimmed
    id. Two customers can only share a key if one of them is written differently from its
    normalised form (the unique constraint on (source, external_id) rules out the rest), so
    the candidates are those customers (`keyed`) and keys other customers' identity rows
    name (`referenced`); the normalised owners are found through that unique index.
    """
    junk = ", ".join(f"'{value}'" for value in sorted(JUNK_TEXT) if "'" not in value)
    external = _external_kinds(conn)
    own_kind = "'external:' || lower(trim(c.source))"
    result = conn.execute(
        text(
            "WITH keyed AS ("
            f"SELECT c.id, {own_kind} AS kind, trim(c.external_id) AS value, c.source "
            "FROM customer c WHERE c.workspace_id = :ws "
            "AND (c.source <> lower(trim(c.source)) OR c.external_id <> trim(c.external_id))"
            "), referenced AS ("
            "SELECT i.kind, i.value_normalized AS value, count(*) AS n "
            "FROM identity i JOIN customer c ON c.id = i.customer_id "
            f"WHERE i.workspace_id = :ws AND {external} "
            f"AND (i.kind <> {own_kind} OR i.value_normalized <> trim(c.external_id)) "
            "GROUP BY i.kind, i.value_normalized"
            "), candidate AS ("
            "SELECT kind, value FROM keyed UNION SELECT kind, value FROM referenced"
            "), owner AS ("
            "SELECT id, kind, value, source FROM keyed UNION ALL "
            "SELECT c.id, k.kind, k.value, c.source FROM candidate k JOIN customer c "
            "ON c.workspace_id = :ws AND c.source = substr(k.kind, 10) AND c.external_id = k.value"
            "), shared AS ("
            "SELECT o.kind, o.value FROM owner o "
            "LEFT JOIN referenced r ON r.kind = o.kind AND r.value = o.value "
            f"WHERE lower(o.value) NOT IN ({junk}) GROUP BY o.kind, o.value "
            "HAVING count(*) + coalesce(max(r.n), 0) > 1"
            ") "
            "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
            "created_at) SELECT :ws, o.id, o.kind, o.value, o.source, :now FROM owner o "
            "JOIN shared s ON s.kind = o.kind AND s.value = o.value "
            "WHERE NOT EXISTS (SELECT 1 FROM identity i WHERE i.workspace_id = :ws "
            "AND i.kind = o.kind AND i.value_normalized = o.value AND i.customer_id = o.id)"
        ).bindparams(bindparam("now", type_=UTCDateTime()), ws=workspace_id),
        {"now": now},
    )
    return max(result.rowcount, 0)


def _external_kinds(conn: Connection) -> str:
    """SQL condition: identity row `i` is a source key (`external:<source>`)."""
    if conn.dialect.name == "sqlite":
        return "i.kind >= 'external:' AND i.kind < 'external;'"  # the unique index's range
    return "i.kind LIKE 'external:%'"  # collations other than C order ':' differently


def _insert_rows(conn: Connection, workspace_id: int, found: pa.Table, now: object) -> int:
    """Stage the rows in (kind, value) order, then one INSERT ... SELECT skips stored ones."""
    if found.num_rows == 0:
        return 0
    found = found.take(pc.sort_indices(found, [("kind", "ascending"), ("value", "ascending")]))
    # IF NOT EXISTS / DELETE: a run that failed before its DROP may have left it behind.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (customer_id BIGINT, "
        "kind VARCHAR(64), value VARCHAR(320), source VARCHAR(64))"
    )
    conn.exec_driver_sql(f"DELETE FROM {_STAGE}")
    for batch in found.to_batches(_BATCH):
        columns = [batch.column(name).to_pylist() for name in _FOUND.names]
        stage_rows(conn, _STAGE, _STAGE_COLUMNS, zip(*columns, strict=True))
    mark = placeholders(conn, 1)
    # The stage is scanned in insertion order (SQLite: rowid), i.e. (kind, value) order.
    result = conn.exec_driver_sql(
        "INSERT INTO identity (workspace_id, customer_id, kind, value_normalized, source, "
        f"created_at) SELECT {mark}, customer_id, kind, value, source, {mark} FROM {_STAGE} "
        "WHERE true ON CONFLICT DO NOTHING",
        (workspace_id, driver_value(conn, UTCDateTime(), now)),
    )
    conn.exec_driver_sql(f"DROP TABLE {_STAGE}")
    return max(result.rowcount, 0)
