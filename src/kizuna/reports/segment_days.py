"""The day's voices of customers as the rollups count them, kept per day so that a segment's
dashboard sums its customers' rows without reading a voice.

    store_voice_days(session, workspace_id, days, day_frame, topic_frame)  # rollups' recount
    voice_day_frames(session, workspace_id, first, last, members) -> (days, topics)

A segment or persona is a set of customers that changes as they are scored or clustered
again, so no rollup can hold it. Its dashboard needs the rows `voice_frames` makes of its
customers' voices (day, dimensions and counts; and per topic), summed by day and
dimensions. Those rows depend on the voices and their analyses only, so they are counted
with the rollups (the same `voice_frames` call, the same days counted again) and kept as
two `dashboard_customer_day` rows per day, parts "voices" and "topics": the rows' customer
ids, and the rows themselves packed (`_pack`): each dimension's distinct values once and a
16-bit code per row (32-bit past 65,535 values), the integer counts as 8-bit integers when
they fit (0/1 per voice, but a CES total and its square), the sums as doubles (on
PostgreSQL both columns LZ4-compressed, `_squeezed`). A segment's
view reads the window's rows, keeps its members' (a flag per id), sums them by day and the
dimensions the page needs (`by`; all of them kept apart when it needs every one) and hands
pandas the frames `kizuna.reports.dashboard_frames` sums for each widget.

Why: at 1 M voices a segment of 40,000 customers has 217,000 voices in a 25-month window;
reading and counting them on a view took 9-12 s (voice rows 5 s, their frames 6 s).
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from kizuna.db.guard import TRUSTED
from kizuna.reports.driver_rows import driver_rows
from kizuna.reports.id_sets import Members
from kizuna.reports.models import DashboardCustomerDay
from kizuna.reports.rollup_counts import DAY_COUNTS, DIMENSIONS, TOPIC_COUNTS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FRAME_PARTS", "store_voice_days", "voice_day_frames"]

FRAME_PARTS = ("voices", "topics")
_IDS = np.dtype("<i8")
_CODES = np.dtype("<u2")
_WIDE_CODES = np.dtype("<u4")
_FLOAT = np.dtype("<f8")
_LENGTH = struct.Struct("<I")
_FLOATS = ("sentiment_sum", "delight_sum")
_INSERT_CHUNK = 200


def _keys(part: str) -> tuple[str, ...]:
    return (*DIMENSIONS, "topic") if part == "topics" else DIMENSIONS


def _counts(part: str) -> tuple[str, ...]:
    return TOPIC_COUNTS if part == "topics" else DAY_COUNTS


def _ints(part: str) -> tuple[str, ...]:
    return tuple(n for n in _counts(part) if n not in _FLOATS)


def _floats(part: str) -> tuple[str, ...]:
    return tuple(n for n in _counts(part) if n in _FLOATS)


def _pack(frame: pd.DataFrame, part: str) -> bytes:
    """The rows (keys and counts, no day, no customer) packed: a little-endian 32-bit
    length, a JSON header (row count, each key's distinct values and its codes' type, the
    integer counts' type), then each key's codes, the integer counts (rows x columns) and
    the sums."""
    header: dict[str, Any] = {"n": len(frame), "keys": {}, "codes": {}}
    blocks: list[bytes] = []
    for name in _keys(part):
        codes, values = _factorize(frame[name].to_numpy())
        kind = _CODES if len(values) <= 1 << 16 else _WIDE_CODES
        header["keys"][name] = [str(v) for v in values]
        header["codes"][name] = kind.str
        blocks.append(codes.astype(kind).tobytes())
    ints = np.column_stack([frame[n].to_numpy() for n in _ints(part)]).astype(np.int64)
    small = bool(ints.size == 0 or (ints.min() >= -128 and ints.max() <= 127))
    header["ints"] = "<i1" if small else "<i8"
    blocks.append(ints.astype(header["ints"]).tobytes())
    for name in _floats(part):
        blocks.append(frame[name].to_numpy().astype(_FLOAT).tobytes())
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join([_LENGTH.pack(len(text)), text, *blocks])


def _squeezed(session: Session) -> bool:
    """Whether this database keeps the packed rows LZ4-compressed: PostgreSQL, where they
    travel over a socket (a segment's 70 MB a view became 14 MB); SQLite reads them from
    its own pages, and unpacking would only add work. A database is one or the other for
    its whole life, so its rows are read as they were written."""
    return session.get_bind().dialect.name == "postgresql"


def _squeeze(data: bytes, squeezed: bool) -> bytes:
    """`data`, LZ4-compressed after its length (little-endian 32 bits) when `squeezed`."""
    if not squeezed:
        return data
    import pyarrow as pa

    packed: bytes = pa.compress(data, codec="lz4", asbytes=True)
    return _LENGTH.pack(len(data)) + packed


def _unsqueeze(data: bytes, squeezed: bool) -> Any:
    if not squeezed:
        return data
    import pyarrow as pa

    (size,) = _LENGTH.unpack_from(data)
    view = memoryview(data)[_LENGTH.size :]
    return pa.decompress(view, decompressed_size=size, codec="lz4", asbytes=False)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


class _Packed(NamedTuple):
    keys: dict[str, tuple[list[str], np.ndarray]]  # name -> (values, codes)
    ints: np.ndarray  # rows x integer counts
    floats: list[np.ndarray]


def _unpack(blob: Any, part: str) -> _Packed:
    """What `_pack` packed (bytes or any buffer), its arrays views of it."""
    view = memoryview(blob)
    (length,) = _LENGTH.unpack_from(view)
    at = _LENGTH.size + length
    header = json.loads(bytes(view[_LENGTH.size : at]))
    n = int(header["n"])
    keys: dict[str, tuple[list[str], np.ndarray]] = {}
    for name in _keys(part):
        kind = np.dtype(header["codes"][name])
        keys[name] = (header["keys"][name], np.frombuffer(blob, kind, n, at))
        at += n * kind.itemsize
    kind = np.dtype(header["ints"])
    width = len(_ints(part))
    ints = np.frombuffer(blob, kind, n * width, at).reshape(n, width)
    at += n * width * kind.itemsize
    floats = []
    for _ in _floats(part):
        floats.append(np.frombuffer(blob, _FLOAT, n, at))
        at += n * _FLOAT.itemsize
    return _Packed(keys, ints, floats)


def store_voice_days(
    session: Session,
    workspace_id: int,
    days: Sequence[dt.date],
    day_frame: pd.DataFrame,
    topic_frame: pd.DataFrame,
) -> None:
    """Replace the "voices" and "topics" rows of these days with the frames' rows of voices
    that have a customer (`voice_frames(..., customers=True)` of exactly these days)."""
    rows: list[dict[str, Any]] = []
    squeezed = _squeezed(session)
    for part, frame in (("voices", day_frame), ("topics", topic_frame)):
        if frame.empty:
            continue
        known = frame[frame["customer_id"].to_numpy() >= 0]
        for day, where in known.groupby("day", sort=False).indices.items():
            chosen = known.iloc[where]
            customers = chosen["customer_id"].to_numpy()
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "part": part,
                    "day": day,
                    "customers": _squeeze(customers.astype(_IDS).tobytes(), squeezed),
                    "frame": _squeeze(_pack(chosen, part), squeezed),
                }
            )
    session.execute(
        delete(DashboardCustomerDay).where(
            DashboardCustomerDay.workspace_id == workspace_id,
            DashboardCustomerDay.part.in_(FRAME_PARTS),
            DashboardCustomerDay.day.in_(list(days)),
        )
    )
    statement = insert(cast(Table, DashboardCustomerDay.__table__))
    for at in range(0, len(rows), _INSERT_CHUNK):
        # Counted from stored rows, which the value guard saw when they were written.
        session.execute(statement, rows[at : at + _INSERT_CHUNK], execution_options=TRUSTED)


def _objects(values: list[Any]) -> np.ndarray:
    found = np.empty(len(values), dtype=object)
    found[:] = values
    return found


def _part_frame(
    session: Session,
    workspace_id: int,
    part: str,
    first: dt.date,
    last: dt.date,
    members: Members,
    by: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The part's rows of the members, with every key; or, `by` given, summed by day, the
    dimensions in `by` and (topics) the topic, the other dimensions left out."""
    import pandas as pd

    query = (
        select(DashboardCustomerDay.day, DashboardCustomerDay.customers, DashboardCustomerDay.frame)
        .where(
            DashboardCustomerDay.workspace_id == workspace_id,
            DashboardCustomerDay.part == part,
            DashboardCustomerDay.day >= first,
            DashboardCustomerDay.day <= last,
        )
        .order_by(DashboardCustomerDay.day)
    )
    names, counts = _keys(part), _counts(part)
    days: list[dt.date] = []
    squeezed = _squeezed(session)
    ids: list[np.ndarray] = []
    packs: list[_Packed] = []
    for day, customers, blob in driver_rows(session, query, binary=True):
        ids.append(np.frombuffer(_unsqueeze(customers, squeezed), dtype=_IDS))
        packs.append(_unpack(_unsqueeze(blob or b"", squeezed), part))
        days.append(dt.date.fromisoformat(day) if isinstance(day, str) else day)
    kept = names if by is None else tuple(n for n in names if n in by or n == "topic")
    keep = members.of(np.concatenate(ids)) if ids else np.zeros(0, dtype=bool)
    if not keep.any():
        return pd.DataFrame({n: pd.Series(dtype=object) for n in ("day", *kept, *counts)})
    sizes = np.array([len(i) for i in ids])
    day_codes = np.repeat(np.arange(len(days)), sizes)[keep]
    codes_of: dict[str, np.ndarray] = {}
    values_of: dict[str, list[str]] = {}
    for name in kept:
        # Each day's codes point into its own values: shifted into the list of them all,
        # then mapped to one code per distinct value.
        coded: dict[str, int] = {}
        every = [v for pack in packs for v in pack.keys[name][0]]
        recode = np.array([coded.setdefault(v, len(coded)) for v in every], dtype=np.int64)
        shifts = np.cumsum([0] + [len(pack.keys[name][0]) for pack in packs[:-1]])
        codes = np.concatenate([pack.keys[name][1] for pack in packs]).astype(np.int64)
        codes_of[name] = recode[(codes + np.repeat(shifts, sizes))[keep]]
        values_of[name] = list(coded)
    floats = [
        np.concatenate([pack.floats[at] for pack in packs])[keep]
        for at in range(len(_floats(part)))
    ]
    matrix = np.concatenate([pack.ints for pack in packs])[keep].astype(np.int64)
    if by is not None:  # summed by day and the kept keys
        key = day_codes.astype(np.int64)
        for name in kept:
            key = key * max(1, len(values_of[name])) + codes_of[name]
            if int(key.max()) >= 1 << 40:  # the next product stays within 64 bits
                key = np.unique(key, return_inverse=True)[1].astype(np.int64)
        if int(key.max()) < 4 * len(key):  # few possible groups: counted by their number
            present = np.bincount(key) > 0
            used = np.flatnonzero(present)
            group = (np.cumsum(present) - 1)[key]
            firsts = np.full(len(used), len(key), dtype=np.int64)
            np.minimum.at(firsts, group, np.arange(len(key)))
        else:
            _, firsts, group = np.unique(key, return_index=True, return_inverse=True)
        width = len(firsts)
        matrix = np.column_stack(
            [np.bincount(group, matrix[:, at], width) for at in range(matrix.shape[1])]
        ).astype(np.int64)
        floats = [np.bincount(group, f, width) for f in floats]
        day_codes = day_codes[firsts]
        codes_of = {n: c[firsts] for n, c in codes_of.items()}
    frame: dict[str, Any] = {"day": _objects(days)[day_codes]}
    for name in kept:
        frame[name] = _objects(values_of[name])[codes_of[name]]
    for name, values in zip(_floats(part), floats, strict=True):
        frame[name] = values
    found = pd.DataFrame(
        {
            n: pd.Series(v, dtype=object, copy=False) if v.dtype == object else v
            for n, v in frame.items()
        }
    )
    # The counts as one block (no copy per column).
    found = pd.concat([found, pd.DataFrame(matrix, columns=list(_ints(part)), copy=False)], axis=1)
    return found[["day", *kept, *counts]]


def voice_day_frames(
    session: Session,
    workspace_id: int,
    first: dt.date,
    last: dt.date,
    members: Sequence[int] | np.ndarray,
    by: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The members' voice rows of `first`..`last` and their topic rows: the frames
    `voice_frames` makes of their voices (in another order; `dashboard_frames` sums them
    by what each widget shows). `by` given, both come summed by day and those dimensions
    (and the topic), without the other dimensions: a page that filters on no dimension
    and groups by the channel alone needs a few thousand rows, not every voice."""
    ids = Members(np.unique(np.asarray(members, dtype=np.int64)))
    return (
        _part_frame(session, workspace_id, "voices", first, last, ids, by),
        _part_frame(session, workspace_id, "topics", first, last, ids, by),
    )
