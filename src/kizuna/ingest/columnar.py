"""A chunk of a text file into a `Block`, column by column: the fast path of `kizuna import`.

Feedback rows of the common shape (ISO or 2025/4/1 dates, plain ASCII ids, scores written as
digits) are converted a column at a time with pyarrow and NumPy. Any cell this path does
not vouch for (a Japanese or era date, full-width digits, a score out of range, an empty
comment with no score, a JSON properties cell, an over-long value) sends its whole row to
the row path (`fields.convert_entry`), which parses it or refuses it with its line and
bilingual reason, exactly as it does for every other source: a row's result never depends
on the path that took it. Other targets take the row path for every row, fed from the same
chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.ingest.arrow_csv import Chunk
from kizuna.ingest.arrow_dates import parse_dates
from kizuna.ingest.block import Block, Prepared, Rejection, Values, hash_values
from kizuna.ingest.fields import Plan, RowContext, convert_entry, lookup_channel

__all__ = ["convert_chunk"]

Mask = np.ndarray[Any, np.dtype[np.bool_]]
# The order of Prepared.values for feedback (fields._convert_feedback): keys hash it.
FEEDBACK = (
    "channel",
    "touchpoint",
    "customer_ref",
    "received_at",
    "received_on",
    "text",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "properties",
)
_SCORES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
_DECIMAL = r"^[0-9]{1,9}(\.[0-9]{1,9})?$"


def convert_chunk(chunk: Chunk, plan: Plan, ctx: RowContext) -> tuple[Block, list[Rejection]]:
    """Valid rows as a block (in line order) and the refused ones."""
    if plan.target == "feedback" and len(chunk.lines):
        try:
            block, slow = _feedback(chunk, plan, ctx)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a zone pyarrow lacks, ...
            block, slow = Block(), np.ones(len(chunk.lines), dtype=np.bool_)
    else:
        block, slow = Block(), np.ones(len(chunk.lines), dtype=np.bool_)
    return _settle(block, slow, chunk, plan, ctx)


def _feedback(chunk: Chunk, plan: Plan, ctx: RowContext) -> tuple[Block, Mask]:
    n = len(chunk.lines)
    slow = np.zeros(n, dtype=np.bool_)
    pick = {field: chunk.columns[index] for index, field in plan.picks}
    for column in chunk.columns:  # a NUL anywhere: the row path refuses the row, saying why
        slow |= _holds_nul(column)
    if "properties" in pick:  # a JSON object to read: the row path's job
        slow |= ~_blank(pick["properties"])
    dates = parse_dates(pick["received_at"], ctx.dates.zone.key)
    slow |= ~dates.ok
    columns: dict[str, Values] = {
        "touchpoint": _texts(pick.get("touchpoint"), n, 100, slow),
        "customer_ref": _identifiers(pick.get("customer_ref"), n, slow),
        "received_at": dates.at,
        "received_on": dates.on,
        "text": _texts(pick.get("text"), n, None, slow),
        "language": _texts(pick.get("language"), n, 8, slow),
    }
    no_score = np.ones(n, dtype=np.bool_)
    for field, (low, high) in _SCORES.items():
        columns[field], empty = _scores(pick.get(field), n, low, high, slow)
        no_score &= empty
    columns["rating"], empty = _ratings(pick.get("rating"), n, slow)
    no_score &= empty
    no_text = np.fromiter((t is None for t in columns["text"]), dtype=np.bool_, count=n)
    slow |= no_text & no_score  # empty feedback: the row path says why it is refused
    columns["channel"], unknown = _channels(pick.get("channel"), n, ctx)
    columns["properties"] = _properties(chunk, plan, unknown)
    ordered = {field: columns[field] for field in FEEDBACK}
    keys = [key or "" for key in _identifiers(pick.get("external_id"), n, slow)]
    for row in [i for i, key in enumerate(keys) if not key and not slow[i]]:
        # No id: the key is the converted content's hash, as on the row path.
        keys[row] = f"auto-{hash_values(column[row] for column in ordered.values())}"
    block = Block(chunk.lines.tolist(), keys, _digests(chunk, plan), ordered)
    return block, slow


def _settle(
    block: Block, slow: Mask, chunk: Chunk, plan: Plan, ctx: RowContext
) -> tuple[Block, list[Rejection]]:
    """Rows the fast path left (and rows of another width) through the row path."""
    rejected: list[Rejection] = []
    dropped: set[int] = set()
    extra: list[Prepared] = []
    where = np.flatnonzero(slow)
    if len(where):
        taken = pa.array(where)
        cells = zip(*(pc.take(c, taken).to_pylist() for c in chunk.columns), strict=True)
        lines = chunk.lines[where].tolist()
        for position, line, cells_of in zip(where.tolist(), lines, cells, strict=True):
            entry = convert_entry(line, cells_of, plan, ctx)
            if isinstance(entry, Rejection):
                rejected.append(entry)
                dropped.add(position)
            elif len(block):
                _put(block, position, entry)
            else:
                extra.append(entry)
    for line, odd_cells in chunk.odd:
        entry = convert_entry(line, odd_cells, plan, ctx)
        if isinstance(entry, Rejection):
            rejected.append(entry)
        else:
            extra.append(entry)
    if not len(block):
        block = Block.of([])
        dropped = set()
    if dropped:
        block = _without(block, dropped)
    if extra:
        block = _merged(block, extra)
    rejected.sort(key=lambda r: r.line)
    return block, rejected


def _put(block: Block, position: int, row: Prepared) -> None:
    block.keys[position] = row.key
    block.hashes[position] = row.content_hash
    for name, value in row.values.items():
        block.columns[name][position] = value


def _without(block: Block, dropped: set[int]) -> Block:
    keep = [i for i in range(len(block)) if i not in dropped]
    return Block(
        [block.lines[i] for i in keep],
        [block.keys[i] for i in keep],
        [block.hashes[i] for i in keep],
        {name: [column[i] for i in keep] for name, column in block.columns.items()},
    )


def _merged(block: Block, rows: list[Prepared]) -> Block:
    """Rows added to a block, all in line order (the later of two equal keys wins)."""
    if not len(block):
        return Block.of(sorted(rows, key=lambda r: r.line))
    more = Block.of(rows)
    lines = block.lines + more.lines
    order = sorted(range(len(lines)), key=lines.__getitem__)
    keys, hashes = block.keys + more.keys, block.hashes + more.hashes
    columns = {name: [*column, *more.columns[name]] for name, column in block.columns.items()}
    return Block(
        [lines[i] for i in order],
        [keys[i] for i in order],
        [hashes[i] for i in order],
        {name: [column[i] for i in order] for name, column in columns.items()},
    )


def _holds_nul(column: pa.Array) -> Mask:
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return np.zeros(len(column), dtype=np.bool_)
    found = pc.fill_null(pc.match_substring(column, "\x00"), False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _blank(column: pa.Array) -> Mask:
    return pc.equal(pc.binary_length(column), 0).to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]


def _texts(column: pa.Array | None, n: int, limit: int | None, slow: Mask) -> list[str | None]:
    """Stripped text or None; longer than `limit` is the row path's (it refuses it)."""
    if column is None:
        return [None] * n
    if limit is not None:
        lengths = pc.utf8_length(column)
        if pc.max(lengths).as_py() > limit:
            slow |= pc.greater(lengths, limit).to_numpy(zero_copy_only=False)
    return [value.strip() or None for value in column.to_pylist()]


