"""The voice explorer: find voices by their words and by what the text engine found, and take
them away as CSV or Excel.

    page = search_voices(session, workspace, VoiceFilter(q="待ち時間", sentiment="negative"))
    data = export_voices(session, workspace, VoiceFilter(topic="room"), "xlsx")

Each voice comes with its newest analysis (sentiment and score, delight, expectation,
emotions, topics with their own polarity, experience values, cues with character offsets)
and its tags. Words are found through the full-text index (`kizuna.feedback.search`):
Japanese words inside sentences (待ち時間 finds 受付の待ち時間が長い), English words whole;
the index is read newest first a chunk at a time, and the filters on stored columns apply
to each chunk. A word holding a lone CJK character is matched as a substring, as are the
newest voices the index has not read yet. Filters on what lives inside the analysis' JSON
(topic and its polarity, emotion, experience value) are SQL too (JSONB containment on
PostgreSQL, `json_each` on SQLite), so the database stops at the page. Newest first; `cursor` (the last id of a page) gives the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    cast,
    func,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from kizuna.accounts.models import Workspace
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.explorer_filter import (
    EMOTIONS,
    EXPECTATIONS,
    EXPERIENCE_VALUES,
    SENTIMENTS,
    Voice,
    VoiceFilter,
    VoicePage,
    customer_condition,
)
from kizuna.feedback.models import Feedback, FeedbackAnalysis, VoiceTag, VoiceTagging
from kizuna.feedback.search import indexed_through, matching_ids
from kizuna.feedback.search_terms import parse_query

__all__ = [
    "EMOTIONS",
    "EXPECTATIONS",
    "EXPERIENCE_VALUES",
    "SENTIMENTS",
    "Voice",
    "VoiceFilter",
    "VoicePage",
    "export_voices",
    "highlight",
    "matching_rows",
    "matching_voices",
    "search_voices",
    "tags_of",
    "voice_query",
]

EMOTION_AT_LEAST = 0.5  # an emotion "present" in a voice
MAX_PAGE = 200
_BATCH = 500  # rows read at once when nothing says fewer will do
_MAX_CHUNK = 16_000  # rows or index ids read at once, the batch doubling up to it


def contains(word: str) -> ColumnElement[bool]:
    """The text holds the word (any case), wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Feedback.text.ilike(f"%{escaped}%", escape="\\")


def _customers(session: Session, workspace: Workspace, wanted: VoiceFilter) -> Any:
    """The ids of the customers meeting the customer attribute and the segment."""
    # The segment builder's own query (customers room), so a segment here counts the same
    # customers as on its page: survivors of merges, scores joined.
    from kizuna.customers.models import Customer
    from kizuna.customers.segments import get_segment, segment_query

    conditions: list[dict[str, Any]] = []
    if wanted.customer_attribute:
        conditions.append(customer_condition(wanted.customer_attribute))
    if wanted.segment is not None:
        try:
            segment = get_segment(session, workspace, wanted.segment)
        except NotFound:  # a filter naming nothing is a bad filter, as a bad sentiment is
            raise InvalidInput(
                f"There is no segment {wanted.segment} in this workspace; pick one on the "
                "customers' segments page.",
                f"このワークスペースにセグメント {wanted.segment} はありません。顧客の"
                "セグメント一覧から選んでください。",
                field="segment",
            ) from None
        conditions.extend(segment.conditions or [])
    return segment_query(session, workspace, conditions, Customer.id)


_FEEDBACK = ("id", "received_at", "channel", "touchpoint", "source", "customer_id",
             "customer_ref", "text", "nps", "csat", "ces", "rating")  # fmt: skip
_ANALYSIS = ("sentiment", "sentiment_score", "delight", "expectation", "emotions", "topics",
             "experience_values", "cues", "engine_version")  # fmt: skip


def _columns(analysis: Any, cues: bool) -> tuple[Any, ...]:
    """Plain columns, not ORM objects: a page or an export of a million rows builds no
    identity map. An export has no use for the cues' offsets: not reading them saves a JSON
    parse a row."""
    return (
        *(getattr(Feedback, name) for name in _FEEDBACK),
        Feedback.language.label("voice_language"),
        analysis.language.label("analysis_language"),
        *(
            getattr(analysis, name) if cues or name != "cues" else null().label("cues")
            for name in _ANALYSIS
        ),
    )


