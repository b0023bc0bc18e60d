"""Segments: counts equal a hand count, bad conditions are refused in Japanese, scoped."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.analytics.conditions import MAX_LIST_VALUES
from kizuna.customers.models import Customer, CustomerScore
from kizuna.customers.segments import (
    count_customers,
    create_segment,
    delete_segment,
    list_segments,
    segment_customer_ids,
    update_segment,
)
from kizuna.errors import Conflict, InvalidInput, NotFound

PREFECTURES = ["東京都", "大阪府", "北海道"]
INTERESTS = ["読書", "旅行", "料理"]


def populate(kz: Kizuna, ws: Workspace, n: int, seed: int) -> list[dict[str, Any]]:
    """n customers with random attributes and scores (some without); every 7th is merged."""
    rng = random.Random(seed)
    people: list[dict[str, Any]] = []
    with kz.session() as session:
        for i in range(n):
            row = {
                "prefecture": rng.choice([*PREFECTURES, None]),
                "interests": rng.sample(INTERESTS, rng.randint(0, 2)),
                "consent_email": rng.random() < 0.5,
                "lifecycle_stage": rng.choice(["new", "loyal", "at-risk"]),
            }
            customer = Customer(workspace_id=ws.id, external_id=f"c{i}", **row)
            if i % 7 == 6:
                customer.merged_into_id = people[-1]["id"]
            session.add(customer)
            session.flush()
            scores = None
            if i % 5 != 0:
                scores = {
                    "clv_percentile": round(rng.uniform(0, 100), 1),
                    "churn_probability": round(rng.random(), 3),
                    "nps_last": rng.choice([None, *range(11)]),
                }
                session.add(
                    CustomerScore(
                        workspace_id=ws.id,
                        customer_id=customer.id,
                        as_of=dt.date(2026, 11, 1),
                        model_version="test",
                        **scores,
                    )
                )
            people.append({**row, "id": customer.id, "merged": i % 7 == 6, "score": scores or {}})
    return people


def hand_count(people: list[dict[str, Any]], test: Any) -> int:
    return sum(1 for p in people if not p["merged"] and test(p))


def test_counts_equal_a_hand_count(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    people = populate(kz, ws.workspace, 120, seed=3)
    cases: list[tuple[list[dict[str, Any]], Any]] = [
        ([], lambda p: True),
        (
            [{"field": "prefecture", "op": "eq", "value": "東京都"}],
            lambda p: p["prefecture"] == "東京都",
        ),
        (
            [{"field": "prefecture", "op": "ne", "value": "東京都"}],
            lambda p: p["prefecture"] != "東京都",
        ),
        (
            [{"field": "lifecycle_stage", "op": "in", "value": ["loyal", "new"]}],
            lambda p: p["lifecycle_stage"] in ("loyal", "new"),
        ),
        (
            [{"field": "interests", "op": "contains", "value": "旅行"}],
            lambda p: "旅行" in p["interests"],
        ),
        ([{"field": "consent_email", "op": "eq", "value": True}], lambda p: p["consent_email"]),
        (
            [
                {"field": "clv_percentile", "op": "gte", "value": 50},
                {"field": "churn_probability", "op": "lte", "value": 0.5},
            ],
            lambda p: (
                p["score"].get("clv_percentile", -1) >= 50
                and p["score"].get("churn_probability", 2) <= 0.5
            ),
        ),
        (
            [{"field": "nps_last", "op": "lte", "value": 6}],
            lambda p: p["score"].get("nps_last") is not None and p["score"]["nps_last"] <= 6,
        ),
    ]
    with kz.session() as session:
        for conditions, test in cases:
            expected = hand_count(people, test)
            assert count_customers(session, ws.workspace, conditions) == expected, conditions
        ids = segment_customer_ids(session, ws.workspace, cases[1][0], limit=1000)
    tokyo = sorted(p["id"] for p in people if not p["merged"] and p["prefecture"] == "東京都")
    assert ids == tokyo


def test_saved_segments_show_live_counts(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    people = populate(kz, ws.workspace, 40, seed=5)
    loyal = [{"field": "lifecycle_stage", "op": "eq", "value": "loyal"}]
    with kz.session() as session:
        segment = create_segment(session, ws.workspace, "ロイヤル", loyal)
        with pytest.raises(Conflict):
            create_segment(session, ws.workspace, "ロイヤル", loyal)
    with kz.session() as session:
        ((found, count),) = list_segments(session, ws.workspace)
    assert found.name == "ロイヤル"
    assert count == hand_count(people, lambda p: p["lifecycle_stage"] == "loyal")
    with kz.session() as session:
        session.add(
            Customer(workspace_id=ws.workspace.id, external_id="x", lifecycle_stage="loyal")
        )
    with kz.session() as session:
        assert list_segments(session, ws.workspace)[0][1] == count + 1
        renamed = update_segment(
            session,
            ws.workspace,
            segment.id,
            name="at risk",
            conditions=[{"field": "lifecycle_stage", "op": "eq", "value": "at-risk"}],
        )
        assert renamed.name == "at risk"
    with kz.session() as session:
        delete_segment(session, ws.workspace, segment.id)
        assert list_segments(session, ws.workspace) == []
        with pytest.raises(NotFound):
            delete_segment(session, ws.workspace, segment.id)


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({"field": "shoe_size", "op": "eq", "value": 25}, "項目"),
        ({"field": "clv_12m", "op": "contains", "value": 1}, "演算子"),
        ({"field": "clv_12m", "op": "gte", "value": "high"}, "数値"),
        ({"field": "prefecture", "op": "in", "value": []}, "リスト"),
        ({"field": "consent_email", "op": "eq", "value": "yes"}, "true か false"),
    ],
)
def test_bad_conditions_are_refused_with_a_japanese_reason(
    kz: Kizuna, ws, condition: dict[str, Any], words: str
) -> None:  # type: ignore[no-untyped-def]
    with kz.session() as session:
        with pytest.raises(InvalidInput) as raised:
            create_segment(session, ws.workspace, "bad", [condition])
        assert words in raised.value.message("ja")
        assert "Condition 1" in raised.value.message("en")
        with pytest.raises(InvalidInput):
            count_customers(session, ws.workspace, [condition])


def test_a_long_value_list_counts_up_to_the_bound_and_is_refused_beyond(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL takes 65,535 parameters a statement: a list of 100,000 values must answer
    with what to do, not a server error; a list at the bound still counts right."""
    people = populate(kz, ws.workspace, 40, seed=5)
    wanted = ["東京都", *(f"架空{i}" for i in range(MAX_LIST_VALUES - 1))]
    with kz.session() as session:
        at_bound = count_customers(
            session, ws.workspace, [{"field": "prefecture", "op": "in", "value": wanted}]
        )
        assert at_bound == hand_count(people, lambda p: p["prefecture"] == "東京都")
        huge = [{"field": "prefecture", "op": "in", "value": [f"p{i}" for i in range(100_000)]}]
        with pytest.raises(InvalidInput) as raised:
            count_customers(session, ws.workspace, huge)
        assert "タグ" in raised.value.message("ja")
        assert "at most 1,000" in raised.value.message("en")
        with pytest.raises(InvalidInput):
            create_segment(session, ws.workspace, "huge", huge)


