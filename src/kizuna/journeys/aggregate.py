"""Computing a scope's journey analytics and storing them as a snapshot.

`compute_journey` turns placed interactions and voices into one JSON-able result with
everything the pages show: the stage funnel (ordered, Wilson intervals, time between
stages, drop-off), how many customers reach each stage at all, the most common stage
paths, the directly-follows graph of touchpoints (counts, median hours, start and end
counts), per-touchpoint experience (volume, NPS/CSAT/CES with intervals, sentiment,
delight, emotions, topics, quotes), the emotion curve, pain points and moments of truth.
`refresh_journey` reads the data, computes and replaces the snapshot of that scope and
period; jobs run it (`kizuna.journeys.jobs`), pages only read snapshots.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from kizuna.accounts.models import Workspace
from kizuna.analytics import journeys as paths
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.errors import InsufficientData
from kizuna.journeys.data import JourneyData, check_scope, load_journey_data
from kizuna.journeys.definition import JourneyDefinition, load_definition
from kizuna.journeys.mapping import place_interactions, place_voices, uses_properties
from kizuna.journeys.models import JourneySnapshot

__all__ = ["RefreshReport", "compute_journey", "refresh_journey"]

MAX_EDGES = 300
MAX_TOUCHPOINT_QUOTES = 12
QUOTE_CHARS = 280
_DAY = 86400.0


def _clean(value: Any) -> Any:
    """JSON-able: NumPy scalars to Python, NaN and infinities to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(row) for row in frame.to_dict("records")]