def voice_query(
    session: Session, workspace: Workspace, wanted: VoiceFilter, *, cues: bool = True
) -> Select[Any]:
    """Voices and their newest analysis meeting every filter but the words, newest first:
    the statement the page reads a chunk at a time and the export streams whole."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # A lateral join keeps PostgreSQL walking the voices newest first and stopping at
        # the page; with the newest analysis as a join condition it read every analysis of a
        # filtered sentiment and sorted them (3 s at 200,000 voices).
        lateral = (
            select(FeedbackAnalysis)
            .where(FeedbackAnalysis.feedback_id == Feedback.id)
            .order_by(FeedbackAnalysis.id.desc())
            .limit(1)
            .lateral("newest_analysis")
        )
        analysis: Any = aliased(FeedbackAnalysis, lateral)
        joined = select(*_columns(analysis, cues)).outerjoin(lateral, true())
    else:
        # The newest analysis of each voice, found through its feedback id alone (the voice
        # is already of the workspace): naming the workspace here too lets SQLite, without
        # statistics, read every analysis of the workspace per voice.
        newest = aliased(FeedbackAnalysis)
        latest = (
            select(func.max(newest.id))
            .where(newest.feedback_id == Feedback.id)
            .correlate(Feedback)
            .scalar_subquery()
        )
        analysis = FeedbackAnalysis
        joined = select(*_columns(analysis, cues)).outerjoin(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
        )
    # Both databases walk ix_feedback_ws_id (workspace_id, id) backwards: the workspace's
    # voices newest first, stopping at the page, whatever other workspaces hold.
    query = joined.where(Feedback.workspace_id == workspace.id)
    simple = {
        Feedback.channel: wanted.channel,
        Feedback.touchpoint: wanted.touchpoint,
        Feedback.customer_id: wanted.customer_id,
        analysis.sentiment: wanted.sentiment,
        analysis.expectation: wanted.expectation,
    }
    for column, value in simple.items():
        if value is not None:
            query = query.where(column == value)
    if wanted.language:
        query = query.where(
            or_(analysis.language == wanted.language, Feedback.language == wanted.language)
        )
    if wanted.min_delight is not None:
        query = query.where(analysis.delight >= wanted.min_delight)
    if wanted.min_nps is not None:
        query = query.where(Feedback.nps >= wanted.min_nps)
    if wanted.max_nps is not None:
        query = query.where(Feedback.nps <= wanted.max_nps)
    query = query.where(*_in_dates(session, workspace, wanted, dialect))
    if wanted.customer_attribute or wanted.segment is not None:
        query = query.where(Feedback.customer_id.in_(_customers(session, workspace, wanted)))
    query = query.where(*_inside_json(analysis, wanted, dialect))
    if wanted.tag:
        tagged = (
            select(VoiceTagging.feedback_id)
            .join(VoiceTag, VoiceTag.id == VoiceTagging.tag_id)
            .where(VoiceTag.workspace_id == workspace.id, VoiceTag.name == wanted.tag)
        )
        query = query.where(Feedback.id.in_(tagged))
    return query.order_by(Feedback.id.desc())


_DENSE = 5_000  # voices in a period from which walking newest first finds a page at once


def _in_dates(
    session: Session, workspace: Workspace, wanted: VoiceFilter, dialect: str
) -> list[ColumnElement[bool]]:
    """The period's conditions, written so that SQLite reads the right index.

    SQLite, without statistics, reads a period through `ix_feedback_ws_received` and sorts
    what it found by id: at 1 M voices a year is 640,000 voices read with their analyses
    for a page of 50 (3-10 s). When the period holds the workspace's newest voice and at
    least `_DENSE` voices (two bounded index reads tell), the voices are walked newest first
    instead (`ix_feedback_ws_id`, stopping at the page) and the day is compared as text that
    no index serves; a short or past period keeps its own index, where a walk would cross
    every newer voice first. PostgreSQL chooses by its statistics.
    """
    since, until = wanted.since, wanted.until
    if since is None and until is None:
        return []
    day: Any = Feedback.received_on
    if dialect == "sqlite" and _recent_and_dense(session, workspace, wanted):
        day = type_coerce(Feedback.received_on, String).concat("")  # no index: see above
        since_value: Any = since.isoformat() if since is not None else None
        until_value: Any = until.isoformat() if until is not None else None
    else:
        since_value, until_value = since, until
    found = []
    if since_value is not None:
        found.append(day >= since_value)
    if until_value is not None:
        found.append(day <= until_value)
    return found


def _recent_and_dense(session: Session, workspace: Workspace, wanted: VoiceFilter) -> bool:
    newest = session.scalar(
        select(Feedback.received_on)
        .where(Feedback.workspace_id == workspace.id)
        .order_by(Feedback.id.desc())
        .limit(1)
    )
    if newest is None:
        return False
    if (wanted.since is not None and newest < wanted.since) or (
        wanted.until is not None and newest > wanted.until
    ):
        return False
    inside = select(Feedback.id).where(Feedback.workspace_id == workspace.id)
    if wanted.since is not None:
        inside = inside.where(Feedback.received_on >= wanted.since)
    if wanted.until is not None:
        inside = inside.where(Feedback.received_on <= wanted.until)
    counted = session.scalar(select(func.count()).select_from(inside.limit(_DENSE).subquery()))
    return int(counted or 0) >= _DENSE


def _holds_json(column: Any, part: Any) -> ColumnElement[bool]:
    """PostgreSQL's JSONB containment (`@>`), which reads an array of objects element-wise."""
    held: ColumnElement[bool] = column.op("@>")(cast(type_coerce(part, JSONB), JSONB))
    return held


