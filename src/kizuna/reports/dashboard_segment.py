"""The dashboard for a segment or a persona: its customers' voice rows summed on request.

A segment is a saved filter over customers' attributes and scores, a persona the customers
its latest build assigned to it (`persona_member`: one persona per customer, so a persona id
is the segment condition `persona = id`). Both change as customers are scored or clustered
again, without any voice changing, so the daily rollups cannot hold them. Instead the
customers are found with the customers room's public `segment_customer_ids`, and the rows
the rollups' own `voice_frames` made of their voices of the window (every dimension kept
apart), kept per day with the rollups (`kizuna.reports.segment_days`), are summed by day and
the dimensions the page filters on or groups by; the readers of `kizuna.reports.dashboard`
sum those as they would sum the rollups'. NPS, CSAT and CES therefore equal
`compute_metric` over the same voices.

Cached per (workspace, segment, persona, rollup version, dimensions kept) in
`dashboard_cache` with the days they cover, so a page's widgets (the period, the month
before, the previous period of the same length; frames keeping more dimensions serve reads
that need fewer) and its next views read the rows once; entries expire after the cache's
TTL, which bounds how stale a membership can be. Must not touch the customers room's tables.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.errors import NotFound
from kizuna.feedback.models import Feedback
from kizuna.reports.dashboard_cache import cached, lookup, rollup_version, store
from kizuna.reports.dashboard_frames import covering, narrowed_sums, window_of
from kizuna.reports.models import DashboardDay
from kizuna.reports.rollup_counts import DIMENSIONS
from kizuna.reports.segment_days import voice_day_frames

if TYPE_CHECKING:
    import pandas as pd

    from kizuna.reports.dashboard import DashboardFilter

__all__ = [
    "customer_condition",
    "group_choices",
    "group_conditions",
    "group_customers",
    "group_rollups",
    "group_sums",
    "group_window",
]

PAGE = 50_000
BOUND_IDS = 20_000  # longer id lists are checked in Python (bind parameter limits)


def _workspace(session: Session, workspace_id: int) -> Workspace:
    found = session.get(Workspace, workspace_id)
    assert found is not None, workspace_id
    return found


def group_conditions(
    session: Session, workspace: Workspace, chosen: DashboardFilter
) -> list[dict[str, Any]]:
    """The segment conditions of the filter's segment and persona (both must hold)."""
    conditions: list[dict[str, Any]] = []
    if chosen.segment is not None:
        from kizuna.customers.segments import get_segment

        conditions += list(get_segment(session, workspace, chosen.segment).conditions)
    if chosen.persona is not None:
        from kizuna.personas.service import get_persona

        try:
            get_persona(session, workspace, chosen.persona)
        except NotFound:
            raise NotFound(
                f"Persona {chosen.persona} does not exist in this workspace; "
                "choose one from the persona filter or clear it.",
                f"ペルソナ {chosen.persona} はこのワークスペースにありません。"
                "ペルソナの絞り込みから選ぶか、外してください。",
                persona_id=chosen.persona,
            ) from None
        conditions.append({"field": "persona", "op": "eq", "value": chosen.persona})
    return conditions


def _member_ids(
    session: Session, workspace: Workspace, conditions: list[dict[str, Any]]
) -> list[int]:
    from kizuna.customers.segments import segment_customer_ids

    ids: list[int] = []
    while True:
        page = segment_customer_ids(session, workspace, conditions, limit=PAGE, offset=len(ids))
        ids.extend(page)
        if len(page) < PAGE:
            return ids


def group_customers(
    session: Session, workspace_id: int, chosen: DashboardFilter
) -> frozenset[int] | None:
    """Ids of the segment's (and persona's) customers; None when neither is chosen."""
    if not chosen.grouped:
        return None
    version = rollup_version(session, workspace_id)
    key = ("group-members", workspace_id, chosen.segment, chosen.persona, version)

    def find() -> frozenset[int]:
        workspace = _workspace(session, workspace_id)
        return frozenset(
            _member_ids(session, workspace, group_conditions(session, workspace, chosen))
        )

    return cached(key, find)


def customer_condition(members: frozenset[int]) -> Any:
    """A condition on `Feedback` keeping these customers' voices (callers check the ids in
    Python too when the list is too long to bind)."""
    if len(members) <= BOUND_IDS:
        return Feedback.customer_id.in_(sorted(members))
    return Feedback.customer_id.is_not(None)


def group_window(chosen: DashboardFilter) -> tuple[dt.date, dt.date]:
    """The days every widget may read (`kizuna.reports.dashboard_frames.window_of`)."""
    return window_of(chosen)


def _needed(chosen: DashboardFilter, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The dimensions a read of `keys` under this filter must keep apart."""
    return tuple(n for n in DIMENSIONS if n in chosen.dimensions() or n in keys)


def _frames_key(
    session: Session, workspace_id: int, chosen: DashboardFilter, keys: tuple[str, ...]
) -> tuple[Any, ...]:
    """The cache key of the frames that serve a read of `keys`: those already summed by
    dimensions that include the needed ones (any page's reads share one load), else new
    ones summed by the needed dimensions."""
    version = rollup_version(session, workspace_id)
    base = ("group-rollups", workspace_id, chosen.segment, chosen.persona, version)
    needed = set(_needed(chosen, keys))
    loaded: tuple[tuple[str, ...], ...] = lookup(("group-by", *base)) or ()
    by = next((b for b in loaded if needed <= set(b)), _needed(chosen, keys))
    if by not in loaded:
        store(("group-by", *base), (*loaded, by))
    return (*base, by)


def group_rollups(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    first: dt.date | None = None,
    last: dt.date | None = None,
    keys: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Voice and voice-topic rows of the segment's voices covering `first`..`last` (default:
    `group_window`), summed by day and at least the dimensions the filter names and `keys`
    asks for, from the cache when an entry covers those days and dimensions."""
    key = _frames_key(session, workspace_id, chosen, keys)

    def load(first: dt.date, last: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
        members = sorted(group_customers(session, workspace_id, chosen) or ())
        return voice_day_frames(session, workspace_id, first, last, members, by=key[-1])

    return covering(key, chosen, first, last, load)


def group_sums(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    table: Any,
    columns: dict[str, str],
    keys: tuple[str, ...],
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """What `kizuna.reports.dashboard.read_sums` gives, summed over the segment's rows."""
    days, topics = group_rollups(session, workspace_id, chosen, first, last, keys)
    frame = days if table is DashboardDay else topics
    key = _frames_key(session, workspace_id, chosen, keys)
    held = lookup(key)
    window = (held[0], held[1]) if held is not None else (first, last)
    return narrowed_sums(
        (*key, window, table.__tablename__), frame, chosen, columns, keys, first, last
    )


def group_choices(
    session: Session, workspace_id: int, lang: str = "ja"
) -> dict[str, list[tuple[str, str]]]:
    """The segments and the active personas a filter can choose: (id, name) each."""
    from kizuna.customers.segments import Segment
    from kizuna.personas.service import list_personas, persona_name

    workspace = _workspace(session, workspace_id)
    segments = session.execute(
        select(Segment.id, Segment.name)
        .where(Segment.workspace_id == workspace_id)
        .order_by(Segment.name)
    ).all()
    personas = [p for p in list_personas(session, workspace) if p.active]
    return {
        "segment": [(str(i), str(name)) for i, name in segments],
        "persona": [(str(p.id), persona_name(p, lang)) for p in personas],
    }