def test_counts_and_segments_stay_in_their_workspace(kz: Kizuna, ws, make_workspace) -> None:  # type: ignore[no-untyped-def]
    other = make_workspace()
    populate(kz, other.workspace, 30, seed=9)
    mine = populate(kz, ws.workspace, 10, seed=1)
    with kz.session() as session:
        theirs = create_segment(session, other.workspace, "all", [])
        assert count_customers(session, ws.workspace, []) == hand_count(mine, lambda p: True)
        assert list_segments(session, ws.workspace) == []
        with pytest.raises(NotFound):
            update_segment(session, ws.workspace, theirs.id, name="mine now")


def test_segment_commands(monkeypatch: pytest.MonkeyPatch, settings, kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from kizuna.cli import app

    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    cli = CliRunner()
    people = populate(kz, ws.workspace, 20, seed=2)
    tokyo = '[{"field": "prefecture", "op": "eq", "value": "東京都"}]'
    expected = hand_count(people, lambda p: p["prefecture"] == "東京都")
    made = cli.invoke(app, ["customers", "segment", "create", "-w", ws.slug, "tokyo", tokyo])
    assert made.exit_code == 0, made.output
    assert f"{expected:,} customers" in made.output
    listed = cli.invoke(app, ["customers", "segment", "list", "-w", ws.slug])
    assert "tokyo" in listed.output
    with kz.session() as session:
        ((segment, _),) = list_segments(session, ws.workspace)
    shown = cli.invoke(app, ["customers", "segment", "show", "-w", ws.slug, str(segment.id)])
    assert shown.exit_code == 0 and f"{expected:,} customers" in shown.output
    bad = cli.invoke(app, ["customers", "segment", "create", "-w", ws.slug, "x", "[{"])
    assert isinstance(bad.exception, InvalidInput) and "JSON" in bad.exception.message("ja")
    gone = cli.invoke(app, ["customers", "segment", "delete", "-w", ws.slug, str(segment.id)])
    assert gone.exit_code == 0
    with kz.session() as session:
        assert list_segments(session, ws.workspace) == []
