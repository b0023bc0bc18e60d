"""Valid rows on their way to the database: one `Prepared` row, or a `Block` of them by column.

A batch reaches the writer as a `Block` (its valid rows, column by column, in line order)
and the batch's rejections. Columns, not row dicts, because the writer hands the database
one tuple per row: zipping lists is done in C, building a dict per row is not. This module
also owns the two digests an import relies on: the content hash of a row as written (is it
"unchanged"?) and the key of a row that has no id (a hash of its converted values).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kizuna.ingest.values import RowRejected

__all__ = ["Block", "Prepared", "Rejection", "Values", "digest_cells", "hash_values"]

_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


@dataclass(slots=True)
class Prepared:
    """One valid row: its key, the columns to write and their content hash."""

    line: int
    key: str
    values: dict[str, Any]
    content_hash: str


class Values(Protocol):
    """A column of a block: a list, or a column kept in NumPy (`arrow_dates.Instants`)."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Any: ...
    def __setitem__(self, index: int, value: Any, /) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...


@dataclass(slots=True)
class Rejection:
    """One refused row: where it is, why, and the row as written."""

    line: int
    why: RowRejected
    raw: dict[str, Any]


@dataclass
class Block:
    """Valid rows of one batch by column, in line order; `columns` follow the target's
    converted fields (the keys of `Prepared.values`)."""

    lines: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    columns: dict[str, Values] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def of(cls, rows: Sequence[Prepared]) -> Block:
        """Rows (all of one target, so with the same fields) turned into columns."""
        if not rows:
            return cls()
        names = list(rows[0].values)
        values = [row.values for row in rows]
        return cls(
            [row.line for row in rows],
            [row.key for row in rows],
            [row.content_hash for row in rows],
            {name: [v[name] for v in values] for name in names},
        )

    def row(self, index: int) -> dict[str, Any]:
        return {name: column[index] for name, column in self.columns.items()}


def hash_values(values: Iterable[Any]) -> str:
    """MD5 of converted values: the key of a row that has no id (same on every path)."""
    parts = []
    for value in values:
        if value is None:
            parts.append("\x00")
        elif type(value) is str:
            parts.append(value)
        elif type(value) is dt.datetime:
            parts.append(repr(value.timestamp()))  # cheaper than str(), same information
        elif isinstance(value, dict | list):
            parts.append(_JSON.encode(value) if value else "")
        else:
            parts.append(str(value))
    return hashlib.md5("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def digest_cells(signature: str, cells: Sequence[Any]) -> str:
    """MD5 of the row as written (a change detector, not a secret; fits content_hash).

    `signature` is the header's (Plan.signature), so a column renamed is a change too.
    """
    try:
        text = "\x1f".join(cells)  # text files: every cell is a str, joined in C
    except TypeError:
        text = "\x1f".join(
            "\x00" if c is None else c if type(c) is str else _hash_part(c) for c in cells
        )
    return hashlib.md5((signature + text).encode(), usedforsecurity=False).hexdigest()


def _hash_part(value: Any) -> str:
    if isinstance(value, dict | list):
        return _JSON.encode(value)
    return str(value)
