"""A batch API call's records into a `Block`, a field at a time: the batch API's fast path.

The records of one call share one set of fields (the route's model), so each field is
converted as one list: types and ranges checked in a comprehension, each channel or kind
name looked up once, the unsafe-text check done over all the batch's text at once, and the
row-as-sent digest made from per-field parts. A value this path does not vouch for (a
score sent as text or as a boolean, a NaN, a date that is not ISO 8601, full-width or
over-long ids, properties that are not an object or fail the JSON checks, a NUL or a lone
surrogate anywhere) sends its record to the row path (`fields.convert_entry`), which
converts it or refuses it with its reason, so a record's result never depends on the path
that took it (tests/ingest/test_ingest_batch_records.py checks both paths agree).

Feedback and interactions have a fast path; customers, and records of any other shape, take
the row path for every record. Pure: no database, no web.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from kizuna.ingest.block import Block, Prepared, Rejection, hash_values
from kizuna.ingest.fields import Plan, RowContext, convert_entry, lookup_channel
from kizuna.ingest.safety import check_json, has_unsafe_text
from kizuna.ingest.values import RowRejected, as_sent
from kizuna.ingest.vocabulary import normalize_word

__all__ = ["FEEDBACK", "INTERACTIONS", "convert_records"]

Column = Sequence[Any]
Slow = set[int]
# The order of Prepared.values (fields._convert_feedback / _convert_interaction): the
# writer's columns and the key of a record without an id both follow it.
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
INTERACTIONS = (
    "customer_ref",
    "occurred_at",
    "occurred_on",
    "channel",
    "touchpoint",
    "kind",
    "direct",
    "amount",
    "properties",
)
_SCORES = (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7))
_MD5 = hashlib.md5
# block.digest_cells writes JSON values so (sorted keys, as written): the same digest.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
# Types whose values go to the fast path as they are (floats: when finite).
_PLAIN = frozenset({str, type(None), int, bool, dict})
_TEXT = frozenset({str, type(None)})
_WHOLE = frozenset({int, type(None)})


def convert_records(
    columns: Sequence[Column], plan: Plan, ctx: RowContext, first_line: int = 1
) -> tuple[Block, list[Rejection]]:
    """Records given field by field (`columns` follow `plan.header`) as a block of the
    valid ones, in order, and the refused ones; line numbers count from `first_line`."""
    n = len(columns[0]) if columns else 0
    slow: Slow = set()
    convert = _FAST.get(plan.target)
    fast: Converted | None = None
    if convert is not None and n and _fast_path_applies(plan, columns):
        _screen(columns, slow)
        fast = convert(Picked(plan, columns, n), ctx, slow)
    if fast is None:
        slow = set(range(n))
        fast = Converted([""] * n, {})
    hashes = _digests(plan, columns, n, slow)
    return _settle(fast, hashes, slow, columns, plan, ctx, first_line)


class Picked:
    """The values of each canonical field, as the row path reads them: text stripped
    (empty text is no value); a field the records lack is None throughout."""

    def __init__(self, plan: Plan, columns: Sequence[Column], n: int) -> None:
        self.n = n
        self._raw = {field: columns[index] for index, field in plan.picks}
        self._cache: dict[str, list[Any]] = {}

    def __call__(self, field: str) -> list[Any]:
        found = self._cache.get(field)
        if found is None:
            raw = self._raw.get(field)
            if raw is None or raw.count(None) == self.n:
                found = [None] * self.n
            else:
                found = [(v.strip() or None) if type(v) is str else v for v in raw]
            self._cache[field] = found
        return found


class Converted:
    """The fast path's keys (empty where a row has no id) and columns in row order."""

    def __init__(self, keys: list[str], columns: dict[str, list[Any]]) -> None:
        self.keys = keys
        self.columns = columns


def _fast_path_applies(plan: Plan, columns: Sequence[Column]) -> bool:
    # Extra keys (kept in properties) and odd names are rare in an API call: row path.
    return (
        not plan.extras
        and not plan.missing_required()
        and len(columns) == len(plan.header)
        and not any(has_unsafe_text(name) for name in plan.header)
    )


