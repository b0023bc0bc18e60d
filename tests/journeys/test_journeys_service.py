"""The journey of a workspace: default stages and rules, editing them, placing records,
and the stored analytics of a small workspace counted by hand; jobs, schedules, scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from journey_support import SMALL, detached, fill_small_workspace
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.accounts.models import AuditEvent
from kizuna.customers.segments import create_segment, delete_segment
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.jobs.models import Job
from kizuna.jobs.schedule import ensure_schedule, run_due_schedules
from kizuna.jobs.worker import Worker
from kizuna.journeys.aggregate import refresh_journey
from kizuna.journeys.definition import RuleSpec, load_definition, save_stages
from kizuna.journeys.jobs import RefreshJourneys, queue_refresh
from kizuna.journeys.mapping import place_interactions, place_voices
from kizuna.journeys.models import JourneySnapshot
from kizuna.journeys.rules import add_rule, delete_rule, reset_rules
from kizuna.journeys.views import journey_view

JOURNEY_KINDS = ["journeys.aggregate", "journeys.refresh"]


def run_journey_jobs(kz: Kizuna) -> int:
    worker = Worker(kz, "journeys-test", kinds=JOURNEY_KINDS)
    ran = 0
    while worker.run_once():
        ran += 1
    return ran


@pytest.fixture
def small(kz: Kizuna, ws: Any) -> Any:
    fill_small_workspace(kz, ws.workspace)
    return detached(kz, ws.workspace.id)


def test_a_workspace_starts_with_the_six_default_stages_and_rules(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        first = load_definition(session, ws.workspace)
        again = load_definition(session, ws.workspace)
    assert first.id == again.id
    assert first.stage_codes == [
        "awareness",
        "consideration",
        "purchase",
        "use",
        "support",
        "loyalty",
    ]
    assert first.funnel_codes == ["awareness", "consideration", "purchase", "use", "loyalty"]
    assert all(s.name is None for s in first.stages), "default stages are named by the vocabulary"
    kinds = {k for r in first.rules if r.applies_to == "interaction" for k in r.match["kind"]}
    assert {"ad_view", "visit", "purchase", "stay", "support_ticket", "review_post"} <= kinds


def test_stages_can_be_renamed_added_and_removed_once_no_rule_needs_them(
    kz: Kizuna, ws: Any
) -> None:
    with kz.session() as session:
        definition = load_definition(session, ws.workspace)
        stages = [s.__dict__ | {} for s in definition.stages]
        stages[3]["name"] = "ご利用"
        stages[3]["goal"] = "快適に過ごしたい"
        stages.append({"name": "Onboarding", "in_funnel": False})
        changed = save_stages(session, ws.workspace, stages, actor="user:1")
    assert changed.version == definition.version + 1
    assert changed.stages[3].name == "ご利用" and changed.stages[3].goal == "快適に過ごしたい"
    assert changed.stages[-1].code == "onboarding" and not changed.stages[-1].in_funnel
    without_support = [s.__dict__ for s in changed.stages if s.code != "support"]
    with pytest.raises(Conflict) as used, kz.session() as session:
        save_stages(session, ws.workspace, without_support)
    assert "support" in used.value.message("en") and "ルール" in used.value.message("ja")
    with kz.session() as session:
        for rule in load_definition(session, ws.workspace).rules:
            if rule.stage == "support":
                assert rule.id is not None
                delete_rule(session, ws.workspace, rule.id)
        after = save_stages(session, ws.workspace, without_support)
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.workspace_id == ws.workspace.id)
            )
        )
    assert "support" not in after.stage_codes
    assert {"journey.stages", "journey.rule.delete"} <= actions
    with pytest.raises(InvalidInput), kz.session() as session:
        save_stages(session, ws.workspace, [{"code": "x y", "name": "bad"}])
    with pytest.raises(InvalidInput), kz.session() as session:
        save_stages(session, ws.workspace, [{"code": None}])


def test_rules_are_checked_and_the_first_one_wins(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        with pytest.raises(InvalidInput) as unknown:
            add_rule(session, ws.workspace, stage="use", match={"colour": ["red"]})
        assert "colour" in unknown.value.message("en")
        with pytest.raises(InvalidInput):
            add_rule(session, ws.workspace, stage="use", match={})
        with pytest.raises(InvalidInput):
            add_rule(session, ws.workspace, stage="nowhere", match={"kind": ["visit"]})
        rule = add_rule(
            session,
            ws.workspace,
            stage="loyalty",
            match={"kind": "visit", "properties": {"campaign": "vip"}},
            touchpoint="VIPラウンジ",
            position=0,
        )
        definition = load_definition(session, ws.workspace)
    assert definition.rules[0].id == rule.id
    assert definition.rules[0].match == {"kind": ["visit"], "properties": {"campaign": "vip"}}
    with kz.session() as session:
        assert reset_rules(session, ws.workspace) == len(definition.rules) - 1
        with pytest.raises(NotFound):
            delete_rule(session, ws.workspace, rule.id)


def test_records_are_placed_by_rules_and_voices_follow_their_interaction() -> None:
    rules = [
        RuleSpec(
            1,
            "interaction",
            {"kind": ["visit"], "properties": {"campaign": "vip"}},
            "loyalty",
            "VIP",
            None,
        ),
        RuleSpec(2, "interaction", {"kind": ["visit"]}, "consideration", None, None),
        RuleSpec(3, "any", {"channel": ["sns"]}, "awareness", None, False),
        RuleSpec(4, "voice", {"source": ["review"]}, "loyalty", None, False),
    ]
    interactions = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "customer": [1, 1, 2, 2],
            "channel": ["web", "web", "sns", "store"],
            "kind": ["visit", "visit", "sns_post", "stay"],
            "touchpoint": ["商品ページ", None, "投稿", "チェックイン"],
            "direct": [True, True, True, True],
            "properties": [{"campaign": "vip"}, {}, {}, {}],
        }
    )
    placed = place_interactions(interactions, rules)
    assert placed["stage"].tolist() == ["loyalty", "consideration", "awareness", None]
    assert placed["touchpoint"].tolist() == ["VIP", "Web", "投稿", "チェックイン"]  # channel name
    assert placed["direct"].tolist() == [True, True, False, True]
    voices = pd.DataFrame(
        {
            "id": [10, 11, 12, 13],
            "source": ["survey", "survey", "review", "chat"],
            "channel": ["web", "web", "review_site", "web"],
            "touchpoint": ["朝食", None, "客室", None],
            "interaction_id": [2, 1, None, None],
        }
    )
    placed_voices = place_voices(voices, rules, placed)
    assert placed_voices["stage"].tolist() == ["consideration", "loyalty", "loyalty", None]
    assert placed_voices["touchpoint"].tolist()[:3] == ["朝食", "VIP", "客室"]
    assert placed_voices["direct"].tolist()[:3] == [True, True, False]


def test_the_journey_of_a_small_workspace_is_what_we_count_by_hand(kz: Kizuna, small: Any) -> None:
    report = refresh_journey(kz, small, "all", "all")
    assert (report.customers, report.interactions, report.voices) == (4, 12, 4)
    with kz.session() as session:
        result = journey_view(session, small, "all", "all", "ja").result
    funnel = {row["stage"]: row for row in result["funnel"]}
    # awareness: all four; consideration after it: k1, k2 (k3 looked before the ad);
    # purchase: k1, k2; use: k1; loyalty: k1.
    assert [funnel[s]["reached"] for s in funnel] == [4, 2, 2, 1, 1]
    assert [funnel[s]["dropped"] for s in funnel] == [0, 2, 0, 1, 0]
    assert funnel["consideration"]["conversion"] == 0.5
    assert funnel["purchase"]["conversion"] == 1.0
    # k1 2 days 1 hour, k2 3 days 1 hour after their ad
    assert funnel["consideration"]["median_days"] == pytest.approx(2.5 + 1 / 24)
    reach = {r["stage"]: r["customers"] for r in result["reach"]}
    assert reach == {
        "awareness": 4,
        "consideration": 3,
        "purchase": 2,
        "use": 1,
        "support": 1,
        "loyalty": 1,
    }
    curve = {r["stage"]: r for r in result["emotion_curve"]}
    assert curve["awareness"]["n"] == 0 and curve["awareness"]["mean"] is None
    assert curve["use"]["mean"] == pytest.approx(0.6)
    assert curve["support"]["mean"] == pytest.approx(-0.8)
    assert curve["loyalty"]["mean"] == pytest.approx(0.2), "an unlinked SNS voice is advocacy"
    assert curve["purchase"]["mean"] == pytest.approx(-0.4)
    touchpoints = {t["touchpoint"]: t for t in result["touchpoints"]}
    assert touchpoints["配送"]["nps"]["value"] == 100.0
    assert touchpoints["SNS広告"]["direct"] is False and touchpoints["SNS広告"]["interactions"] == 2
    edges = {(e["source"], e["target"]): e["count"] for e in result["graph"]["edges"]}
    assert edges[("SNS広告", "商品ページ")] == 2
    assert result["graph"]["transitions"] == sum(len(v) - 1 for v in SMALL.values())
    assert sorted(p["count"] for p in result["paths"]) == [1, 1, 1, 1]
    assert result["counts"]["unplaced_interactions"] == 0
    assert result["moments"]["error"] is not None, "two answers are too few for key drivers"


def test_a_changed_rule_marks_the_snapshot_out_of_date_and_queues_a_refresh(
    kz: Kizuna, small: Any
) -> None:
    refresh_journey(kz, small, "all", "365d")
    with kz.session() as session:
        add_rule(session, small, stage="loyalty", match={"kind": ["email_open"]}, position=0)
        view = journey_view(session, small, "all", "365d", "ja")
        queued = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.workspace_id == small.id,
                Job.kind == "journeys.aggregate",
                Job.state == "queued",
            )
        )
    assert view.stale and queued >= 3
    assert run_journey_jobs(kz) >= 3
    with kz.session() as session:
        view = journey_view(session, small, "all", "365d", "ja")
        rows = session.scalar(
            select(func.count())
            .select_from(JourneySnapshot)
            .where(JourneySnapshot.workspace_id == small.id)
        )
    assert not view.stale
    assert rows == 3, "one snapshot per scope and period, replaced"
    reach = {r["stage"]: r["customers"] for r in view.result["reach"]}
    assert reach["loyalty"] == 2  # k3's e-mail open now counts as loyalty


def test_the_nightly_schedule_refreshes_every_scope(kz: Kizuna, small: Any) -> None:
    with kz.session() as session:
        schedule = ensure_schedule(
            session,
            "journeys.refresh-nightly",
            RefreshJourneys(),
            "0 4 * * *",
            workspace_id=small.id,
            timezone="Asia/Tokyo",
        )
        due = schedule.next_run_at
    made = []
    with kz.session() as session:  # 100 schedules a call: other workspaces' may be due too
        while batch := run_due_schedules(session, now=due):
            made += batch
    assert made
    run_journey_jobs(kz)
    with kz.session() as session:
        stored = set(
            session.execute(
                select(JourneySnapshot.scope, JourneySnapshot.period).where(
                    JourneySnapshot.workspace_id == small.id
                )
            ).all()
        )
    assert {("all", "90d"), ("all", "365d"), ("all", "all")} <= stored


def test_a_segment_scope_counts_its_customers_only(kz: Kizuna, small: Any) -> None:
    with kz.session() as session:
        segment = create_segment(
            session, small, "30代", [{"field": "age_band", "op": "eq", "value": "30s"}]
        )
        segment_id = segment.id
    report = refresh_journey(kz, small, f"segment:{segment_id}", "all")
    assert report.customers == 4
    with kz.session() as session:
        queue_refresh(session, small, [(f"segment:{segment_id}", "90d")], reason="t")
        delete_segment(session, small, segment_id)
    run_journey_jobs(kz)  # the deleted segment's job ends quietly
    with pytest.raises(NotFound):
        refresh_journey(kz, small, f"segment:{segment_id}", "all")
    with pytest.raises(InvalidInput):
        refresh_journey(kz, small, "everyone", "all")
    with pytest.raises(InvalidInput):
        refresh_journey(kz, small, "all", "7d")


def test_periods_end_on_the_latest_interaction_day(kz: Kizuna, small: Any) -> None:
    from kizuna.journeys.data import period_bounds

    with kz.session() as session:
        start, end = period_bounds(session, small, "90d")
    last = max(day for events in SMALL.values() for day, *_ in events)
    assert end == (dt.date(2026, 3, 1) + dt.timedelta(days=last))
    assert start == end - dt.timedelta(days=89)
