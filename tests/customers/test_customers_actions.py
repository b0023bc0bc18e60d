"""Next best actions on hand-made customers: each rule fires when it should, and only then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.analytics.actions import fill_text, load_action_rules, parse_action_rules
from kizuna.customers.actions import action_worklist, days_to_birthday, next_best_actions
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.errors import InvalidInput, NotFound

AS_OF = dt.date(2026, 11, 1)
UTC = dt.UTC


def add_customer(
    kz: Kizuna, ws: Workspace, key: str, score: dict[str, Any] | None = None, **attrs: Any
) -> int:
    with kz.session() as session:
        customer = Customer(workspace_id=ws.id, external_id=key, **attrs)
        session.add(customer)
        session.flush()
        if score is not None:
            session.add(
                CustomerScore(
                    workspace_id=ws.id,
                    customer_id=customer.id,
                    as_of=AS_OF,
                    model_version="test",
                    **score,
                )
            )
        return customer.id


def add_purchase(kz: Kizuna, ws: Workspace, customer_id: int, day: dt.date, key: str) -> None:
    with kz.session() as session:
        session.add(
            Interaction(
                workspace_id=ws.id,
                source="shop",
                external_id=key,
                customer_id=customer_id,
                occurred_at=dt.datetime.combine(day, dt.time(3), UTC),
                occurred_on=day,
                channel="web",
                kind="purchase",
                amount=5000.0,
            )
        )


def codes(kz: Kizuna, ws: Workspace, customer_id: int) -> list[str]:
    with kz.session() as session:
        return [a.code for a in next_best_actions(session, ws, customer_id, as_of=AS_OF)]


def test_high_value_detractor_gets_a_call_within_a_day(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    hit = add_customer(kz, w, "a", {"nps_last": 5, "clv_percentile": 95.0, "clv_12m": 9e4})
    promoter = add_customer(kz, w, "b", {"nps_last": 7, "clv_percentile": 95.0})
    small = add_customer(kz, w, "c", {"nps_last": 3, "clv_percentile": 50.0})
    with kz.session() as session:
        found = next_best_actions(session, w, hit, as_of=AS_OF)
    assert found[0].code == "call_detractor_high_value"
    assert found[0].due_within_hours == 24 and found[0].priority == 1
    assert "5点" in found[0].reason_ja and "NPS was 5" in found[0].reason_en
    assert "call_detractor_high_value" not in codes(kz, w, promoter)
    assert "call_detractor_high_value" not in codes(kz, w, small)


def test_birthday_within_a_week_suggests_a_surprise(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    soon = add_customer(kz, w, "a", birthday=dt.date(1990, 11, 4))
    later = add_customer(kz, w, "b", birthday=dt.date(1990, 11, 12))
    passed = add_customer(kz, w, "c", birthday=dt.date(1990, 10, 30))
    assert codes(kz, w, soon) == ["birthday_surprise"]
    assert codes(kz, w, later) == []
    assert codes(kz, w, passed) == []
    assert days_to_birthday(dt.date(2000, 2, 29), dt.date(2027, 2, 20)) == 8
    assert days_to_birthday(dt.date(1990, 12, 31), dt.date(2026, 12, 31)) == 0


def test_life_stage_change_suggests_a_relevant_offer(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    changed = add_customer(
        kz, w, "a", life_stage="couple", attributes={"previous_life_stage": "single"}
    )
    same = add_customer(
        kz, w, "b", life_stage="single", attributes={"previous_life_stage": "single"}
    )
    unknown = add_customer(kz, w, "c", life_stage="couple")
    with kz.session() as session:
        (offer,) = next_best_actions(session, w, changed, as_of=AS_OF)
    assert offer.code == "life_stage_offer"
    assert "single" in offer.reason_en and "couple" in offer.reason_ja
    assert codes(kz, w, same) == [] and codes(kz, w, unknown) == []


def test_first_purchase_within_two_weeks_gets_onboarding(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    fresh = add_customer(kz, w, "a")
    add_purchase(kz, w, fresh, AS_OF - dt.timedelta(days=5), "p1")
    old = add_customer(kz, w, "b")
    add_purchase(kz, w, old, AS_OF - dt.timedelta(days=40), "p2")
    add_purchase(kz, w, old, AS_OF - dt.timedelta(days=2), "p3")
    # A record merged into `merged` bought long ago: the person is not new.
    merged = add_customer(kz, w, "c")
    absorbed = add_customer(kz, w, "d", merged_into_id=merged)
    add_purchase(kz, w, merged, AS_OF - dt.timedelta(days=3), "p4")
    add_purchase(kz, w, absorbed, AS_OF - dt.timedelta(days=200), "p5")
    assert codes(kz, w, fresh) == ["onboarding_follow_up"]
    assert codes(kz, w, old) == []
    assert codes(kz, w, absorbed) == [] == codes(kz, w, merged)


def test_valuable_customer_at_risk_gets_a_win_back_offer(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    risky = add_customer(kz, w, "a", {"churn_probability": 0.8, "clv_percentile": 80.0})
    at_risk = add_customer(kz, w, "b", {"clv_percentile": 85.0}, lifecycle_stage="at-risk")
    safe = add_customer(
        kz, w, "c", {"churn_probability": 0.2, "clv_percentile": 80.0}, lifecycle_stage="active"
    )
    cheap = add_customer(kz, w, "d", {"churn_probability": 0.9, "clv_percentile": 30.0})
    assert codes(kz, w, risky) == ["win_back"] == codes(kz, w, at_risk)
    assert codes(kz, w, safe) == [] == codes(kz, w, cheap)


def test_work_list_is_most_urgent_first_and_filters_by_code(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    birthday = add_customer(kz, w, "a", birthday=dt.date(1980, 11, 2))
    call_small = add_customer(kz, w, "b", {"nps_last": 2, "clv_percentile": 91.0, "clv_12m": 1e4})
    call_big = add_customer(kz, w, "c", {"nps_last": 4, "clv_percentile": 99.0, "clv_12m": 9e4})
    with kz.session() as session:
        found = action_worklist(session, w, as_of=AS_OF)
        limited = action_worklist(session, w, as_of=AS_OF, limit=1)
        only = action_worklist(session, w, as_of=AS_OF, codes=["birthday_surprise"])
    assert [a.customer_id for a in found] == [call_big, call_small, birthday]
    assert [a.customer_id for a in limited] == [call_big]
    assert [a.customer_id for a in only] == [birthday]


def test_the_work_list_holds_exactly_each_customers_own_actions(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    """The list evaluates each rule over every customer at once; it must say what each
    customer's own profile says, reasons filled in, for every rule that fires."""
    w = ws.workspace
    people = [
        add_customer(kz, w, "a", birthday=dt.date(1980, 11, 3)),
        add_customer(kz, w, "b", {"nps_last": 3, "clv_percentile": 95.0, "clv_12m": 5e4}),
        add_customer(kz, w, "c", {"churn_probability": 0.7, "clv_percentile": 90.0}),
        add_customer(kz, w, "d", life_stage="family", attributes={"previous_life_stage": "couple"}),
        add_customer(kz, w, "e", {"nps_last": 10, "clv_percentile": 10.0}),
        add_customer(kz, w, "f", attributes=["not", "a", "mapping"]),
    ]
    add_purchase(kz, w, people[4], AS_OF - dt.timedelta(days=3), "p1")
    with kz.session() as session:
        listed = action_worklist(session, w, as_of=AS_OF, limit=1000)
        own = {c: next_best_actions(session, w, c, as_of=AS_OF) for c in people}
    assert sorted(listed, key=lambda a: (a.customer_id, a.code)) == sorted(
        (a for actions in own.values() for a in actions), key=lambda a: (a.customer_id, a.code)
    )
    assert {a.code for a in listed} >= {"birthday_surprise", "win_back", "life_stage_offer"}
    assert own[people[5]] == []