def _screen(columns: Sequence[Column], slow: Slow) -> None:
    """Rows the row path must judge whatever their field: a NUL or lone surrogate in any
    text, a NaN or infinity (refused as text there), a list or any other type."""
    texts: list[str] = []
    for column in columns:
        kinds = set(map(type, column))
        if kinds == {str}:
            texts.extend(column)
        elif str in kinds:
            texts.extend(v for v in column if type(v) is str)
        if not kinds <= _PLAIN:
            for i, value in enumerate(column):
                kind = type(value)
                if kind not in _PLAIN and (kind is not float or not math.isfinite(value)):
                    slow.add(i)
    if texts and has_unsafe_text("\x1f".join(texts)):
        for column in columns:
            for i, value in enumerate(column):
                if type(value) is str and has_unsafe_text(value):
                    slow.add(i)


# --- fields shared by both targets ---------------------------------------------------------


def _texts(values: list[Any], limit: int | None, slow: Slow) -> list[str | None]:
    """Stripped text within `limit` characters; other types and longer text: row path."""
    kinds = set(map(type, values))
    if kinds <= _TEXT and (
        limit is None or max(map(len, filter(None, values)), default=0) <= limit
    ):
        return values  # the common case, checked in C
    for i, value in enumerate(values):
        if value is not None and (type(value) is not str or (limit and len(value) > limit)):
            slow.add(i)
    return values


def _identifiers(values: list[Any], slow: Slow) -> list[str | None]:
    """Ids as sent; full-width ones folded (NFKC) as the row path does."""
    found = _texts(values, 200, slow)
    if "".join(v for v in found if type(v) is str).isascii():
        return found
    return [
        v if v is None or type(v) is not str or v.isascii() else unicodedata.normalize("NFKC", v)
        for v in found
    ]


def _instants(
    values: list[Any], field: str, ctx: RowContext, slow: Slow
) -> tuple[list[dt.datetime | None], list[dt.date | None]]:
    """The instant (UTC) and the workspace's day, read exactly as the row path reads them."""
    if set(map(type, values)) == {str}:
        whole = ctx.dates.at_iso_all(values)
        if whole is not None:  # the common case: every value ISO 8601 with a zone
            return whole
    at: list[dt.datetime | None] = []
    on: list[dt.date | None] = []
    iso, parse = ctx.dates.at_iso, ctx.dates.at
    for i, value in enumerate(values):
        try:
            found = (iso(value) or parse(value, field)) if type(value) is str else None
        except RowRejected:
            found = None
        if found is None:  # missing, not text or not a date: the row path says which
            slow.add(i)
            at.append(None)
            on.append(None)
        else:
            at.append(found[0])
            on.append(found[1])
    return at, on


def _properties(values: list[Any], slow: Slow) -> list[dict[str, Any]]:
    """A fresh object per row: a copy of the one sent (checked for depth, size and
    characters), or empty."""
    if values.count(None) == len(values):
        return [{} for _ in values]
    found: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        if value is None:
            found.append({})
        elif type(value) is dict:
            try:
                check_json(value, "properties")
            except RowRejected:
                slow.add(i)
            found.append(dict(value))
        else:  # JSON as text, a list, ...
            slow.add(i)
            found.append({})
    return found


def _channels(
    values: list[Any], props: list[dict[str, Any]], ctx: RowContext, slow: Slow
) -> list[str | None]:
    """Channel codes (None where none was sent); a name the vocabulary lacks is "other",
    with the name as written kept in properties.channel_raw."""
    if set(map(type, values)) <= _TEXT:  # each name looked up once
        codes = {name: lookup_channel(name, ctx) for name in set(values) if name is not None}
        if None not in codes.values():  # every name known: the common case
            return [None if value is None else codes[value] for value in values]
    found: list[str | None] = []
    for i, value in enumerate(values):
        code = None
        if type(value) is str:
            code = lookup_channel(value, ctx)
            if code is None:
                props[i]["channel_raw"] = value
                code = "other"
        elif value is not None:
            slow.add(i)
        found.append(code)
    return found


