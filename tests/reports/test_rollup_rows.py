"""The voices the rollups count (`voice_rows`, read as the driver gives them and decoded by
hand) carry exactly the values SQLAlchemy's own result rows give for the same statement:
dates, JSON properties and topics (shared, odd and missing), the newest analysis, none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select

from kizuna import Kizuna
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.rollups import VoiceRow, newest_analysis_id, voice_rows


def _reference(kz: Kizuna, workspace_id: int) -> list[tuple[Any, ...]]:
    """The same voices through SQLAlchemy's result rows and type processors."""
    latest = newest_analysis_id(workspace_id)
    columns = [getattr(Feedback, n) for n in VoiceRow._fields[:10]]
    columns += [FeedbackAnalysis.language]
    columns += [getattr(FeedbackAnalysis, n) for n in VoiceRow._fields[11:]]
    with kz.session() as session:
        rows = session.execute(
            select(*columns)
            .outerjoin(
                FeedbackAnalysis,
                (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
            )
            .where(Feedback.workspace_id == workspace_id, Feedback.source != "employee")
            .order_by(Feedback.id)
        )
        return [tuple(row) for row in rows]


def test_voice_rows_equal_sqlalchemys_rows(kz: Kizuna, ws: Any) -> None:
    workspace_id = ws.workspace.id
    shapes: list[Any] = [
        {"survey": "post_stay", "store": "S01"},
        {"survey_id": 7, "hotel": "箱根", "nested": {"a": [1, 2.5, None]}},
        {},
        None,
        {"survey": "post_stay", "store": "S01"},  # the same text as the first: shared
    ]
    voices = [
        {
            "workspace_id": workspace_id,
            "source": "employee" if i == 9 else "survey",
            "external_id": f"r{i}",
            "channel": ("web", "店舗", "")[i % 3],
            "touchpoint": None if i % 2 else "front",
            "customer_id": None,
            "received_at": dt.datetime(2026, 1, 1 + i, 3, tzinfo=dt.UTC),
            "received_on": dt.date(2026, 1, 1 + i),
            "language": ("ja", "", None)[i % 3],
            "nps": i if i % 4 else None,
            "csat": 1 + i % 5,
            "ces": None,
            "properties": shapes[i % len(shapes)],
        }
        for i in range(10)
    ]
    with kz.engine.begin() as conn:
        conn.execute(insert(Feedback), voices)
        ids = list(
            conn.scalars(
                select(Feedback.id)
                .where(Feedback.workspace_id == workspace_id)
                .order_by(Feedback.id)
            )
        )
        analyses = []
        for n, fid in enumerate(ids[:6]):
            for version in ("v1", "v2")[: 1 + n % 2]:  # the newer of two must win
                analyses.append(
                    {
                        "workspace_id": workspace_id,
                        "feedback_id": fid,
                        "engine_version": version,
                        "language": "en" if version == "v2" else "ja",
                        "sentiment": "negative" if version == "v2" else "positive",
                        "sentiment_score": -0.25 if version == "v2" else 0.1,
                        "delight": 0.333333333,
                        "expectation": "below",
                        "emotions": {},
                        "topics": [
                            {"topic": "room", "sentiment": "negative", "score": -0.5},
                            {"topic": "staff"},
                        ]
                        if n % 3
                        else [],
                        "experience_values": [],
                        "cues": [],
                    }
                )
        conn.execute(insert(FeedbackAnalysis), analyses)
    with kz.session() as session:
        found = list(voice_rows(session, workspace_id))
    expected = _reference(kz, workspace_id)
    assert len(found) == 9  # the employee's answer is not a customer voice
    assert sorted(map(tuple, found), key=repr) == sorted(expected, key=repr)
    assert all(isinstance(row[0], dt.date) for row in found)
    by_day = {row[0]: row for row in found}
    assert by_day[dt.date(2026, 1, 2)].topics[0] == {
        "topic": "room",
        "sentiment": "negative",
        "score": -0.5,
    }
    assert by_day[dt.date(2026, 1, 2)].sentiment == "negative"  # v2, the newest
