"""A segment's voice rows kept per day with the rollups: summed for any set of customers they
equal the rows counted from those customers' voices now, voices and topics, and follow a
voice changed in place."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd
import pytest
from dashboard_support import Demo, build_analysed_demo
from sqlalchemy import select, update

from kizuna import Kizuna
from kizuna.customers.models import Customer
from kizuna.feedback.models import Feedback
from kizuna.reports.rollup_counts import DAY_COUNTS, DIMENSIONS, TOPIC_COUNTS, voice_frames
from kizuna.reports.rollups import mark_days_dirty, refresh_rollups, voice_rows
from kizuna.reports.segment_days import voice_day_frames

FIRST, LAST = dt.date(2025, 11, 1), dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    made = build_analysed_demo(kz, "segdays")
    with kz.session() as session:
        refresh_rollups(session, made.workspace.id)
    return made


def _members(kz: Kizuna, demo: Demo, seed: int) -> list[int]:
    with kz.session() as session:
        ids = list(
            session.scalars(select(Customer.id).where(Customer.workspace_id == demo.workspace.id))
        )
    return sorted(random.Random(seed).sample(ids, len(ids) // 2))


def _counted_now(kz: Kizuna, demo: Demo, members: list[int]) -> tuple[pd.DataFrame, ...]:
    """The members' voices read and counted as the rollups count them, summed by day and
    dimensions (and topic)."""
    with kz.session() as session:
        rows = list(
            voice_rows(
                session,
                demo.workspace.id,
                Feedback.received_on >= FIRST,
                Feedback.received_on <= LAST,
                Feedback.customer_id.in_(members),
            )
        )
    return _summed(*voice_frames(rows))


def _kept(kz: Kizuna, demo: Demo, members: list[int]) -> tuple[pd.DataFrame, ...]:
    with kz.session() as session:
        return voice_day_frames(session, demo.workspace.id, FIRST, LAST, members)


def _summed(days: pd.DataFrame, topics: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    return (
        days.groupby(["day", *DIMENSIONS], as_index=False)[list(DAY_COUNTS)].sum(),
        topics.groupby(["day", *DIMENSIONS, "topic"], as_index=False)[list(TOPIC_COUNTS)].sum(),
    )


def _same(mine: pd.DataFrame, theirs: pd.DataFrame, keys: list[str]) -> None:
    assert len(mine) == len(theirs) > 0
    order = [*keys, *(c for c in theirs.columns if c not in keys)]
    left = mine[order].sort_values(keys).reset_index(drop=True)
    right = theirs[order].sort_values(keys).reset_index(drop=True)
    for name in order:
        a, b = left[name].tolist(), right[name].tolist()
        if name in ("sentiment_sum", "delight_sum"):
            assert a == pytest.approx(b), name
        else:
            assert a == b, name


def _compare(kz: Kizuna, demo: Demo, members: list[int]) -> Any:
    days, topics = _summed(*_kept(kz, demo, members))
    now_days, now_topics = _counted_now(kz, demo, members)
    _same(days, now_days, ["day", *DIMENSIONS])
    _same(topics, now_topics, ["day", *DIMENSIONS, "topic"])
    return days


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_rows_equal_the_voices_counted_now(kz: Kizuna, demo: Demo, seed: int) -> None:
    days = _compare(kz, demo, _members(kz, demo, seed))
    assert days["nps_n"].sum() > 50 and days["analysed"].sum() > 50


def test_kept_rows_follow_a_voice_changed_in_place(kz: Kizuna, demo: Demo) -> None:
    members = _members(kz, demo, 3)
    with kz.session() as session:
        voice = session.execute(
            select(Feedback.id, Feedback.nps)
            .where(
                Feedback.workspace_id == demo.workspace.id,
                Feedback.customer_id.in_(members),
                Feedback.received_on >= FIRST,
                Feedback.received_on <= LAST,
                Feedback.nps.is_not(None),
                Feedback.source != "employee",
            )
            .limit(1)
        ).one()
    before = int(_kept(kz, demo, members)[0]["promoters"].sum())
    with kz.session() as session:
        session.execute(
            update(Feedback).where(Feedback.id == voice.id).values(nps=0 if voice.nps >= 9 else 10)
        )
        mark_days_dirty(session, demo.workspace.id, [voice.id])  # what `voice.recorded` runs
        refresh_rollups(session, demo.workspace.id)
    after = int(_compare(kz, demo, members)["promoters"].sum())
    assert after == before + (-1 if voice.nps >= 9 else 1)


def test_customers_without_voices_have_empty_frames(kz: Kizuna, demo: Demo) -> None:
    days, topics = _kept(kz, demo, [])
    assert days.empty and topics.empty
    assert {"day", *DIMENSIONS, *DAY_COUNTS} <= set(days.columns)
    assert {"topic", *TOPIC_COUNTS} <= set(topics.columns)


def test_rows_summed_by_some_dimensions_equal_the_voices_counted_now(
    kz: Kizuna, demo: Demo
) -> None:
    members = _members(kz, demo, 4)
    now_days, now_topics = _counted_now(kz, demo, members)
    by = ("channel", "language")
    with kz.session() as session:
        days, topics = voice_day_frames(session, demo.workspace.id, FIRST, LAST, members, by=by)
    keys = ["day", *by]
    _same(days, now_days.groupby(keys, as_index=False)[list(DAY_COUNTS)].sum(), keys)
    topic_keys = [*keys, "topic"]
    expected = now_topics.groupby(topic_keys, as_index=False)[list(TOPIC_COUNTS)].sum()
    _same(topics, expected, topic_keys)
    assert len(days) < len(now_days)


def test_a_day_with_more_distinct_values_than_16_bits_hold_is_kept_whole() -> None:
    """70,000 stores on one day: their codes are packed in 32 bits, none wraps round."""
    from kizuna.reports.segment_days import _pack, _unpack

    n = 70_000
    frame = pd.DataFrame(
        {
            **{name: [""] * n for name in DIMENSIONS if name != "store"},
            "store": [f"store-{i}" for i in range(n)],
            **{name: [1] * n for name in DAY_COUNTS},
        }
    )
    packed = _unpack(_pack(frame, "voices"), "voices")
    values, codes = packed.keys["store"]
    assert [values[c] for c in codes[[0, 65_536, n - 1]]] == [
        "store-0",
        "store-65536",
        "store-69999",
    ]