def _keys(ids: list[str | None], columns: dict[str, list[Any]], slow: Slow) -> list[str]:
    """A record's id, or for one without, the hash of its converted values (row path's)."""
    if None not in ids:
        return ids  # type: ignore[return-value]
    keys: list[str] = []
    for i, key in enumerate(ids):
        if key is None and i not in slow:
            key = f"auto-{hash_values(column[i] for column in columns.values())}"
        keys.append(key or "")
    return keys


# --- feedback and interactions ---------------------------------------------------------


def _feedback(got: Picked, ctx: RowContext, slow: Slow) -> Converted:
    props = _properties(got("properties"), slow)
    at, on = _instants(got("received_at"), "received_at", ctx, slow)
    text = _texts(got("text"), None, slow)
    scores: dict[str, list[Any]] = {
        field: _scores(got(field), low, high, slow) for field, low, high in _SCORES
    }
    scores["rating"] = _ratings(got("rating"), slow)
    if None in text:
        for i, comment in enumerate(text):
            if comment is None and all(column[i] is None for column in scores.values()):
                slow.add(i)  # neither a comment nor a score: the row path says so
    channel = _channels(got("channel"), props, ctx, slow)
    columns: dict[str, list[Any]] = {
        "channel": [code or "other" for code in channel],
        "touchpoint": _texts(got("touchpoint"), 100, slow),
        "customer_ref": _identifiers(got("customer_ref"), slow),
        "received_at": at,
        "received_on": on,
        "text": text,
        "language": _texts(got("language"), 8, slow),
        **scores,
        "properties": props,
    }
    ordered = {name: columns[name] for name in FEEDBACK}
    return Converted(_keys(_identifiers(got("external_id"), slow), ordered, slow), ordered)


def _scores(values: list[Any], low: int, high: int, slow: Slow) -> list[int | None]:
    """Whole numbers sent as JSON integers within [low, high]; the rest: row path."""
    if set(map(type, values)) <= _WHOLE:
        numbers = [v for v in values if v is not None]
        if not numbers or (min(numbers) >= low and max(numbers) <= high):
            return values
    for i, value in enumerate(values):
        if value is not None and (type(value) is not int or not low <= value <= high):
            slow.add(i)
    return values


def _ratings(values: list[Any], slow: Slow) -> list[float | None]:
    """Ratings 1-5 sent as JSON numbers, stored as floats."""
    if values.count(None) == len(values):
        return values
    found: list[float | None] = []
    for i, value in enumerate(values):
        kind = type(value)
        if value is None:
            found.append(None)
        elif (kind is int or kind is float) and 1 <= value <= 5:
            found.append(float(value))
        else:
            slow.add(i)
            found.append(None)
    return found


def _interactions(got: Picked, ctx: RowContext, slow: Slow) -> Converted:
    props = _properties(got("properties"), slow)
    at, on = _instants(got("occurred_at"), "occurred_at", ctx, slow)
    channel = _channels(got("channel"), props, ctx, slow)
    slow.update(i for i, code in enumerate(channel) if code is None)  # a channel is required
    columns: dict[str, list[Any]] = {
        "customer_ref": _identifiers(got("customer_ref"), slow),
        "occurred_at": at,
        "occurred_on": on,
        "channel": channel,
        "touchpoint": _texts(got("touchpoint"), 100, slow),
        "kind": _kinds(got("kind"), ctx, slow),
        "direct": _flags(got("direct"), slow),
        "amount": _amounts(got("amount"), slow),
        "properties": props,
    }
    return Converted(_keys(_identifiers(got("external_id"), slow), columns, slow), columns)


