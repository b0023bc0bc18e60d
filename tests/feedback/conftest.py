"""Fixtures of the feedback room: voices in Japanese and English with their analysis, and
the search index brought up to date through the real event deliveries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from kizuna import Kizuna
from kizuna.feedback.models import Feedback
from kizuna.ingest.service import ingest_records
from kizuna.jobs.models import Job
from kizuna.jobs.queue import get_handler
from kizuna.text.service import analyze_feedback

VOICES = [
    ("v1", "店舗", 2, "2026-10-01", "受付の待ち時間が長すぎて、とても不快でした。", "C1"),
    ("v2", "web", 10, "2026-10-02", "スタッフの心遣いに感動しました。また泊まりたいです。", "C2"),
    ("v3", "web", 9, "2026-10-03", "朝食はとても美味しかったが、部屋が狭くて残念でした。", "C1"),
    ("v4", "店舗", 8, "2026-10-04", "駅から近くて便利。朝食会場は混んでいた。", None),
    ("v5", "web", None, "2026-10-05", "The staff were wonderful and the room was spotless.", "C3"),
    (
        "v6",
        "web",
        3,
        "2026-10-06",
        "Breakfast was cold; the waiting time at check-in was long.",
        None,
    ),
]
CUSTOMERS = [("C1", "東京都", "30s"), ("C2", "大阪府", "40s"), ("C3", "東京都", "20s")]


def deliver_index_events(kz: Kizuna, workspace_id: int) -> int:
    """Run this workspace's pending search-index deliveries as the worker runs them."""
    with kz.session() as session:
        jobs = [
            job
            for job in session.scalars(
                select(Job).where(
                    Job.workspace_id == workspace_id,
                    Job.kind == "event.deliver",
                    Job.state == "queued",
                )
            )
            if job.payload.get("subscriber") == "feedback.search_index"
        ]
        session.expunge_all()
    for job in jobs:
        spec = get_handler(job.kind)
        spec.run(kz, job, spec.parse(job))
    return len(jobs)


@pytest.fixture
def voices(kz: Kizuna, ws: Any) -> Any:
    """Six voices (five Japanese, two English; three of known customers), analysed, indexed."""
    customers = [
        {"external_id": key, "prefecture": pref, "age_band": band, "name": f"顧客{key}"}
        for key, pref, band in CUSTOMERS
    ]
    ingest_records(kz, ws.workspace, "customers", customers, source="crm")
    records = [
        {
            "external_id": key,
            "channel": channel,
            "nps": nps,
            "received_at": f"{day}T10:00:00+09:00",
            "text": text,
            **({"customer_ref": ref} if ref else {}),
        }
        for key, channel, nps, day, text, ref in VOICES
    ]
    ingest_records(kz, ws.workspace, "feedback", records, source="survey")
    with kz.session() as session:
        ids = list(
            session.scalars(select(Feedback.id).where(Feedback.workspace_id == ws.workspace.id))
        )
    analyze_feedback(kz, ws.workspace.id, ids)
    assert deliver_index_events(kz, ws.workspace.id) >= 1
    return ws