def test_a_workspace_can_bring_its_own_rules(kz: Kizuna, ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ws.workspace
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - code: thank_loyal\n    priority: 2\n    due_within_hours: null\n"
        "    when: {field: lifecycle_stage, op: eq, value: loyal}\n"
        "    title_ja: 感謝の連絡\n    title_en: Say thank you\n"
        "    reason_ja: ロイヤル顧客です\n    reason_en: 'Loyal since {purchases_total} buys'\n",
        encoding="utf-8",
    )
    loyal = add_customer(kz, w, "a", lifecycle_stage="loyal", birthday=dt.date(1990, 11, 2))
    with kz.session() as session:
        found = next_best_actions(session, w, loyal, as_of=AS_OF, rules=load_action_rules(rules))
    assert [a.code for a in found] == ["thank_loyal"]
    assert found[0].reason_en == "Loyal since 0 buys"
    texts = {k: "t" for k in ("title_ja", "title_en", "reason_ja", "reason_en")}
    bad = {"code": "x", "when": {"field": "a", "op": "like"}, **texts}
    with pytest.raises(InvalidInput, match="op"):
        parse_action_rules({"rules": [bad]})


def test_reasons_substitute_names_and_never_evaluate_code() -> None:
    assert fill_text("{x.__class__} {y:.0%} {z}", {"y": 0.25}) == "{x.__class__} 25% -"


def test_another_workspaces_customer_is_not_found(kz: Kizuna, ws, make_workspace) -> None:  # type: ignore[no-untyped-def]
    other = make_workspace()
    theirs = add_customer(kz, other.workspace, "a", birthday=dt.date(1990, 11, 2))
    with kz.session() as session, pytest.raises(NotFound):
        next_best_actions(session, ws.workspace, theirs, as_of=AS_OF)
    with kz.session() as session:
        assert action_worklist(session, ws.workspace, as_of=AS_OF) == []