def _kinds(values: list[Any], ctx: RowContext, slow: Slow) -> list[str]:
    """Kind codes from the vocabulary, else the name in lower case; none sent: a visit."""
    codes: dict[str, str] = {}
    found: list[str] = []
    for value in _texts(values, 64, slow):
        if type(value) is not str:
            found.append("visit")
            continue
        code = codes.get(value)
        if code is None:
            code = codes[value] = ctx.vocab.kinds.get(normalize_word(value), value.lower())
        found.append(code or "visit")
    return found


def _flags(values: list[Any], slow: Slow) -> list[bool]:
    """JSON booleans (none sent: true, a direct interaction); anything else: row path."""
    found: list[bool] = []
    for i, value in enumerate(values):
        if value is None or type(value) is bool:
            found.append(value is not False)
        else:
            slow.add(i)
            found.append(True)
    return found


def _amounts(values: list[Any], slow: Slow) -> list[float | None]:
    """Amounts sent as JSON numbers under 10^12, to the cent."""
    found: list[float | None] = []
    for i, value in enumerate(values):
        kind = type(value)
        if value is None:
            found.append(None)
        elif (kind is int or kind is float) and abs(value) < 1e12:
            found.append(round(float(value), 2))
        else:
            slow.add(i)
            found.append(None)
    return found


# --- the row as sent, and rows for the row path ----------------------------------------


def _digests(plan: Plan, columns: Sequence[Column], n: int, slow: Slow) -> list[str]:
    """`block.digest_cells` of each record (as sent) the row path does not take (it makes
    its own), built from per-field parts."""
    if len(slow) == n:
        return [""] * n
    parts = [_parts(column) for column in columns]
    signature = plan.signature
    md5 = _MD5
    return [
        ""
        if i in slow
        else md5((signature + "\x1f".join(row)).encode(), usedforsecurity=False).hexdigest()
        for i, row in enumerate(zip(*parts, strict=True))
    ]


def _parts(column: Column) -> Sequence[str]:
    kinds = set(map(type, column))
    if kinds == {str}:
        return column
    if kinds == {type(None)}:
        return ["\x00"] * len(column)
    if kinds <= _WHOLE:
        return ["\x00" if v is None else str(v) for v in column]
    return [v if type(v) is str else "\x00" if v is None else _part(v) for v in column]


def _part(value: Any) -> str:
    """How `digest_cells` writes a value that is not text (after `as_sent`)."""
    value = as_sent(value)
    if isinstance(value, dict | list):
        return _JSON.encode(value)
    return str(value)


def _settle(
    fast: Converted,
    hashes: list[str],
    slow: Slow,
    columns: Sequence[Column],
    plan: Plan,
    ctx: RowContext,
    first_line: int,
) -> tuple[Block, list[Rejection]]:
    """The block of valid records with the row path's verdict on the `slow` ones."""
    n = len(hashes)
    rejected: list[Rejection] = []
    dropped: set[int] = set()
    done: dict[int, Prepared] = {}
    for i in sorted(slow):
        cells = tuple(as_sent(column[i]) for column in columns)
        entry = convert_entry(first_line + i, cells, plan, ctx)
        if isinstance(entry, Rejection):
            rejected.append(entry)
            dropped.add(i)
        else:
            done[i] = entry
    if not fast.columns:  # no fast path: every record came back from the row path
        return Block.of([done[i] for i in range(n) if i in done]), rejected
    keys, named = fast.keys, fast.columns
    for i, row in done.items():
        keys[i], hashes[i] = row.key, row.content_hash
        for name, value in row.values.items():
            named[name][i] = value
    keep = [i for i in range(n) if i not in dropped]
    if len(keep) == n:
        lines = list(range(first_line, first_line + n))
        return Block(lines, keys, hashes, dict(named)), rejected
    return (
        Block(
            [first_line + i for i in keep],
            [keys[i] for i in keep],
            [hashes[i] for i in keep],
            {name: [column[i] for i in keep] for name, column in named.items()},
        ),
        rejected,
    )


_FAST: dict[str, Callable[[Picked, RowContext, Slow], Converted]] = {
    "feedback": _feedback,
    "interactions": _interactions,
}
