"""The dashboard's daily rollups: counts and sums per workspace, day and dimension values.

    refresh_rollups(session, workspace_id)   # count again what changed since the last time
    rebuild_rollups(session, workspace_id)   # count everything again (`kizuna dashboard rebuild`)

A day is counted whole: its voices (customer sources; employee answers are left out as every
customer metric leaves them out) with each one's newest analysis are read and added up into
`dashboard_day` and `dashboard_topic_day` rows, replacing that day's rows; the same count
keeps the day's rows of customers' voices for segments (`kizuna.reports.segment_days`) and
which customers spoke and answered NPS (`kizuna.reports.customer_days`, whose interaction
parts follow `dashboard_state.interaction_mark`). What to count again is found three ways,
so nothing written by any path is missed:

- voices added since the last refresh (ids above `dashboard_state.feedback_mark`), whether
  recorded through `record_voice`, an import or a bulk insert;
- analyses added since (ids above `analysis_mark`; the text engine replaces an analysis by
  inserting a new row);
- days marked dirty by the `voice.recorded` subscriber (a voice changed in place keeps its id).

The subscribers (`on_voices_recorded`, `on_voices_analysed`) refresh in the event delivery's
transaction, so the rollups follow the data without a scan per request; the dashboard
refreshes too before reading, which costs three index lookups when nothing changed. Refreshes
of one workspace are serialised on its `dashboard_state` row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Date, Table, Text, delete, func, insert, select
from sqlalchemy import cast as cast_to
from sqlalchemy.orm import Session, aliased

from kizuna.db.guard import TRUSTED
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.customer_days import count_voice_days, refresh_interaction_days
from kizuna.reports.models import (
    DashboardCustomerDay,
    DashboardDay,
    DashboardDirtyDay,
    DashboardState,
    DashboardTopicDay,
)
from kizuna.reports.rollup_counts import DIMENSIONS, FULL, GRAINS, count_frames, voice_frames
from kizuna.reports.segment_days import store_voice_days

if TYPE_CHECKING:
    from kizuna.app import Kizuna
    from kizuna.feedback.events import VoicesAnalyzed, VoicesRecorded, VoicesRelabelled

__all__ = [
    "DIMENSIONS",
    "EMPLOYEE_SOURCE",
    "FULL",
    "GRAINS",
    "VoiceRow",
    "in_workspace",
    "json_value",
    "mark_days_dirty",
    "newest_analysis_id",
    "on_voices_analysed",
    "on_voices_recorded",
    "on_voices_relabelled",
    "rebuild_rollups",
    "refresh_rollups",
    "voice_rows",
]

EMPLOYEE_SOURCE = "employee"
_DAY_CHUNK = 31
_INSERT_CHUNK = 2000


def newest_analysis_id(workspace_id: int) -> Any:
    """The id of each voice's newest analysis, as a subquery correlated to `Feedback`.

    The voice's id finds its analyses (`+ 0` keeps SQLite off the workspace index, which
    would read every analysis of the workspace for each voice: quadratic).
    """
    newest = aliased(FeedbackAnalysis)
    return (
        select(func.max(newest.id))
        .where(newest.feedback_id == Feedback.id, (newest.workspace_id + 0) == workspace_id)
        .correlate(Feedback)
        .scalar_subquery()
    )


class VoiceRow(NamedTuple):
    """One voice and its newest analysis, as `count_voices` reads it (`voice_rows`)."""

    received_on: dt.date
    customer_id: int | None
    channel: str | None
    touchpoint: str | None
    language: str | None
    source: str | None
    properties: Any  # the decoded JSON; shared by voices with the same text: read only
    nps: int | None
    csat: int | None
    ces: int | None
    analysed_language: str | None
    sentiment: str | None
    sentiment_score: float | None
    delight: float | None
    expectation: str | None
    topics: Any


_JSON_COLUMNS = (VoiceRow._fields.index("properties"), VoiceRow._fields.index("topics"))
_FETCH = 5_000  # rows taken from the driver at once
_SHARED = 10_000  # properties texts kept decoded (a few shapes make nearly every voice's)
_scan_json: Callable[[str, int], tuple[Any, int]]
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def json_value(text: Any) -> Any:
    """`json.loads` of a JSON text (what SQLAlchemy's JSON type gives) by the decoder's own
    C scanner, without the two regular expressions `json.loads` runs around it; a value
    the driver decoded already (psycopg's JSONB) as it is."""
    if not isinstance(text, str):
        return text
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:  # leading blanks, or not JSON: json.loads skips or raises
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def voice_rows(
    session: Session, workspace_id: int, *conditions: Any, by_customer: bool = False
) -> Iterator[VoiceRow]:
    """The workspace's customer voices meeting `conditions`, each with its newest analysis:
    the rows `count_voices` adds up. `by_customer`: the conditions pick customers by id
    (`in_workspace` says why that matters).

    Read as the driver gives them and decoded here with the values SQLAlchemy's types give
    (dates through the dialect's own processor, once per distinct text; JSON as `json.loads`
    reads it, a voice's properties once per distinct text): a segment's 217,000 voices at
    1 M took 9.5-10.2 CPU s through SQLAlchemy's rows, 7.0 s this way."""
    latest = newest_analysis_id(workspace_id)
    json_text = session.get_bind().dialect.name == "postgresql"
    columns: list[Any] = [getattr(Feedback, n) for n in VoiceRow._fields[:10]]
    columns += [
        FeedbackAnalysis.language,
        *(getattr(FeedbackAnalysis, n) for n in VoiceRow._fields[11:]),
    ]
    if json_text:  # decoded here, faster than psycopg's loader from bytes
        columns = [cast_to(c, Text) if i in _JSON_COLUMNS else c for i, c in enumerate(columns)]
    query = (
        select(*columns)
        .outerjoin(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
        )
        .where(
            in_workspace(workspace_id, by_customer),
            Feedback.source != EMPLOYEE_SOURCE,
            *conditions,
        )
    )
    dialect = session.get_bind().dialect
    to_date = Date().dialect_impl(dialect).result_processor(dialect, None)
    days: dict[Any, Any] = {}
    shared: dict[Any, Any] = {}
    if session.autoflush:  # what `session.execute` does first: pending voices count too
        session.flush()
    result = session.connection().execute(query)
    try:
        while found := result.cursor.fetchmany(_FETCH):
            for raw in found:
                day = raw[0]
                if day.__class__ is not dt.date:
                    if (known := days.get(day)) is None:
                        known = days[day] = to_date(day) if to_date else day
                    day = known
                properties = raw[6]
                if properties.__class__ is str:
                    if (value := shared.get(properties)) is None:
                        value = json_value(properties)
                        if len(shared) < _SHARED:
                            shared[properties] = value
                    properties = value
                yield VoiceRow._make((day, *raw[1:6], properties, *raw[7:15], json_value(raw[15])))
    finally:
        result.close()


def in_workspace(workspace_id: int, by_customer: bool = False) -> Any:
    """`Feedback.workspace_id == workspace_id`; `by_customer` writes it as `workspace_id + 0`
    so that SQLite reads a list of customers' voices through the customer index rather than
    every voice of the period through the (workspace, day) index, once per list."""
    if by_customer:
        return (Feedback.workspace_id + 0) == workspace_id
    return Feedback.workspace_id == workspace_id


def _count_days(
    session: Session, workspace_id: int, days: Sequence[dt.date]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rollup rows of these days, as dicts ready to insert; their voices' rows for a
    segment's dashboard (`kizuna.reports.segment_days`) are stored on the way."""
    day_frame, topic_frame = voice_frames(
        voice_rows(session, workspace_id, Feedback.received_on.in_(list(days))), customers=True
    )
    store_voice_days(session, workspace_id, days, day_frame, topic_frame)
    day_rows, topic_rows = count_frames(day_frame, topic_frame)
    for row in day_rows:
        row["workspace_id"] = workspace_id
    for row in topic_rows:
        row["workspace_id"] = workspace_id
    return day_rows, topic_rows


def _recount(session: Session, workspace_id: int, days: Iterable[dt.date]) -> int:
    """Replace the rollup rows of these days, their voices' rows for segments and their
    customers' voice parts (`kizuna.reports.customer_days`); returns how many days were
    counted."""
    ordered = sorted(set(days))
    for start in range(0, len(ordered), _DAY_CHUNK):
        chunk = ordered[start : start + _DAY_CHUNK]
        for table in (DashboardDay, DashboardTopicDay):
            session.execute(
                delete(table).where(table.workspace_id == workspace_id, table.day.in_(chunk))
            )
        day_rows, topic_rows = _count_days(session, workspace_id, chunk)
        for table, rows in ((DashboardDay, day_rows), (DashboardTopicDay, topic_rows)):
            statement = insert(cast(Table, table.__table__))  # Core: no ORM work per row
            for at in range(0, len(rows), _INSERT_CHUNK):
                # Counted from stored rows, which the value guard saw when they were written.
                session.execute(statement, rows[at : at + _INSERT_CHUNK], execution_options=TRUSTED)
        count_voice_days(session, workspace_id, chunk)
    return len(ordered)


def _lock_state(session: Session, workspace_id: int) -> DashboardState | None:
    """The workspace's state row, locked for this transaction (None before the first build)."""
    return session.scalar(
        select(DashboardState).where(DashboardState.workspace_id == workspace_id).with_for_update()
    )


def _marks(session: Session, workspace_id: int) -> tuple[int, int]:
    feedback = session.scalar(
        select(func.max(Feedback.id)).where(Feedback.workspace_id == workspace_id)
    )
    analysis = session.scalar(
        select(func.max(FeedbackAnalysis.id)).where(FeedbackAnalysis.workspace_id == workspace_id)
    )
    return int(feedback or 0), int(analysis or 0)


def rebuild_rollups(session: Session, workspace_id: int) -> int:
    """Count every day of the workspace again; returns the number of days counted."""
    state = _lock_state(session, workspace_id)
    feedback_mark, analysis_mark = _marks(session, workspace_id)
    tables = (DashboardDay, DashboardTopicDay, DashboardDirtyDay, DashboardCustomerDay)
    for table in tables:
        session.execute(delete(table).where(table.workspace_id == workspace_id))
    days = session.scalars(
        select(Feedback.received_on).where(Feedback.workspace_id == workspace_id).distinct()
    ).all()
    counted = _recount(session, workspace_id, days)
    if state is None:
        state = DashboardState(workspace_id=workspace_id)
        session.add(state)
    state.feedback_mark, state.analysis_mark = feedback_mark, analysis_mark
    state.interaction_mark = 0  # the voices' customers are counted: every interaction now
    refresh_interaction_days(session, state)
    state.built_at = dt.datetime.now(dt.UTC)
    session.flush()
    return counted


def _days_of_new_voices(session: Session, workspace_id: int, mark: int) -> tuple[set[dt.date], int]:
    rows = session.execute(
        select(Feedback.received_on, func.max(Feedback.id))
        # `+ 0` keeps SQLite off the (workspace, day) index, which would read every voice
        # of the workspace: the primary key's range reads the new ones only.
        .where(Feedback.id > mark, (Feedback.workspace_id + 0) == workspace_id)
        .group_by(Feedback.received_on)
    ).all()
    return {day for day, _ in rows}, max((int(top) for _, top in rows), default=mark)


def _days_of_new_analyses(
    session: Session, workspace_id: int, mark: int
) -> tuple[set[dt.date], int]:
    rows = session.execute(
        select(Feedback.received_on, func.max(FeedbackAnalysis.id))
        .select_from(FeedbackAnalysis)
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .where(FeedbackAnalysis.id > mark, FeedbackAnalysis.workspace_id == workspace_id)
        .group_by(Feedback.received_on)
    ).all()
    return {day for day, _ in rows}, max((int(top) for _, top in rows), default=mark)


def refresh_rollups(session: Session, workspace_id: int) -> int:
    """Count again the days whose voices or analyses changed; the first time (and the
    first time after an upgrade that added what the rollups keep), every day.

    Returns the number of days counted (0 when the rollups were current).
    """
    state = _lock_state(session, workspace_id)
    if state is None or state.interaction_mark is None:
        return rebuild_rollups(session, workspace_id)
    voice_days, feedback_mark = _days_of_new_voices(session, workspace_id, state.feedback_mark)
    analysed_days, analysis_mark = _days_of_new_analyses(session, workspace_id, state.analysis_mark)
    dirty = session.execute(
        select(DashboardDirtyDay.id, DashboardDirtyDay.day).where(
            DashboardDirtyDay.workspace_id == workspace_id
        )
    ).all()
    days = voice_days | analysed_days | {day for _, day in dirty}
    refresh_interaction_days(session, state)
    if not days:
        return 0
    counted = _recount(session, workspace_id, days)
    if dirty:
        session.execute(
            delete(DashboardDirtyDay).where(
                DashboardDirtyDay.workspace_id == workspace_id,
                DashboardDirtyDay.id.in_([i for i, _ in dirty]),
            )
        )
    state.feedback_mark, state.analysis_mark = feedback_mark, analysis_mark
    state.built_at = dt.datetime.now(dt.UTC)
    session.flush()
    return counted


def mark_days_dirty(session: Session, workspace_id: int, feedback_ids: Sequence[int]) -> int:
    """Mark the days of these voices to be counted again; returns how many were new."""
    days = set(
        session.scalars(
            select(Feedback.received_on)
            .where(Feedback.workspace_id == workspace_id, Feedback.id.in_(list(feedback_ids)))
            .distinct()
        )
    )
    known = set(
        session.scalars(
            select(DashboardDirtyDay.day).where(
                DashboardDirtyDay.workspace_id == workspace_id, DashboardDirtyDay.day.in_(days)
            )
        )
    )
    new = sorted(days - known)
    if new:
        session.execute(
            insert(DashboardDirtyDay), [{"workspace_id": workspace_id, "day": d} for d in new]
        )
    return len(new)


def on_voices_recorded(kz: Kizuna, session: Session, event: VoicesRecorded) -> None:
    """Subscriber of `voice.recorded`: count the voices' days again (new or changed in place)."""
    _count_days_again(session, event.workspace_id, event.feedback_ids)


def _count_days_again(session: Session, workspace_id: int, ids: Sequence[int]) -> None:
    if _lock_state(session, workspace_id) is None:
        return  # never built: the first dashboard view or `rebuild` counts everything
    for start in range(0, len(ids), 1000):
        mark_days_dirty(session, workspace_id, ids[start : start + 1000])
    refresh_rollups(session, workspace_id)


def on_voices_relabelled(kz: Kizuna, session: Session, event: VoicesRelabelled) -> None:
    """Subscriber of `voice.relabelled`: topics changed in place (same analysis ids, which
    the analysis mark cannot see), so the voices' days are counted again."""
    _count_days_again(session, event.workspace_id, event.feedback_ids)


def on_voices_analysed(kz: Kizuna, session: Session, event: VoicesAnalyzed) -> None:
    """Subscriber of `voice.analyzed`: count the days of the new analyses again."""
    if _lock_state(session, event.workspace_id) is None:
        return
    refresh_rollups(session, event.workspace_id)
