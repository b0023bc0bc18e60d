"""The dashboard's topics (volume, sentiment, change against the previous period) and the key
drivers of NPS and CSAT among them, on an importance x performance chart.

Topic counts come from `dashboard_topic_day`: a voice counts once per topic it mentions, as
the voice explorer counts it for `?topic=...` with the same period, channel, touchpoint and
language. A topic is rising (falling) when the share of analysed voices mentioning it grew
(shrank) against the previous period of the same length, by a pooled two-proportion z-test
at 95% (Agresti, Categorical Data Analysis, 3rd ed., 2013).

Drivers need one row per voice: the newest `SAMPLE` voices of the period that have the score
are read (an indexed, bounded read, never a scan of the period), each topic becomes a 0/1
indicator and `kizuna.analytics.drivers.relative_weights` splits the R^2 (Johnson 2000);
performance is the topic's NPS (or CSAT) over all its mentions, from the rollups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.intervals import z_critical
from kizuna.errors import KizunaError
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.dashboard import DashboardFilter, read_sums
from kizuna.reports.dashboard_segment import group_customers
from kizuna.reports.dashboard_voices import newest_voice_ids
from kizuna.reports.driver_rows import driver_rows
from kizuna.reports.models import DashboardDay, DashboardTopicDay
from kizuna.reports.rollup_counts import has_dimensions
from kizuna.reports.rollups import json_value, newest_analysis_id

__all__ = ["DriverResult", "TopicRow", "key_drivers", "topic_table"]

SAMPLE = 3000
MAX_DRIVERS = 12
MIN_MENTIONS = 20


@dataclass(frozen=True)
class TopicRow:
    topic: str
    voices: int
    share: float | None
    positive: int
    negative: int
    net_sentiment: float | None
    nps: float | None
    previous_voices: int
    previous_share: float | None
    change: float | None
    trend: str  # "rising", "falling" or "steady"


def _topic_totals(
    session: Session, workspace_id: int, chosen: DashboardFilter
) -> dict[str, dict[str, int]]:
    names = ("voices", "positive", "negative", "nps_n", "promoters", "detractors")
    rows = read_sums(
        session,
        workspace_id,
        chosen,
        DashboardTopicDay,
        {n: n for n in names},
        ("topic",),
        chosen.start,
        chosen.end,
    )
    return {
        str(topic): {n: int(v or 0) for n, v in zip(names, values, strict=True)}
        for topic, *values in rows
    }


def _analysed(session: Session, workspace_id: int, chosen: DashboardFilter) -> int:
    rows = read_sums(
        session,
        workspace_id,
        chosen,
        DashboardDay,
        {"analysed": "analysed"},
        (),
        chosen.start,
        chosen.end,
    )
    return int(rows[0][0] or 0) if rows else 0


def _trend(k1: int, n1: int, k0: int, n0: int) -> str:
    if not n1 or not n0:
        return "steady"
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return "steady"
    z = (k1 / n1 - k0 / n0) / se
    if abs(z) <= z_critical(0.95):
        return "steady"
    return "rising" if z > 0 else "falling"


def topic_table(session: Session, workspace_id: int, chosen: DashboardFilter) -> list[TopicRow]:
    """Topics of the period, most mentioned first, with the change against the period before."""
    before = chosen.previous()
    current = _topic_totals(session, workspace_id, chosen)
    previous = _topic_totals(session, workspace_id, before)
    n1 = _analysed(session, workspace_id, chosen)
    n0 = _analysed(session, workspace_id, before)
    rows = []
    for topic, t in current.items():
        p = previous.get(topic, {})
        k0 = p.get("voices", 0)
        share = 100.0 * t["voices"] / n1 if n1 else None
        previous_share = 100.0 * k0 / n0 if n0 else None
        rows.append(
            TopicRow(
                topic=topic,
                voices=t["voices"],
                share=share,
                positive=t["positive"],
                negative=t["negative"],
                net_sentiment=100.0 * (t["positive"] - t["negative"]) / t["voices"]
                if t["voices"]
                else None,
                nps=100.0 * (t["promoters"] - t["detractors"]) / t["nps_n"] if t["nps_n"] else None,
                previous_voices=k0,
                previous_share=previous_share,
                change=share - previous_share
                if share is not None and previous_share is not None
                else None,
                trend=_trend(t["voices"], n1, k0, n0),
            )
        )
    rows.sort(key=lambda r: (-r.voices, r.topic))
    return rows


@dataclass(frozen=True)
class DriverResult:
    """Drivers of one outcome: rows of driver, share, significant, performance, quadrant."""

    outcome: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0
    r2: float | None = None
    reason: str | None = None  # why there are no drivers (English msgid of the catalog)


def _sample(
    session: Session, workspace_id: int, chosen: DashboardFilter, outcome: str
) -> list[tuple[float, set[str]]]:
    latest = newest_analysis_id(workspace_id)
    score = getattr(Feedback, outcome)
    members = group_customers(session, workspace_id, chosen)
    limit = SAMPLE * 2 if chosen.filters() else SAMPLE
    recent = newest_voice_ids(workspace_id, chosen, limit, score.is_not(None), members=members)
    query = (
        select(
            Feedback.channel,
            Feedback.touchpoint,
            Feedback.language,
            Feedback.source,
            Feedback.properties,
            score,
            FeedbackAnalysis.language,
            FeedbackAnalysis.topics,
            Feedback.customer_id,
        )
        .join(recent, recent.c.id == Feedback.id)
        .join(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
        )
        .order_by(Feedback.received_on.desc(), Feedback.id.desc())
    )
    wanted = chosen.dimensions()
    out = []
    # The driver's rows, JSON decoded only for the voices kept (a segment's sample reads
    # about four voices for each it keeps).
    for row in driver_rows(session, query):
        channel, touchpoint, language, source, props, value, analysed_language = row[:7]
        if members is not None and row[8] not in members:
            continue
        props = json_value(props) if wanted else None
        if not has_dimensions(
            wanted, channel, touchpoint, language or analysed_language, source, props
        ):
            continue
        topics = json_value(row[7])
        found = {str(t["topic"]) for t in topics or [] if isinstance(t, dict) and t.get("topic")}
        out.append((float(value), found))
        if len(out) >= SAMPLE:
            break
    return out


def key_drivers(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    topics: list[TopicRow],
    outcome: str = "nps",
) -> DriverResult:
    """Relative weights of the topics on NPS (or CSAT), each with its performance and quadrant."""
    import pandas as pd

    from kizuna.analytics.drivers import importance_performance, relative_weights

    sample = _sample(session, workspace_id, chosen, outcome)
    counts: dict[str, int] = {}
    for _, found in sample:
        for topic in found:
            counts[topic] = counts.get(topic, 0) + 1
    names = [t for t, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= MIN_MENTIONS]
    names = [n for n in names if len(sample) - counts[n] >= MIN_MENTIONS][:MAX_DRIVERS]
    if len(names) < 2:
        return DriverResult(outcome, n=len(sample), reason="Too few voices with topics and scores.")
    frame = pd.DataFrame(
        {
            outcome: [v for v, _ in sample],
            **{n: [1.0 if n in found else 0.0 for _, found in sample] for n in names},
        }
    )
    try:
        weights = relative_weights(frame, outcome, names, n_boot=100, seed=0)
    except KizunaError:
        return DriverResult(outcome, n=len(sample), reason="Too few voices with topics and scores.")
    performance = _performance(topics, names, sample)
    matrix = importance_performance(weights, performance)
    rows = [
        {
            "driver": str(r["driver"]),
            "share": float(r["share"]) * 100.0,
            "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]),
            "significant": bool(r["significant"]),
            "direction": int(r["direction"]),
            "performance": float(r["performance"]),
            "quadrant": str(r["quadrant"]),
        }
        for r in matrix.to_dict("records")
    ]
    return DriverResult(outcome, rows=rows, n=len(sample), r2=float(weights.attrs["r2"]))


def _performance(
    topics: list[TopicRow], names: list[str], sample: list[tuple[float, set[str]]]
) -> dict[str, float]:
    """Net sentiment of each topic over the period (from the rollups); the sample's mean
    score of the voices mentioning it where the rollups have no sentiment for it."""
    by_name = {t.topic: t for t in topics}
    out = {}
    for name in names:
        row = by_name.get(name)
        if row is not None and row.net_sentiment is not None:
            out[name] = row.net_sentiment
        else:
            values = [v for v, found in sample if name in found]
            out[name] = sum(values) / len(values) if values else 0.0
    return out
