"""Topic changes reach past voices: accept a proposal, merge, split, hide and undo, each
relabelled by its background job, with the explorer's counts as the measure; the job run
again changes nothing, and a run cut short resumes where it stopped."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from topics_support import explorer_count, explorer_topics, record_voices, run_jobs

from kizuna import Kizuna
from kizuna.errors import Conflict, NotFound
from kizuna.jobs.queue import enqueue
from kizuna.topics.counts import count_topics, recent_since, topic_rows
from kizuna.topics.jobs import DiscoverTopics
from kizuna.topics.models import TopicRelabel
from kizuna.topics.proposals import accept_proposal, dismiss_proposal, list_proposals
from kizuna.topics.relabel import latest_relabel, run_relabel, start_relabel
from kizuna.topics.service import (
    SplitPart,
    add_custom_topic,
    hide_topic,
    merge_topics,
    split_topic,
    undo_change,
)

PARKING = [
    "駐輪場が狭くて自転車を停められませんでした。",
    "駐輪場の場所が分かりにくいです。",
    "駐輪場がいつも満車で困ります。",
    "駐輪場に屋根があると助かります。",
]
OTHERS = [
    "スタッフの対応がとても丁寧でした。",
    "従業員の態度が悪かったです。",
    "朝食がおいしかったです。",
    "夕食のメニューが少なかった。",
    "部屋が広くて快適でした。",
    "お風呂がぬるくて残念でした。",
    "ベッドが硬くて眠れなかった。",
    "浴室の部屋のお風呂が広い。",
]


@pytest.fixture
def voiced(kz: Kizuna, ws: Any) -> Any:
    record_voices(kz, ws.workspace, PARKING + OTHERS)
    return ws


def _change(kz: Kizuna, workspace: Any, make: Any) -> Any:
    with kz.session() as session:
        change = make(session, session.merge(workspace))
        session.flush()
        change_id = change.id
    run_jobs(kz, workspace.id)
    return change_id


def test_an_accepted_proposal_tags_past_and_new_voices(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    with kz.session() as session:
        enqueue(session, DiscoverTopics(days=30), workspace_id=ws.id)
    run_jobs(kz, ws.id)
    with kz.session() as session:
        proposals = list_proposals(session, session.merge(ws))
        found = {p.phrase: p for p in proposals}
        assert "駐輪場" in found, [p.phrase for p in proposals]
        proposal = found["駐輪場"]
        assert proposal.count >= 3 and proposal.samples
        assert all("駐輪場" in s for s in proposal.samples)
    assert explorer_count(kz, ws, topic="bicycle_parking") == 0
    with kz.session() as session:
        accept_proposal(
            session,
            session.merge(ws),
            proposal.id,
            key="bicycle_parking",
            name_ja="駐輪場",
            name_en="Bicycle parking",
            actor="test",
        )
    run_jobs(kz, ws.id)
    # Every past voice holding the word has the topic (the one the engine also tagged
    # with other topics keeps those), and nothing else got it.
    tagged = explorer_topics(kz, ws)
    assert {t for t, keys in tagged.items() if "bicycle_parking" in keys} == set(PARKING)
    assert explorer_count(kz, ws, topic="bicycle_parking") == len(PARKING)
    # A voice analysed after the change gets the workspace's topic too.
    record_voices(kz, ws, ["駐輪場の案内がありませんでした。"])
    assert explorer_count(kz, ws, topic="bicycle_parking") == len(PARKING) + 1
    with kz.session() as session:
        assert [p.state for p in list_proposals(session, session.merge(ws), "accepted")] == [
            "accepted"
        ]
        with pytest.raises(Conflict):
            dismiss_proposal(session, session.merge(ws), proposal.id)
    # Discovery again: the accepted phrase is not proposed a second time.
    with kz.session() as session:
        enqueue(session, DiscoverTopics(days=30), workspace_id=ws.id)
    run_jobs(kz, ws.id)
    with kz.session() as session:
        assert "駐輪場" not in {p.phrase for p in list_proposals(session, session.merge(ws))}


def test_merge_gives_the_target_the_voices_of_its_sources(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    staff, food = explorer_count(kz, ws, topic="staff"), explorer_count(kz, ws, topic="food")
    both = explorer_count(kz, ws, topic="staff") + explorer_count(kz, ws, topic="food")
    assert staff >= 2 and food >= 2
    change_id = _change(
        kz,
        ws,
        lambda s, w: merge_topics(
            s, w, ["staff", "food"], "hospitality", name_ja="おもてなし", name_en="Hospitality"
        ),
    )
    assert explorer_count(kz, ws, topic="hospitality") == both
    assert explorer_count(kz, ws, topic="staff") == explorer_count(kz, ws, topic="food") == 0
    with kz.session() as session:
        keys = {r.topic.key for r in topic_rows(session, session.merge(ws))}
    assert "hospitality" in keys and not {"staff", "food"} & keys
    # Undo: every voice has its topics back.
    _change(kz, ws, lambda s, w: undo_change(s, w, change_id))
    assert explorer_count(kz, ws, topic="staff") == staff
    assert explorer_count(kz, ws, topic="food") == food
    assert explorer_count(kz, ws, topic="hospitality") == 0


def test_split_sends_voices_to_the_part_whose_words_they_hold(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    before = explorer_topics(kz, ws)
    room = {t for t, keys in before.items() if "room" in keys}
    assert {"お風呂がぬるくて残念でした。", "ベッドが硬くて眠れなかった。"} <= room
    parts = [
        SplitPart("room_bath", "お風呂", "Bath", ("風呂", "浴室")),
        SplitPart("room_bed", "ベッド", "Bed", ("ベッド", "枕")),
    ]
    _change(kz, ws, lambda s, w: split_topic(s, w, "room", parts))
    after = explorer_topics(kz, ws)
    assert {t for t, k in after.items() if "room_bath" in k} == {
        t for t in room if "風呂" in t or "浴室" in t
    }
    assert {t for t, k in after.items() if "room_bed" in k} == {t for t in room if "ベッド" in t}
    # A voice holding neither part's words keeps the topic.
    assert "room" in after["部屋が広くて快適でした。"]
    assert "room" not in after["ベッドが硬くて眠れなかった。"]
    with kz.session() as session, pytest.raises(Conflict):
        split_topic(session, session.merge(ws), "food", parts)  # keys in use


def test_hide_takes_a_topic_off_every_voice_and_undo_brings_it_back(
    kz: Kizuna, voiced: Any
) -> None:
    ws = voiced.workspace
    food = explorer_count(kz, ws, topic="food")
    change_id = _change(kz, ws, lambda s, w: hide_topic(s, w, "food"))
    assert explorer_count(kz, ws, topic="food") == 0
    with kz.session() as session, pytest.raises(NotFound):
        hide_topic(session, session.merge(ws), "food")
    _change(kz, ws, lambda s, w: undo_change(s, w, change_id))
    assert explorer_count(kz, ws, topic="food") == food


def test_running_the_relabel_again_changes_nothing(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    _change(kz, ws, lambda s, w: add_custom_topic(s, w, "parking", "駐輪場", "Parking", ["駐輪場"]))
    _change(kz, ws, lambda s, w: merge_topics(s, w, ["staff", "parking"], "service"))
    settled = explorer_topics(kz, ws)
    with kz.session() as session:
        run = latest_relabel(session, ws.id)
        assert run is not None and run.state == "done" and run.done == run.total
        again = start_relabel(session, ws.id, None, "apply")
        again_id, finished_id = again.id, run.id
    run_jobs(kz, ws.id)
    with kz.session() as session:
        assert session.get_one(TopicRelabel, again_id).changed == 0
    assert explorer_topics(kz, ws) == settled
    # The finished run itself, run once more (a worker delivering twice), does nothing.
    assert run_relabel(kz, finished_id) is not None
    assert explorer_topics(kz, ws) == settled


def test_a_run_cut_short_resumes_where_it_stopped(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    with kz.session() as session:
        add_custom_topic(session, session.merge(ws), "parking", "駐輪場", "Parking", ["駐輪場"])
        run_id = latest_relabel(session, ws.id).id  # type: ignore[union-attr]
    half = run_relabel(kz, run_id, batch=3, batches=2)  # the worker dies after two batches
    assert half is not None and half.state == "running" and half.done == 6
    assert half.total == len(PARKING + OTHERS)
    run_jobs(kz, ws.id)  # the job, run again, goes on from the cursor
    with kz.session() as session:
        run = session.get_one(TopicRelabel, run_id)
        assert (run.state, run.done, run.total) == ("done", run.total, len(PARKING + OTHERS))
    assert explorer_count(kz, ws, topic="parking") == len(PARKING)


def test_topic_counts_equal_the_explorers(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    record_voices(kz, ws, ["スタッフが親切でした。", "駐輪場が遠い。"], day="2025-01-15")
    _change(kz, ws, lambda s, w: merge_topics(s, w, ["staff", "food"], "hospitality"))
    with kz.session() as session:
        workspace = session.merge(ws)
        rows = topic_rows(session, workspace)
        since = recent_since(workspace)
        old = count_topics(session, workspace, until=since)
    assert any(r.total != r.recent for r in rows)
    for row in rows:
        key = row.topic.key
        assert row.total == explorer_count(kz, ws, topic=key), key
        assert row.recent == explorer_count(kz, ws, topic=key, since=since), key
        assert sum(row.sentiments.values()) == row.total
    for key, count in old.items():
        assert count.voices == explorer_count(kz, ws, topic=key, until=since), key


def test_a_newer_change_supersedes_an_unfinished_run(kz: Kizuna, voiced: Any) -> None:
    ws = voiced.workspace
    with kz.session() as session:
        workspace = session.merge(ws)
        add_custom_topic(session, workspace, "parking", "駐輪場", "Parking", ["駐輪場"])
        hide_topic(session, workspace, "food")
        states = [
            r.state
            for r in session.scalars(
                select(TopicRelabel)
                .where(TopicRelabel.workspace_id == ws.id)
                .order_by(TopicRelabel.id)
            )
        ]
    assert states == ["superseded", "queued"]
    run_jobs(kz, ws.id)
    assert explorer_count(kz, ws, topic="parking") == len(PARKING)
    assert explorer_count(kz, ws, topic="food") == 0


def test_the_dashboard_counts_a_merged_topic_as_the_explorer_does(kz: Kizuna, voiced: Any) -> None:
    """The relabel rewrites analyses in place (same ids): the dashboard's rollups, built
    before the merge, count the voices' days again and show the merged topic."""
    import datetime as dt

    from kizuna.reports.dashboard import DashboardFilter
    from kizuna.reports.dashboard_topics import topic_table
    from kizuna.reports.rollups import refresh_rollups

    ws = voiced.workspace
    both = explorer_count(kz, ws, topic="staff") + explorer_count(kz, ws, topic="food")
    today = dt.date.today()
    chosen = DashboardFilter(start=today - dt.timedelta(days=30), end=today + dt.timedelta(days=1))

    def dashboard_topics() -> dict[str, int]:
        with kz.session() as session:
            refresh_rollups(session, ws.id)
            return {row.topic: row.voices for row in topic_table(session, ws.id, chosen)}

    before = dashboard_topics()
    assert before.get("staff", 0) + before.get("food", 0) == both
    _change(
        kz,
        ws,
        lambda s, w: merge_topics(
            s, w, ["staff", "food"], "hospitality", name_ja="おもてなし", name_en="Hospitality"
        ),
    )
    after = dashboard_topics()
    assert after.get("hospitality") == both == explorer_count(kz, ws, topic="hospitality")
    assert "staff" not in after and "food" not in after