def _identifiers(column: pa.Array | None, n: int, slow: Mask) -> list[str | None]:
    """Ids as written; ids in full-width or too long for the column are the row path's."""
    if column is None:
        return [None] * n
    odd = pc.or_(pc.invert(pc.string_is_ascii(column)), pc.greater(pc.binary_length(column), 200))
    slow |= odd.to_numpy(zero_copy_only=False)
    return [value.strip() or None for value in column.to_pylist()]


def _scores(
    column: pa.Array | None, n: int, low: int, high: int, slow: Mask
) -> tuple[list[int | None], Mask]:
    """Whole numbers written as ASCII digits in [low, high]; the rest is the row path's."""
    if column is None:
        return [None] * n, np.ones(n, dtype=np.bool_)
    empty = pc.equal(pc.binary_length(column), 0)
    digits = pc.and_(pc.ascii_is_decimal(column), pc.less_equal(pc.binary_length(column), 9))
    number = pc.cast(pc.if_else(digits, column, "0"), pa.int64())
    fits = pc.and_(digits, pc.and_(pc.greater_equal(number, low), pc.less_equal(number, high)))
    slow |= pc.invert(pc.or_(empty, fits)).to_numpy(zero_copy_only=False)
    values = pc.if_else(digits, number, pa.scalar(None, pa.int64()))
    return values.to_pylist(), empty.to_numpy(zero_copy_only=False)


