"""What the journey pages, the API and the CLI read: stored snapshots, scopes, the map input.

Nothing here recounts interactions: a snapshot is read as stored, filtered for display
(the directly-follows graph by frequency) and put beside the journey's definition. A
snapshot made with an older definition is shown, marked out of date, until the refresh
the change queued has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.errors import NotFound
from kizuna.journeys.data import PERIODS, check_scope
from kizuna.journeys.definition import JourneyDefinition, load_definition
from kizuna.journeys.journey_map import MapInput
from kizuna.journeys.models import JourneySnapshot

__all__ = [
    "GRAPH_FILTERS",
    "JourneyView",
    "ScopeOption",
    "filter_graph",
    "improvements_by_topic",
    "journey_view",
    "map_input",
    "scope_label",
    "scope_options",
    "snapshot_of",
]

ALL_CUSTOMERS = {"ja": "すべての顧客", "en": "All customers"}
# Share of all transitions an edge must have to be drawn (the frequency filter).
GRAPH_FILTERS = (0.0, 0.005, 0.01, 0.02, 0.05)


@dataclass(frozen=True)
class ScopeOption:
    value: str
    label: str
    kind: str  # all, persona, segment


def scope_options(session: Session, workspace: Workspace, language: str) -> list[ScopeOption]:
    """Everyone, then each active persona, then each saved segment."""
    from kizuna.customers.models import Segment
    from kizuna.personas.models import Persona
    from kizuna.personas.service import persona_name

    options = [ScopeOption("all", ALL_CUSTOMERS.get(language, ALL_CUSTOMERS["en"]), "all")]
    personas = session.scalars(
        select(Persona)
        .where(Persona.workspace_id == workspace.id, Persona.active)
        .order_by(Persona.number, Persona.id)
    )
    options += [
        ScopeOption(f"persona:{p.id}", persona_name(p, language), "persona") for p in personas
    ]
    segments = session.execute(
        select(Segment.id, Segment.name)
        .where(Segment.workspace_id == workspace.id)
        .order_by(Segment.name)
    )
    options += [ScopeOption(f"segment:{i}", name, "segment") for i, name in segments]
    return options


def scope_label(session: Session, workspace: Workspace, scope: str, language: str) -> str:
    """A scope as people name it: everyone, the persona's or the segment's name."""
    kind, number = check_scope(session, workspace, scope)
    if kind == "all":
        return ALL_CUSTOMERS.get(language, ALL_CUSTOMERS["en"])
    for option in scope_options(session, workspace, language):
        if option.value == scope:
            return option.label
    return f"{kind} {number}"


def snapshot_of(
    session: Session, workspace: Workspace, journey_id: int, scope: str, period: str
) -> JourneySnapshot | None:
    return session.scalar(
        select(JourneySnapshot).where(
            JourneySnapshot.workspace_id == workspace.id,
            JourneySnapshot.journey_id == journey_id,
            JourneySnapshot.scope == scope,
            JourneySnapshot.period == period,
        )
    )


@dataclass
class JourneyView:
    definition: JourneyDefinition
    scope: str
    period: str
    label: str
    snapshot: JourneySnapshot | None
    options: list[ScopeOption]

    @property
    def result(self) -> dict[str, Any]:
        return dict(self.snapshot.result) if self.snapshot is not None else {}

    @property
    def stale(self) -> bool:
        return (
            self.snapshot is not None and self.snapshot.journey_version != self.definition.version
        )


def journey_view(
    session: Session, workspace: Workspace, scope: str, period: str, language: str
) -> JourneyView:
    """The journey and the stored analytics of one scope and period (None when not computed)."""
    if period not in PERIODS:
        from kizuna.journeys.data import period_bounds

        period_bounds(session, workspace, period)  # raises the bilingual InvalidInput
    label = scope_label(session, workspace, scope, language)
    definition = load_definition(session, workspace)
    return JourneyView(
        definition=definition,
        scope=scope,
        period=period,
        label=label,
        snapshot=snapshot_of(session, workspace, definition.id, scope, period),
        options=scope_options(session, workspace, language),
    )


def filter_graph(result: dict[str, Any], min_share: float) -> dict[str, Any]:
    """The stored graph with edges under `min_share` of all transitions left out."""
    graph = result.get("graph") or {}
    total = max(1, int(graph.get("transitions") or 0))
    edges = [e for e in graph.get("edges", []) if e["count"] / total >= min_share]
    used = {e["source"] for e in edges} | {e["target"] for e in edges}
    nodes = [n for n in graph.get("nodes", []) if n["touchpoint"] in used or not edges]
    return {
        "nodes": nodes,
        "edges": edges,
        "transitions": total,
        "hidden": len(graph.get("edges", [])) - len(edges),
    }


def improvements_by_topic(
    session: Session, workspace: Workspace, topics: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """Improvements of the loop room on these topics (none when that room is absent)."""
    if not topics:
        return {}
    try:
        from kizuna.loop.models import Improvement
    except ImportError:  # pragma: no cover - the loop feature is optional
        return {}
    rows = session.execute(
        select(Improvement.id, Improvement.title, Improvement.status, Improvement.topic)
        .where(Improvement.workspace_id == workspace.id, Improvement.topic.in_(sorted(topics)))
        .order_by(Improvement.id.desc())
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for improvement_id, title, status, topic in rows:
        out.setdefault(str(topic), []).append(
            {"id": int(improvement_id), "title": title, "status": status}
        )
    return out


def map_input(
    session: Session, workspace: Workspace, scope: str, period: str, language: str
) -> MapInput:
    """What the journey map of a scope and period shows; NotFound before the first refresh."""
    view = journey_view(session, workspace, scope, period, language)
    if view.snapshot is None:
        raise NotFound(
            "The journey of this scope and period has not been computed yet. Refresh it on "
            "the journey page or with `kizuna journeys refresh`, then export the map.",
            "この対象と期間のジャーニーはまだ計算されていません。ジャーニーのページか "
            "`kizuna journeys refresh` で更新してから、マップを書き出してください。",
            scope=scope,
            period=period,
        )
    result = view.result
    topics = {p["topic"] for p in result.get("pain_points", [])}
    return MapInput(
        result=result,
        scope_label=view.label,
        language=language,
        improvements=improvements_by_topic(session, workspace, topics),
        made_on=view.snapshot.computed_at.date(),
    )