def _inside_json(analysis: Any, wanted: VoiceFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The filters on what lives inside the analysis' JSON, as SQL, so that the database
    stops at the page: a filter that keeps few voices never streams the whole workspace
    through Python. PostgreSQL tests containment in its JSONB; SQLite reads `json_each`.
    Emotion names are checked against `EMOTIONS` before they reach a JSON path."""
    found: list[ColumnElement[bool]] = []
    topic = {
        key: value
        for key, value in (("topic", wanted.topic), ("sentiment", wanted.topic_sentiment))
        if value
    }
    if wanted.emotion:
        # ->> on PostgreSQL, json_extract on SQLite; a voice without the emotion is left out.
        found.append(analysis.emotions[wanted.emotion].as_float() >= EMOTION_AT_LEAST)
    if dialect == "postgresql":
        if wanted.experience_value:
            found.append(_holds_json(analysis.experience_values, [wanted.experience_value]))
        if topic:
            found.append(_holds_json(analysis.topics, [topic]))
        return found
    if wanted.experience_value:
        each = func.json_each(analysis.experience_values).table_valued("value")
        found.append(
            select(1).select_from(each).where(each.c.value == wanted.experience_value).exists()
        )
    if topic:
        each = func.json_each(analysis.topics).table_valued("value")
        found.append(
            select(1)
            .select_from(each)
            .where(
                *(
                    func.json_extract(each.c.value, f"$.{key}") == value
                    for key, value in topic.items()
                )
            )
            .exists()
        )
    return found


def tags_of(session: Session, workspace_id: int, ids: list[int]) -> dict[int, list[str]]:
    """The tags of these voices, by name."""
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    rows = session.connection().execute(
        select(VoiceTagging.feedback_id, VoiceTag.name)
        .join(VoiceTag, VoiceTag.id == VoiceTagging.tag_id)
        .where(VoiceTagging.workspace_id == workspace_id, VoiceTagging.feedback_id.in_(ids))
        .order_by(VoiceTag.name)
    )
    for fid, name in rows:
        found.setdefault(int(fid), []).append(str(name))
    return found


def _voice(row: Row[Any], tags: list[str]) -> Voice:
    found = row._mapping
    return Voice(
        **{name: found[name] for name in _FEEDBACK},
        language=found["analysis_language"] or found["voice_language"],
        sentiment=found["sentiment"],
        sentiment_score=found["sentiment_score"],
        delight=found["delight"],
        expectation=found["expectation"],
        emotions=dict(found["emotions"] or {}),
        topics=list(found["topics"] or []),
        experience_values=list(found["experience_values"] or []),
        cues=list(found["cues"] or []),
        engine_version=found["engine_version"],
        tags=tags,
    )


Found = tuple[Row[Any], list[str]]  # a voice's row (columns of _columns) and its tags


def _read(
    session: Session, workspace: Workspace, query: Select[Any]
) -> tuple[list[Found], int | None, int]:
    """One batch: its rows with their tags, the last id read, how many rows."""
    rows = session.connection().execute(query).all()
    if not rows:
        return [], None, 0
    tags = tags_of(session, workspace.id, [row.id for row in rows])
    return [(row, tags.get(row.id, [])) for row in rows], int(rows[-1].id), len(rows)


def _scan(
    session: Session,
    workspace: Workspace,
    query: Select[Any],
    below: int | None,
    size: int,
) -> Iterator[Found]:
    """Every row of the query below `below`, newest first, `size` rows at first, then more."""
    while True:
        batch = query if below is None else query.where(Feedback.id < below)
        found, last, read = _read(session, workspace, batch.limit(size))
        yield from found
        if read < size:
            return
        below, size = last, min(size * 2, _MAX_CHUNK)


def matching_rows(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    cursor: int | None = None,
    *,
    first: int = _BATCH,
    cues: bool = True,
) -> Iterator[Found]:
    """Every voice meeting the filter as its row and tags, newest first, below `cursor`.

    The first batch reads `first` rows (a page needs its size and one more), the next ones
    twice as many each time, for filters that keep few of the rows read."""
    words = parse_query(wanted.q)
    query = voice_query(session, workspace, wanted, cues=cues)
    query = query.where(*map(contains, words.substrings))
    if not words.phrases:
        yield from _scan(session, workspace, query, cursor, first)
        return
    # Voices the index has not read yet are all newer than those it has: read them first.
    mark = indexed_through(session, workspace.id)
    if cursor is None or cursor > mark + 1:
        fresh = query.where(Feedback.id > mark, *map(contains, words.words))
        yield from _scan(session, workspace, fresh, cursor, first)
    below = mark + 1 if cursor is None else min(cursor, mark + 1)
    size = first
    while True:
        ids = matching_ids(session, workspace.id, words, below=below, limit=size)
        if ids:
            found, _, _ = _read(session, workspace, query.where(Feedback.id.in_(ids)))
            yield from found
        if len(ids) < size:
            return
        below, size = ids[-1], min(size * 2, _MAX_CHUNK)


def matching_voices(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    cursor: int | None = None,
    *,
    first: int = _BATCH,
) -> Iterator[Voice]:
    """Every voice meeting the filter, newest first, below `cursor` when given."""
    for row, tags in matching_rows(session, workspace, wanted, cursor, first=first):
        yield _voice(row, tags)


def search_voices(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    *,
    limit: int = 50,
    cursor: int | None = None,
) -> VoicePage:
    """One page of matching voices, newest first, and the cursor of the next page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            f"limit is 1 to {MAX_PAGE}.", f"limit は 1〜{MAX_PAGE} で指定してください。"
        )
    voices: list[Voice] = []
    for voice in matching_voices(session, workspace, wanted, cursor, first=limit + 1):
        if len(voices) == limit:
            return VoicePage(voices, voices[-1].id)
        voices.append(voice)
    return VoicePage(voices, None)


def highlight(voice: Voice) -> list[tuple[str, str | None]]:
    """The text cut into (piece, cue kind or None): the words the engine read, marked.

    Overlapping cues keep the first; offsets outside the text are ignored."""
    text = voice.text or ""
    marks: list[tuple[int, int, str]] = []
    end_of_last = 0
    for cue in sorted(voice.cues, key=lambda c: (int(c.get("start", 0)), -int(c.get("end", 0)))):
        start, end = int(cue.get("start", 0)), int(cue.get("end", 0))
        if start < end_of_last or not 0 <= start < end <= len(text):
            continue
        kind = str(cue.get("kind") or "cue")
        label = cue.get("label")
        if kind == "sentiment" and label in ("positive", "negative"):
            kind = f"sentiment-{label}"
        marks.append((start, end, kind))
        end_of_last = end
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for start, end, kind in marks:
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], kind))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def export_voices(
    session: Session, workspace: Workspace, wanted: VoiceFilter, fmt: str
) -> tuple[bytes, int]:
    """The matching voices as CSV or XLSX bytes, and how many (`explorer_export`)."""
    from kizuna.feedback.explorer_export import export_voices as export

    return export(session, workspace, wanted, fmt)