def _ratings(column: pa.Array | None, n: int, slow: Mask) -> tuple[list[float | None], Mask]:
    """Ratings 1-5 written as plain decimals (4 or 4.5)."""
    if column is None:
        return [None] * n, np.ones(n, dtype=np.bool_)
    empty = pc.equal(pc.binary_length(column), 0)
    plain = pc.match_substring_regex(column, _DECIMAL)
    number = pc.cast(pc.if_else(plain, column, "0"), pa.float64())
    fits = pc.and_(plain, pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, 5)))
    slow |= pc.invert(pc.or_(empty, fits)).to_numpy(zero_copy_only=False)
    values = pc.if_else(plain, number, pa.scalar(None, pa.float64()))
    return values.to_pylist(), empty.to_numpy(zero_copy_only=False)


def _channels(
    column: pa.Array | None, n: int, ctx: RowContext
) -> tuple[list[str], list[str | None] | None]:
    """Channel codes, and the names as written where the vocabulary does not know them."""
    if column is None:
        return ["other"] * n, None
    encoded = pc.dictionary_encode(column)
    codes: list[str] = []
    unknown: list[str | None] = []
    for name in encoded.dictionary.to_pylist():  # a file names a handful of channels
        text = name.strip() or None
        code = None if text is None else lookup_channel(text, ctx)
        codes.append(code or "other")
        unknown.append(text if text is not None and code is None else None)
    indices = encoded.indices
    coded: list[str] = pc.take(pa.array(codes, pa.string()), indices).to_pylist()
    if all(u is None for u in unknown):
        return coded, None
    return coded, pc.take(pa.array(unknown, pa.string()), indices).to_pylist()


def _properties(
    chunk: Chunk, plan: Plan, unknown: Sequence[str | None] | None
) -> list[dict[str, Any]]:
    """Cells no field claims (stripped, empty ones left out), then channel_raw."""
    n = len(chunk.lines)
    if plan.extras:
        names = [name for _, name in plan.extras]
        values = [[v.strip() for v in chunk.columns[i].to_pylist()] for i, _ in plan.extras]
        found = [
            {name: value for name, value in zip(names, row, strict=True) if value}
            for row in zip(*values, strict=True)
        ]
    else:
        found = [{} for _ in range(n)]
    if unknown is not None:
        for props, name in zip(found, unknown, strict=True):
            if name is not None:
                props["channel_raw"] = name
    return found


def _digests(chunk: Chunk, plan: Plan) -> list[str]:
    """fields' content hash (the row as written) for every row, joined by pyarrow."""
    joined = pc.binary_join_element_wise(*chunk.columns, "\x1f")
    signed = pc.binary_join_element_wise(pa.scalar(plan.signature), joined, "")
    md5 = hashlib.md5
    return [
        md5(row, usedforsecurity=False).hexdigest() for row in signed.cast(pa.binary()).to_pylist()
    ]
