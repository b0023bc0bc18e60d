"""The batch API's field-at-a-time conversion gives, record for record, what the row path gives.

Records are made the way the routes make them (every field present, None when absent) from
values a careful or careless client sends: scores as numbers, as text, as booleans, NaN or
too large; dates in ISO 8601 or Japanese forms or none; ids in full-width digits or too
long; properties as an object, as JSON text, nested too deep, with a NUL; unknown channels.
For each record the fast path's verdict (key, stored values, content hash; or the reason it
is refused) must equal `fields.convert_entry`'s on the same record.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from kizuna.ingest.block import Block, Prepared, Rejection, digest_cells
from kizuna.ingest.fields import RowContext, build_plan, convert_entry
from kizuna.ingest.records import FEEDBACK, INTERACTIONS, convert_records
from kizuna.ingest.values import DateParser, as_sent
from kizuna.ingest.vocabulary import Target, vocabulary

FEEDBACK_FIELDS = (
    "external_id",
    "channel",
    "touchpoint",
    "customer_ref",
    "received_at",
    "text",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "properties",
)
INTERACTION_FIELDS = (
    "external_id",
    "customer_ref",
    "occurred_at",
    "channel",
    "touchpoint",
    "kind",
    "direct",
    "amount",
    "properties",
)


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"k": value}
    return value


DATES = [
    "2025-04-01T10:30:00+09:00",
    "2025-04-01T10:30:00Z",
    "2025-04-01T10:30:00",
    "2025-04-01 10:30",
    "2025/4/1 10:30",
    "2025-04-01",
    "2025年4月1日",
    "令和7年4月1日",
    "２０２５-０４-０１",
    "2025-02-30",
    " 2025-04-01T10:30:00+09:00 ",
    "2025-03-09T02:30:00",
    "yesterday",
    "",
    "   ",
    None,
    7,
]
TEXTS = ["とても良かった", "  spaced  ", "", "   ", None, "a\u0000b", "\ud800x", 5, "長" * 300]
IDS = ["F-1", "Ｆ－０１", "  F-2 ", "", None, "x" * 201, "x" * 200, 42, "id\u0000", "F-1"]
SCORES = [None, 0, 5, 9, 10, 11, -1, "7", "７", " 8 ", "", True, False, 7.0, 7.5, math.nan]
SCORES += [math.inf, 2**70, "nine", 3]
RATINGS = [None, 1, 4.5, 5, 5.5, 0, "4", True, math.nan, -math.inf, 3.25, "", 10**30]
CHANNELS = ["web", "LINE", "店舗", " web ", "carrier pigeon", "", None, 12, "ウェブ", "Web"]
CHANNELS += [{"name": "web"}, ["web"]]
PROPERTIES: list[Any] = [
    None,
    {},
    {"store": "渋谷"},
    {"channel_raw": "mine", "n": [1, 2, {"a": None}]},
    _deep(30),
    {"a\u0000": 1},
    {"x": "\udfff"},
    ["not", "an", "object"],
    '{"as": "text"}',
    {"big": "x" * 70_000},
    {"z": 1, "a": 2},
]
KINDS = ["purchase", "購入", "Visit", "", None, "something new", "x" * 65, 3]
FLAGS = [None, True, False, 1, 0, "yes", "はい", 2, 1.0]
AMOUNTS = [None, 0, 1500, 12.345, -3.5, "1,500", "¥2,000", True, math.nan, 1e12, -1e12]
AMOUNTS += [999_999_999_999.99, 2**70, "", "abc", 10**400]


def _feedback_record(rng: random.Random, i: int) -> dict[str, Any]:
    plain = rng.random() < 0.5  # half of them the common, well-formed kind
    return {
        "external_id": f"F-{i}" if plain else rng.choice(IDS),
        "channel": rng.choice(CHANNELS[:3] if plain else CHANNELS),
        "touchpoint": rng.choice([None, "checkout", " app "] + ([] if plain else ["x" * 101])),
        "customer_ref": rng.choice([f"C{i}", None, "Ｃ０１"] + ([] if plain else ["y" * 201])),
        "received_at": DATES[0] if plain else rng.choice(DATES),
        "text": rng.choice(TEXTS[:2] if plain else TEXTS),
        "language": rng.choice([None, "ja", "en"] + ([] if plain else ["toolonglanguage"])),
        "nps": rng.randint(0, 10) if plain else rng.choice(SCORES),
        "csat": rng.choice([None, 1, 5] if plain else SCORES),
        "ces": rng.choice([None, 7] if plain else SCORES),
        "rating": rng.choice([None, 4.5] if plain else RATINGS),
        "properties": rng.choice(PROPERTIES[:3] if plain else PROPERTIES),
    }


def _interaction_record(rng: random.Random, i: int) -> dict[str, Any]:
    plain = rng.random() < 0.5
    return {
        "external_id": f"T-{i}" if plain else rng.choice(IDS),
        "customer_ref": rng.choice([f"C{i}", None, "Ｃ０１"]),
        "occurred_at": DATES[0] if plain else rng.choice(DATES),
        "channel": rng.choice(CHANNELS[:3] if plain else CHANNELS),
        "touchpoint": rng.choice([None, "register"] + ([] if plain else ["x" * 101])),
        "kind": rng.choice(KINDS[:2] if plain else KINDS),
        "direct": rng.choice(FLAGS[:3] if plain else FLAGS),
        "amount": rng.choice(AMOUNTS[:3] if plain else AMOUNTS),
        "properties": rng.choice(PROPERTIES[:3] if plain else PROPERTIES),
    }


def _row_path(
    target: Target, fields: tuple[str, ...], records: list[dict[str, Any]]
) -> list[Prepared | Rejection]:
    ctx = RowContext(target, vocabulary(), DateParser("Asia/Tokyo"))
    plan = build_plan(target, fields, vocabulary())
    return [
        convert_entry(line, tuple(as_sent(v) for v in record.values()), plan, ctx)
        for line, record in enumerate(records, start=1)
    ]


def _fast_path(
    target: Target, fields: tuple[str, ...], records: list[dict[str, Any]]
) -> tuple[Block, list[Rejection]]:
    ctx = RowContext(target, vocabulary(), DateParser("Asia/Tokyo"))
    plan = build_plan(target, fields, vocabulary())
    columns = [[record[f] for record in records] for f in fields]
    return convert_records(columns, plan, ctx)


def _same_verdicts(
    expected: list[Prepared | Rejection], block: Block, rejected: list[Rejection]
) -> None:
    kept = [e for e in expected if isinstance(e, Prepared)]
    refused = [e for e in expected if isinstance(e, Rejection)]
    assert block.lines == [e.line for e in kept]
    for index, row in enumerate(kept):
        assert block.keys[index] == row.key, row.line
        assert block.hashes[index] == row.content_hash, row.line
        assert block.row(index) == row.values, row.line
        assert list(block.row(index)) == list(row.values)  # the writer's column order
    assert [(r.line, r.why.code, r.why.en, r.why.ja, r.raw) for r in rejected] == [
        (r.line, r.why.code, r.why.en, r.why.ja, r.raw) for r in refused
    ]


@pytest.mark.parametrize("seed", range(6))
def test_feedback_records_convert_as_the_row_path_converts_them(seed: int) -> None:
    rng = random.Random(seed)
    records = [_feedback_record(rng, i) for i in range(300)]
    block, rejected = _fast_path("feedback", FEEDBACK_FIELDS, records)
    expected = _row_path("feedback", FEEDBACK_FIELDS, records)
    _same_verdicts(expected, block, rejected)
    assert list(block.columns) == list(FEEDBACK)
    assert rejected and len(block) > 100  # both kinds of verdict were exercised


@pytest.mark.parametrize("seed", range(6))
def test_interaction_records_convert_as_the_row_path_converts_them(seed: int) -> None:
    rng = random.Random(seed)
    records = [_interaction_record(rng, i) for i in range(300)]
    block, rejected = _fast_path("interactions", INTERACTION_FIELDS, records)
    expected = _row_path("interactions", INTERACTION_FIELDS, records)
    _same_verdicts(expected, block, rejected)
    assert list(block.columns) == list(INTERACTIONS)
    assert rejected and len(block) > 100


def test_the_content_hash_is_the_row_as_sent() -> None:
    """Sent again unchanged it matches; any edit, even a type (9 vs "9"), changes nothing
    that the row path would not change."""
    base = {
        "external_id": "F-1",
        "channel": "web",
        "touchpoint": None,
        "customer_ref": None,
        "received_at": "2025-04-01T10:30:00+09:00",
        "text": "良い",
        "language": None,
        "nps": 9,
        "csat": None,
        "ces": None,
        "rating": 4.5,
        "properties": {"b": 1, "a": [1, "x"]},
    }
    plan = build_plan("feedback", FEEDBACK_FIELDS, vocabulary())
    block, _ = _fast_path("feedback", FEEDBACK_FIELDS, [base, {**base, "text": "良い!"}])
    assert block.hashes[0] == digest_cells(plan.signature, tuple(base.values()))
    assert block.hashes[0] != block.hashes[1]


def test_records_without_an_id_are_keyed_by_their_content() -> None:
    record = dict.fromkeys(FEEDBACK_FIELDS)
    record.update(received_at="2025-04-01T10:30:00+09:00", nps=9)
    block, rejected = _fast_path("feedback", FEEDBACK_FIELDS, [record, dict(record)])
    assert not rejected
    assert block.keys[0] == block.keys[1] and block.keys[0].startswith("auto-")
    expected = _row_path("feedback", FEEDBACK_FIELDS, [record])[0]
    assert isinstance(expected, Prepared) and expected.key == block.keys[0]


def test_other_shapes_take_the_row_path_with_the_same_results() -> None:
    """A key the vocabulary does not know (kept in properties) and customers: row path."""
    fields = ("received_at", "nps", "店舗コード")
    records = [
        {"received_at": "2025-04-01", "nps": 9, "店舗コード": "S-1"},
        {"received_at": "2025-04-01", "nps": 11, "店舗コード": ""},
    ]
    block, rejected = _fast_path("feedback", fields, records)
    _same_verdicts(_row_path("feedback", fields, records), block, rejected)
    assert block.row(0)["properties"] == {"店舗コード": "S-1"}
    people = [{"external_id": "C1", "name": "山田"}, {"external_id": "", "name": "x"}]
    block, rejected = _fast_path("customers", ("external_id", "name"), people)
    _same_verdicts(_row_path("customers", ("external_id", "name"), people), block, rejected)
    assert [r.why.code for r in rejected] == ["missing_field"]


ZONED = [
    "2025-04-01T10:30:00+09:00",
    "2025-04-01T10:30:00Z",
    "2025-04-01T23:59:59.999999-05:00",
    "2025-03-09T06:59:00+00:00",  # 01:59 in New York, a minute before the clocks go forward
    "2025-03-09T07:00:00+00:00",  # 03:00 there: 02:xx never happens
    "2025-11-02T05:30:00+00:00",  # 01:30 there, the first of the two
    "2025-11-02T06:30:00+00:00",  # 01:30 there again, after the clocks go back
    "2025-12-31T20:00:00-10:00",  # already next year in Tokyo
    "0001-01-01T00:00:00+09:00",  # before the first instant Python has
    "9999-12-31T23:00:00-05:00",  # after the last
    "2025-04-01T10:30+05:30",
]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize("column", [ZONED, ZONED[:8], [*ZONED[:3], "2025-04-01T10:30:00"]])
def test_a_column_of_zoned_dates_reads_as_each_date_alone(zone: str, column: list[str]) -> None:
    """Dates with a zone are read a whole column at a time (`DateParser.at_iso_all`); the
    instants, days and verdicts are the row path's, in a zone with DST and one without,
    around the DST changes and past the ends of Python's calendar; one date without a zone
    sends the column the row way."""
    records = [
        {**dict.fromkeys(FEEDBACK_FIELDS), "external_id": f"F-{i}", "nps": 9, "received_at": at}
        for i, at in enumerate(column)
    ]
    ctx = RowContext("feedback", vocabulary(), DateParser(zone))
    plan = build_plan("feedback", FEEDBACK_FIELDS, vocabulary())
    block, rejected = convert_records([[r[f] for r in records] for f in FEEDBACK_FIELDS], plan, ctx)
    expected = [
        convert_entry(
            line,
            tuple(record.values()),
            plan,
            RowContext("feedback", vocabulary(), DateParser(zone)),
        )
        for line, record in enumerate(records, start=1)
    ]
    _same_verdicts(expected, block, rejected)
    whole = DateParser(zone).at_iso_all(column)
    assert (whole is not None) == (column == ZONED[:8])
