"""The Topics page counts from the dashboard's rollups (plus the employee voices they leave
out) and shows exactly what the explorer's count (`count_topics`) gives: voices all time,
in the last 30 days and per polarity, after new voices, and after a merge relabels them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from topics_support import build_web_app, run_jobs

from kizuna import Kizuna
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.feedback.service import record_voice
from kizuna.reports.models import DashboardState
from kizuna.reports.rollup_topics import rollup_topic_counts
from kizuna.topics.counts import count_topics, recent_since, topic_rows
from kizuna.topics.service import merge_topics

CUSTOMERS = [
    "スタッフの対応がとても丁寧でした。",
    "従業員の態度が悪かったです。",
    "朝食がおいしかったです。",
    "夕食のメニューが少なかった。",
    "部屋が広くて快適でした。",
    "お風呂がぬるくて残念でした。",
    "スタッフは親切でしたが、朝食は冷めていました。",
]
EMPLOYEES = [
    "スタッフ同士の連携が良く、働きやすいです。",
    "従業員の休憩室が狭くて困ります。",
    "まかないの食事がおいしいです。",
]


def _record(kz: Kizuna, workspace: Any, texts: Sequence[str], source: str, days_ago: int) -> None:
    received = (utcnow() - dt.timedelta(days=days_ago)).date().isoformat()
    with kz.session() as session:
        ws = session.merge(workspace)
        for n, text in enumerate(texts):
            record_voice(
                session,
                ws,
                {
                    "external_id": f"{source}-{days_ago}-{n}-{time.monotonic_ns()}",
                    "received_at": f"{received}T10:00:00+09:00",
                    "channel": "web",
                    "text": text,
                },
                source=source,
            )
    run_jobs(kz, workspace.id)


def _shown(kz: Kizuna, workspace: Any) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Topic -> (all time, last 30 days, polarity) as the Topics page shows them."""
    with kz.session() as session:
        rows = topic_rows(session, session.merge(workspace))
    return {r.topic.key: (r.total, r.recent, r.sentiments) for r in rows if r.total}


def _counted(kz: Kizuna, workspace: Any) -> dict[str, tuple[int, int, dict[str, int]]]:
    """The same figures counted from every voice's newest analysis, as the explorer does."""
    with kz.session() as session:
        ws = session.merge(workspace)
        counts = count_topics(session, ws, recent_from=recent_since(ws))
    return {k: (c.voices, c.recent, dict(c.sentiments)) for k, c in counts.items() if c.voices}


def _api(kz: Kizuna, handle: Any) -> dict[str, tuple[int, int, dict[str, int]]]:
    with TestClient(build_web_app(kz), headers={"X-API-Key": handle.api_key}) as client:
        answer = client.get("/api/v1/topics")
    assert answer.status_code == 200, answer.text
    return {t["key"]: (t["voices"], t["voices_30d"], t["sentiments"]) for t in answer.json()}


def test_the_topics_page_counts_what_the_explorer_counts(kz: Kizuna, ws: Any) -> None:
    workspace = ws.workspace
    _record(kz, workspace, CUSTOMERS, "review", days_ago=0)
    _record(kz, workspace, CUSTOMERS[:4], "survey", days_ago=60)
    _record(kz, workspace, EMPLOYEES, "employee", days_ago=0)
    _record(kz, workspace, EMPLOYEES[:2], "employee", days_ago=90)

    counted = _counted(kz, workspace)
    assert counted["staff"][0] > counted["staff"][1] > 0  # older voices: all time > 30 days
    assert _shown(kz, workspace) == counted
    with kz.session() as session:
        ws_now = session.merge(workspace)
        employees = count_topics(
            session, ws_now, recent_from=recent_since(ws_now), source="employee"
        )
        rolled = rollup_topic_counts(session, workspace.id, recent_since(ws_now))
    # Employee voices are on the page although the rollups leave them out.
    assert employees["staff"].voices >= 2
    assert rolled["staff"].voices + employees["staff"].voices == counted["staff"][0]
    api = _api(kz, ws)
    assert {k: v for k, v in api.items() if v[0]} == counted

    # New voices show at once (the rollups are refreshed before reading).
    _record(kz, workspace, CUSTOMERS[4:], "review", days_ago=0)
    _record(kz, workspace, EMPLOYEES[:1], "employee", days_ago=0)
    after = _counted(kz, workspace)
    assert after["room"][0] > counted["room"][0]
    assert after["staff"][0] > counted["staff"][0]
    assert _shown(kz, workspace) == after

    # A merge relabels the voices in place (same analysis ids): `voice.relabelled` marks
    # their days, and the page shows the merged topic with every voice of its sources.
    with kz.session() as session:
        assert session.scalar(
            select(DashboardState.id).where(DashboardState.workspace_id == workspace.id)
        )
        merge_topics(
            session,
            session.merge(workspace),
            ["staff", "food"],
            "hospitality",
            name_ja="おもてなし",
            name_en="Hospitality",
        )
    run_jobs(kz, workspace.id)
    merged = _counted(kz, workspace)
    assert "staff" not in merged and "food" not in merged
    assert merged["hospitality"][0] >= after["staff"][0]
    shown = _shown(kz, workspace)
    assert shown == merged
    assert _api(kz, ws)["hospitality"] == merged["hospitality"]


def test_a_mention_without_polarity_counts_as_neutral_on_both(kz: Kizuna, ws: Any) -> None:
    """An analysis stored from elsewhere (no polarity on a mention, or an empty one) counts
    as neutral, as the explorer's count reads it."""
    workspace = ws.workspace
    _record(kz, workspace, CUSTOMERS[4:6], "review", days_ago=0)
    assert _shown(kz, workspace) == _counted(kz, workspace)  # rollups built
    with kz.session() as session:
        ids = session.scalars(
            select(Feedback.id).where(Feedback.workspace_id == workspace.id).order_by(Feedback.id)
        ).all()
        for feedback_id, topics in zip(
            ids,
            ([{"topic": "room"}], [{"topic": "room", "sentiment": ""}, {"topic": "food"}]),
            strict=True,
        ):
            session.add(
                FeedbackAnalysis(
                    workspace_id=workspace.id,
                    feedback_id=feedback_id,
                    engine_version="imported-1",
                    topics=topics,
                )
            )
    counted = _counted(kz, workspace)
    assert counted["room"] == (2, 2, {"neutral": 2})
    assert _shown(kz, workspace) == counted
