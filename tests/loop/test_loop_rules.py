"""Rules: they fire from an imported voice and from a survey answer, once per voice (not
again on re-analysis), and a rule that can never match, names a missing field or would open
too many cases an hour is refused or held with the reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from loop_support import record, run_jobs
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.ingest.service import ingest_records
from kizuna.loop import rules as rule_service
from kizuna.loop.departments import create_department
from kizuna.loop.models import Case, Rule, RuleMatch, VoiceTag
from kizuna.text.service import reanalyze_workspace

DETRACTORS = [
    {"field": "nps_group", "op": "eq", "value": "detractor"},
    {"field": "negative_topics", "op": "contains_any", "value": ["room", "cleanliness", "staff"]},
]
NOW = dt.datetime.now(dt.UTC)


def recent(hours: float = 1) -> str:
    return (NOW - dt.timedelta(hours=hours)).isoformat()


def make_rule(kz: Kizuna, ws: Any, conditions: Any = DETRACTORS, **extra: Any) -> tuple[int, int]:
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        department = create_department(session, workspace, "客室係")
        rule = rule_service.create_rule(
            session,
            workspace,
            "客室への不満",
            conditions,
            [
                {"type": "open_case", "department_id": department.id, "priority": 2},
                {"type": "tag", "tag": "客室"},
            ],
            **extra,
        )
        rule_service.activate_rule(session, workspace, rule.id, force=True)
        return rule.id, department.id


def cases_of(kz: Kizuna, ws: Any) -> list[Case]:
    with kz.session() as session:
        return list(
            session.scalars(
                select(Case).where(Case.workspace_id == ws.workspace.id).order_by(Case.id)
            )
        )


def test_a_rule_fires_on_an_imported_voice_once_and_not_again_on_reanalysis(
    kz: Kizuna, ws: Any
) -> None:
    rule_id, department_id = make_rule(kz, ws)
    summary, _ = ingest_records(
        kz,
        ws.workspace,
        "feedback",
        [
            {
                "external_id": "imp-1",
                "received_at": recent(),
                "nps": 2,
                "text": "部屋が汚くて最悪でした。",
            },
            {
                "external_id": "imp-2",
                "received_at": recent(),
                "nps": 10,
                "text": "スタッフがとても親切でした。",
            },
        ],
        source="review",
    )
    assert summary.inserted == 2
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    (case,) = cases_of(kz, ws)
    assert (case.rule_id, case.department_id, case.priority, case.status) == (
        rule_id,
        department_id,
        2,
        "new",
    )
    assert "部屋が汚くて" in case.title and case.tags == ["客室"]
    assert case.first_response_due is not None and case.resolution_due is not None
    with kz.session() as session:
        tags = session.scalars(
            select(VoiceTag.tag).where(VoiceTag.workspace_id == ws.workspace.id)
        ).all()
    assert tags == ["客室"]
    # The text engine analyses everything again: voice.analyzed(reanalysis=True) fires nothing.
    assert reanalyze_workspace(kz, ws.workspace) == 2
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    assert len(cases_of(kz, ws)) == 1


def test_a_rule_fires_on_a_survey_answer_recorded_through_record_voice(kz: Kizuna, ws: Any) -> None:
    make_rule(
        kz,
        ws,
        [
            {"field": "source", "op": "eq", "value": "survey"},
            {"field": "nps", "op": "lte", "value": 6},
        ],
    )
    record(
        kz,
        ws.workspace,
        "answer-1",
        source="survey",
        nps=3,
        text="チェックインに30分も待たされました。",
        received_at=recent(),
    )
    record(
        kz,
        ws.workspace,
        "review-1",
        source="review",
        nps=3,
        text="チェックインが遅い。",
        received_at=recent(),
    )
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    (case,) = cases_of(kz, ws)
    assert "30分" in case.title


def test_the_same_voice_delivered_twice_opens_one_case(kz: Kizuna, ws: Any) -> None:
    from kizuna.loop.engine import active_rules, apply_rules

    make_rule(kz, ws)
    fid = record(kz, ws.workspace, "v1", nps=1, text="部屋が汚い。", received_at=recent())
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        again = apply_rules(
            session, None, workspace, active_rules(session, workspace, timed=False), [fid]
        )
    assert again.cases == [] and len(cases_of(kz, ws)) == 1


@pytest.mark.parametrize(
    ("conditions", "words"),
    [
        ([{"field": "nps", "op": "gte", "value": 11}], "決して一致しません"),
        (
            [{"field": "nps", "op": "gte", "value": 9}, {"field": "nps", "op": "lte", "value": 6}],
            "矛盾",
        ),
        ([{"field": "sentiment", "op": "eq", "value": "angry"}], "決して一致しません"),
        ([{"field": "shoe_size", "op": "eq", "value": 25}], "項目"),
        ([], "少なくとも1つの条件"),
    ],
)
def test_rules_that_can_never_match_or_name_missing_fields_are_refused(
    kz: Kizuna, ws: Any, conditions: Any, words: str
) -> None:
    with kz.session() as session, pytest.raises(InvalidInput) as refused:
        rule_service.create_rule(
            session, session.merge(ws.workspace), "x", conditions, [{"type": "tag", "tag": "x"}]
        )
    assert words in refused.value.message("ja")
    assert refused.value.message("en") != refused.value.message("ja")


def test_test_this_rule_shows_the_last_30_days_and_holds_a_rule_that_would_flood(
    kz: Kizuna, ws: Any
) -> None:
    for i in range(6):
        record(
            kz,
            ws.workspace,
            f"old-{i}",
            nps=2,
            text="部屋が汚い。",
            received_at=(NOW - dt.timedelta(days=40)).isoformat(),
        )
        record(kz, ws.workspace, f"new-{i}", nps=2, text="部屋が汚い。", received_at=recent(2))
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        department = create_department(session, workspace, "客室係")
        actions = [{"type": "open_case", "department_id": department.id}]
        result = rule_service.test_rule(session, workspace, DETRACTORS, actions, limit=5)
        assert (result.examined, result.matched, result.max_per_hour) == (6, 6, 6)
        assert result.too_many and result.samples[0]["text"] == "部屋が汚い。"
        rule = rule_service.create_rule(
            session, workspace, "flood", DETRACTORS, actions, max_cases_per_hour=5
        )
        held, _ = rule_service.activate_rule(session, workspace, rule.id)
        assert (held.status, held.hold_reason) == ("held", "rate")
        # A field with no values in 30 days (nobody was ever scored): held until forced.
        valuable = rule_service.create_rule(
            session,
            workspace,
            "valuable",
            [{"field": "clv_percentile", "op": "gte", "value": 90}],
            actions,
        )
        quiet, test = rule_service.activate_rule(session, workspace, valuable.id)
        assert (quiet.status, quiet.hold_reason, test.empty_fields) == (
            "held",
            "no_data",
            ["clv_percentile"],
        )
        forced, _ = rule_service.activate_rule(session, workspace, valuable.id, force=True)
        assert forced.status == "active"
    assert cases_of(kz, ws) == []  # testing opens nothing


def test_a_rule_that_reaches_its_hourly_limit_is_held_instead_of_flooding(
    kz: Kizuna, ws: Any
) -> None:
    rule_id, _ = make_rule(kz, ws, max_cases_per_hour=3)
    ingest_records(
        kz,
        ws.workspace,
        "feedback",
        [
            {"external_id": f"f{i}", "received_at": recent(), "nps": 1, "text": "部屋が汚い。"}
            for i in range(5)
        ],
        source="review",
    )
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    assert len(cases_of(kz, ws)) == 3
    with kz.session() as session:
        rule = session.get_one(Rule, rule_id)
        assert (rule.status, rule.hold_reason) == ("held", "rate")
        matched = session.scalars(select(RuleMatch).where(RuleMatch.rule_id == rule_id)).all()
    assert len(matched) == 3  # the two it did not act on are left unmatched


def test_rules_on_time_fire_when_nobody_replied_within_n_days(kz: Kizuna, ws: Any) -> None:
    from kizuna.loop.engine import run_timed_rules

    record(
        kz,
        ws.workspace,
        "late",
        nps=2,
        text="返事がない。",
        received_at=(NOW - dt.timedelta(days=5)).isoformat(),
    )
    record(kz, ws.workspace, "fresh", nps=2, text="返事がない。", received_at=recent())
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    rule_id, _ = make_rule(
        kz,
        ws,
        [
            {"field": "nps", "op": "lte", "value": 6},
            {"field": "days_without_reply", "op": "gte", "value": 3},
        ],
    )
    with kz.session() as session:
        assert session.get_one(Rule, rule_id).timed
        run = run_timed_rules(session, None, session.merge(ws.workspace))
        again = run_timed_rules(session, None, session.merge(ws.workspace))
    assert len(run.cases) == 1 and again.cases == []
