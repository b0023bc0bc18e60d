"""One condition language: the same answer from one row of facts, a pandas frame and SQL,
the same missing-value rule everywhere, and bad conditions refused naming the condition."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from kizuna.analytics.conditions import (
    FieldSpec,
    compile_sql,
    evaluate_frame,
    impossible,
    matches,
    validate_conditions,
)
from kizuna.errors import InvalidInput

FIELDS = {
    "nps": FieldSpec("number", 0, 10),
    "channel": FieldSpec("code", values=("web", "store", "app")),
    "topics": FieldSpec("list", values=("room", "staff", "food")),
    "text": FieldSpec("words"),
    "vip": FieldSpec("bool"),
}
CONDITIONS: list[Any] = [
    [{"field": "nps", "op": "lte", "value": 6}],
    [{"field": "nps", "op": "ne", "value": 5}],
    [{"field": "nps", "op": "in", "value": [0, 1, 10]}],
    [{"field": "nps", "op": "not_in", "value": [0, 1, 10]}],
    [{"field": "nps", "op": "is_null"}],
    [{"field": "channel", "op": "eq", "value": "web"}, {"field": "nps", "op": "gt", "value": 3}],
    {
        "any": [
            {"field": "channel", "op": "ne", "value": "web"},
            {"field": "nps", "op": "lt", "value": 2},
        ]
    },
    {"not": {"field": "topics", "op": "contains", "value": "room"}},
    [{"field": "topics", "op": "contains_any", "value": ["staff", "food"]}],
    [{"field": "topics", "op": "not_contains", "value": "staff"}],
    [{"field": "text", "op": "has_words", "value": ["最悪", "Dirty"]}],
    [{"field": "text", "op": "not_has_words", "value": ["最悪"]}],
    [{"field": "vip", "op": "eq", "value": True}],
]


def facts(seed: int, n: int = 300) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        rows.append(
            {
                "nps": rng.choice([None, *range(11)]),
                "channel": rng.choice([None, "web", "store", "app"]),
                "topics": rng.choice([None, [], ["room"], ["staff", "food"], ["room", "staff"]]),
                "text": rng.choice([None, "最悪の部屋", "the room was dirty", "とても良い"]),
                "vip": rng.choice([True, False]),
            }
        )
    return rows


@pytest.mark.parametrize("condition", CONDITIONS, ids=[str(i) for i in range(len(CONDITIONS))])
def test_one_row_a_frame_and_sql_give_the_same_answer(condition: Any) -> None:
    rows = facts(3)
    checked = validate_conditions(condition, FIELDS)
    by_row = [matches(checked, row) for row in rows]
    frame = pd.DataFrame(
        [{**r, "topics": frozenset(r["topics"]) if r["topics"] is not None else None} for r in rows]
    )
    assert list(evaluate_frame(checked, frame)) == by_row
    engine = create_engine("sqlite://")
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("nps", Float),
        Column("channel", String),
        Column("topics", JSON),
        Column("text", String),
        Column("vip", Integer),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table), [{"id": i, **r, "vip": int(r["vip"])} for i, r in enumerate(rows)]
        )
        found = set(
            conn.scalars(
                select(table.c.id).where(compile_sql(checked, lambda f: table.c[f], "sqlite"))
            )
        )
    assert found == {i for i, hit in enumerate(by_row) if hit}


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ([{"field": "shoe_size", "op": "eq", "value": 1}], "項目"),
        ([{"field": "nps", "op": "contains", "value": 1}], "演算子"),
        ([{"field": "nps", "op": "gte", "value": "high"}], "数値"),
        ([{"field": "channel", "op": "in", "value": []}], "リスト"),
        ([{"field": "vip", "op": "eq", "value": "yes"}], "true か false"),
        ({"all": []}, "空でない"),
    ],
)
def test_bad_conditions_are_refused_naming_the_condition(condition: Any, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_conditions(condition, FIELDS)
    assert words in refused.value.message("ja")
    assert "Condition 1" in refused.value.message("en")


def test_conditions_that_can_never_hold_are_found() -> None:
    assert impossible([{"field": "nps", "op": "gte", "value": 11}], FIELDS) is not None
    clash = impossible(
        [{"field": "nps", "op": "gte", "value": 9}, {"field": "nps", "op": "lte", "value": 6}],
        FIELDS,
    )
    assert clash is not None and "1, 2" in clash.en
    assert impossible([{"field": "channel", "op": "eq", "value": "fax"}], FIELDS) is not None
    assert impossible(
        [
            {"field": "channel", "op": "eq", "value": "web"},
            {"field": "channel", "op": "ne", "value": "web"},
        ],
        FIELDS,
    )
    assert (
        impossible(
            {
                "any": [
                    {"field": "nps", "op": "gt", "value": 10},
                    {"field": "nps", "op": "eq", "value": 3},
                ]
            },
            FIELDS,
        )
        is None
    )
    assert (
        impossible(
            [{"field": "nps", "op": "gte", "value": 6}, {"field": "nps", "op": "lte", "value": 6}],
            FIELDS,
        )
        is None
    )