def _short(quotes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for quote in quotes:
        text = str(quote.get("text") or "")
        cut = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
        out.append({**quote, "text": cut})
    return out


def _touchpoint_facts(placed: pd.DataFrame) -> pd.DataFrame:
    """Per touchpoint: interactions, customers, its usual stage and whether it is direct."""
    if placed.empty:
        return pd.DataFrame(columns=["touchpoint", "interactions", "customers", "stage", "direct"])
    grouped = placed.groupby("touchpoint", sort=True)
    stage = grouped["stage"].agg(lambda s: s.value_counts().index[0])
    return pd.DataFrame(
        {
            "interactions": grouped.size(),
            "customers": grouped["customer"].nunique(),
            "stage": stage,
            "direct": grouped["direct"].mean() >= 0.5,
        }
    ).reset_index()


def _funnel(definition: JourneyDefinition, placed: pd.DataFrame) -> list[dict[str, Any]]:
    steps = definition.funnel_codes
    if not steps:
        return []
    frame = paths.funnel(
        placed[["customer", "stage", "at"]], steps, case="customer", stage="stage", timestamp="at"
    )
    frame["median_days"] = frame["median_seconds"] / _DAY
    return _records(frame.drop(columns="median_seconds"))


def _reach(definition: JourneyDefinition, placed: pd.DataFrame, customers: int) -> list[Any]:
    reached = placed.groupby("stage")["customer"].nunique()
    return [
        {
            "stage": code,
            "customers": int(reached.get(code, 0)),
            "share": (int(reached.get(code, 0)) / customers) if customers else None,
        }
        for code in definition.stage_codes
    ]


def _paths(placed: pd.DataFrame) -> list[dict[str, Any]]:
    if placed.empty:
        return []
    frame = paths.variants(
        placed[["customer", "stage", "at"]],
        case="customer",
        activity="stage",
        timestamp="at",
        collapse_repeats=True,
        top=10,
    )
    frame["median_days"] = frame["median_seconds"] / _DAY
    frame["variant"] = frame["variant"].map(list)
    return _records(frame.drop(columns="median_seconds"))


def _graph(placed: pd.DataFrame, facts: pd.DataFrame) -> dict[str, Any]:
    if placed.empty:
        return {"nodes": [], "edges": [], "transitions": 0}
    log = paths.event_log(placed, case="customer", activity="touchpoint", timestamp="at")
    edges = paths.directly_follows(log)
    ends = paths.endpoints(log).set_index("activity")
    total = int(edges["count"].sum())
    edges = edges.head(MAX_EDGES).copy()
    edges["median_hours"] = edges["median_seconds"] / 3600.0
    nodes = facts.copy()
    nodes["starts"] = nodes["touchpoint"].map(ends["starts"]).fillna(0).astype(int)
    nodes["ends"] = nodes["touchpoint"].map(ends["ends"]).fillna(0).astype(int)
    return {
        "nodes": _records(nodes),
        "edges": _records(edges.drop(columns="median_seconds")),
        "transitions": total,
    }


def _touchpoints(facts: pd.DataFrame, voices: pd.DataFrame) -> list[dict[str, Any]]:
    summary = (
        paths.touchpoint_summary(voices, by="touchpoint", quotes=MAX_TOUCHPOINT_QUOTES)
        if not voices.empty
        else pd.DataFrame(columns=["touchpoint"])
    )
    by_name: dict[Any, dict[str, Any]] = {
        row["touchpoint"]: {str(k): v for k, v in row.items()} for row in summary.to_dict("records")
    }
    names = list(facts["touchpoint"]) + [t for t in by_name if t not in set(facts["touchpoint"])]
    facts_by = facts.set_index("touchpoint").to_dict("index") if not facts.empty else {}
    voice_stage = (
        voices.dropna(subset=["touchpoint"])
        .groupby("touchpoint")["stage"]
        .agg(lambda s: s.value_counts().index[0])
        .to_dict()
        if not voices.empty
        else {}
    )
    empty: dict[str, Any] = {
        "nps": None,
        "csat": None,
        "ces": None,
        "sentiment": None,
        "positive_share": None,
        "negative_share": None,
        "delight": None,
        "emotions": {},
        "topics": [],
        "quotes": [],
    }
    out = []
    for name in names:
        fact = facts_by.get(name, {})
        row: dict[str, Any] = {**empty, **dict(by_name.get(name, {}))}
        row.pop("touchpoint", None)
        row["quotes"] = _short(row.get("quotes") or [])
        out.append(
            _clean(
                {
                    "touchpoint": name,
                    "stage": fact.get("stage") or voice_stage.get(name),
                    "direct": bool(fact.get("direct", True)),
                    "interactions": int(fact.get("interactions", 0)),
                    "customers": int(fact.get("customers", 0)),
                    "voices": int(row.pop("voices", 0) or 0),
                    **{k: v for k, v in row.items() if k != "customers"},
                }
            )
        )
    out.sort(key=lambda t: (-(t["interactions"] + t["voices"]), str(t["touchpoint"])))
    return out


def _stage_voices(voices: pd.DataFrame) -> dict[str, Any]:
    """Per stage: NPS, CSAT, CES, sentiment and representative quotes of its voices."""
    if voices.empty:
        return {}
    summary = paths.touchpoint_summary(voices, by="stage", quotes=4, top_topics=5)
    out = {}
    for row in summary.to_dict("records"):
        code = row.pop("stage")
        row["quotes"] = _short(row.get("quotes") or [])
        out[str(code)] = _clean(row)
    return out


def _pain_points(voices: pd.DataFrame, stages: dict[str, str]) -> list[dict[str, Any]]:
    if voices.empty:
        return []
    frame = paths.pain_points(voices, by=("touchpoint", "topic")).head(20)
    frame["stage"] = frame["touchpoint"].map(stages)
    frame["quotes"] = frame["quotes"].map(_short)
    return _records(frame)


def _moments(voices: pd.DataFrame, seed: int) -> dict[str, Any]:
    known = voices.dropna(subset=["customer"])
    try:
        frame = paths.moments_of_truth(known, seed=seed)
    except InsufficientData as exc:
        return {
            "rows": [],
            "r2": None,
            "customers": 0,
            "error": {"en": exc.message("en"), "ja": exc.message("ja")},
        }
    return {
        "rows": _records(frame),
        "r2": _clean(frame.attrs.get("r2")),
        "customers": int(frame.attrs.get("customers", 0)),
        "error": None,
    }


def compute_journey(
    definition: JourneyDefinition, data: JourneyData, *, language: str = "ja", seed: int = 0
) -> dict[str, Any]:
    """Every figure of the journey pages for one scope and period (JSON-able)."""
    interactions = place_interactions(data.interactions, definition.rules, language=language)
    voices = place_voices(data.voices, definition.rules, interactions, language=language)
    placed = interactions[interactions["stage"].notna()].reset_index(drop=True)
    placed_voices = voices[voices["stage"].notna()].reset_index(drop=True)
    customers = int(placed["customer"].nunique())
    facts = _touchpoint_facts(placed)
    stage_of = dict(zip(facts["touchpoint"], facts["stage"], strict=True))
    curve = paths.emotion_curve(placed_voices, definition.stage_codes)
    return {
        "period": {
            "start": data.start.isoformat() if data.start else None,
            "end": data.end.isoformat(),
        },
        "counts": {
            "customers": customers,
            "interactions": len(placed),
            "voices": len(placed_voices),
            "unplaced_interactions": int(len(interactions) - len(placed)),
            "unplaced_voices": int(len(voices) - len(placed_voices)),
        },
        "stages": [
            {
                "code": s.code,
                "name": s.name,
                "in_funnel": s.in_funnel,
                "goal": s.goal,
                "opportunity": s.opportunity,
            }
            for s in definition.stages
        ],
        "funnel": _funnel(definition, placed),
        "reach": _reach(definition, placed, customers),
        "paths": _paths(placed),
        "graph": _graph(placed, facts),
        "actions": _actions(placed, definition),
        "touchpoints": _touchpoints(facts, placed_voices),
        "emotion_curve": _records(curve),
        "stage_voices": _stage_voices(placed_voices),
        "pain_points": _pain_points(placed_voices, stage_of),
        "moments": _moments(placed_voices, seed),
    }


def _actions(placed: pd.DataFrame, definition: JourneyDefinition) -> dict[str, Any]:
    """Per stage: the kinds of interaction customers do there most, with counts."""
    out: dict[str, Any] = {}
    for code in definition.stage_codes:
        kinds = placed.loc[placed["stage"] == code, "kind"].value_counts().head(4)
        out[code] = [{"kind": str(k), "count": int(n)} for k, n in kinds.items()]
    return out


@dataclass(frozen=True)
class RefreshReport:
    scope: str
    period: str
    customers: int
    interactions: int
    voices: int
    seconds: float


def refresh_journey(
    kz: Kizuna, workspace: Workspace, scope: str = "all", period: str = "365d"
) -> RefreshReport:
    """Read, compute and store the snapshot of one scope and period (replacing the old one)."""
    started = time.perf_counter()
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        check_scope(session, ws, scope)
        definition = load_definition(session, ws)
        data = load_journey_data(
            session, ws, scope, period, with_properties=uses_properties(definition.rules)
        )
        language = kz.settings.language
    result = compute_journey(definition, data, language=language)
    seconds = time.perf_counter() - started
    counts = result["counts"]
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        snapshot = session.scalar(
            select(JourneySnapshot).where(
                JourneySnapshot.workspace_id == ws.id,
                JourneySnapshot.journey_id == definition.id,
                JourneySnapshot.scope == scope,
                JourneySnapshot.period == period,
            )
        )
        if snapshot is None:
            snapshot = JourneySnapshot(
                workspace_id=ws.id, journey_id=definition.id, scope=scope, period=period
            )
            session.add(snapshot)
        snapshot.journey_version = definition.version
        snapshot.start = data.start
        snapshot.end = data.end
        snapshot.customers = counts["customers"]
        snapshot.interactions = counts["interactions"]
        snapshot.voices = counts["voices"]
        snapshot.result = result
        snapshot.seconds = round(seconds, 3)
        snapshot.computed_at = utcnow()
    return RefreshReport(
        scope, period, counts["customers"], counts["interactions"], counts["voices"], seconds
    )
