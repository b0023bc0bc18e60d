"""The voice explorer: find voices by their words and by what the text engine found, and take
them away as CSV or Excel.

    page = search_voices(session, workspace, VoiceFilter(q="待ち時間", sentiment="negative"))
    data = export_voices(session, workspace, VoiceFilter(topic="room"), "xlsx")

Each voice comes with its newest analysis (sentiment and score, delight, expectation,
emotions, topics with their own polarity, experience values, cues with character offsets).
Words are found anywhere inside the text, Japanese included (a substring match, so 待ち時間
finds 受付の待ち時間が長い); the search is a LIKE over the workspace's voices, fine for the
hundreds of thousands a team reads, and the filters on stored columns narrow it first.
Filters on what lives inside the analysis' JSON (topic, emotion, experience value) are applied
as the rows stream, a batch at a time, so a page is always full when enough voices match.
Newest first; `cursor` (the last id of a page) gives the next.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from kizuna.accounts.models import Workspace
from kizuna.cells import safe_row
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "EXPORT_COLUMNS",
    "Voice",
    "VoiceFilter",
    "VoicePage",
    "export_voices",
    "highlight",
    "search_voices",
]

SENTIMENTS = ("positive", "neutral", "negative", "mixed")
EXPECTATIONS = ("exceeded", "met", "below", "unknown")
EMOTIONS = ("joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust")
EXPERIENCE_VALUES = ("sense", "feel", "think", "act", "relate")
EMOTION_AT_LEAST = 0.5  # an emotion "present" in a voice
MAX_PAGE = 200
MAX_EXPORT = 100_000
_BATCH = 500


@dataclass(frozen=True)
class VoiceFilter:
    """What to look for; every field optional, all given ones must hold."""

    q: str | None = None
    sentiment: str | None = None
    expectation: str | None = None
    min_delight: float | None = None
    emotion: str | None = None
    topic: str | None = None
    topic_sentiment: str | None = None
    experience_value: str | None = None
    language: str | None = None
    channel: str | None = None
    touchpoint: str | None = None
    min_nps: int | None = None
    max_nps: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    customer_id: int | None = None

    def __post_init__(self) -> None:
        _one_of("sentiment", self.sentiment, SENTIMENTS)
        _one_of("topic_sentiment", self.topic_sentiment, SENTIMENTS)
        _one_of("expectation", self.expectation, EXPECTATIONS)
        _one_of("emotion", self.emotion, EMOTIONS)
        _one_of("experience_value", self.experience_value, EXPERIENCE_VALUES)
        if self.q is not None and len(self.q) > 200:
            raise InvalidInput(
                "Search for at most 200 characters.", "検索語は 200 文字以内にしてください。"
            )
        if self.min_delight is not None and not 0 <= self.min_delight <= 1:
            raise InvalidInput(
                "min_delight is between 0 and 1.", "min_delight は 0〜1 で指定してください。"
            )
        for name in ("min_nps", "max_nps"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 10:
                raise InvalidInput(
                    f"{name} is between 0 and 10.", f"{name} は 0〜10 で指定してください。"
                )

    def as_query(self) -> dict[str, str]:
        """The filter as URL parameters (only those given), for links that keep it."""
        return {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) not in (None, "")
        }


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"{name} must be one of {', '.join(allowed)} (got {value!r}).",
            f"{name} は {', '.join(allowed)} のいずれかにしてください(指定 {value!r})。",
            field=name,
        )


@dataclass(frozen=True)
class Voice:
    """One voice with its newest analysis (None fields before the engine has read it)."""

    id: int
    received_at: dt.datetime
    channel: str
    touchpoint: str | None
    source: str
    customer_id: int | None
    customer_ref: str | None
    text: str | None
    nps: int | None
    csat: int | None
    ces: int | None
    rating: float | None
    language: str | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    delight: float | None = None
    expectation: str | None = None
    emotions: dict[str, float] = field(default_factory=dict)
    topics: list[dict[str, Any]] = field(default_factory=list)
    experience_values: list[str] = field(default_factory=list)
    cues: list[dict[str, Any]] = field(default_factory=list)
    engine_version: str | None = None


@dataclass(frozen=True)
class VoicePage:
    voices: list[Voice]
    next_cursor: int | None


def _query(workspace: Workspace, wanted: VoiceFilter) -> Select[Feedback, FeedbackAnalysis]:
    newest = aliased(FeedbackAnalysis)
    latest = (
        select(func.max(newest.id))
        .where(newest.feedback_id == Feedback.id, newest.workspace_id == workspace.id)
        .correlate(Feedback)
        .scalar_subquery()
    )
    query = (
        select(Feedback, FeedbackAnalysis)
        .outerjoin(
            FeedbackAnalysis,
            (FeedbackAnalysis.feedback_id == Feedback.id) & (FeedbackAnalysis.id == latest),
        )
        .where(Feedback.workspace_id == workspace.id)
    )
    if wanted.q:
        words = [w for w in wanted.q.split() if w]
        for word in words:  # every word, anywhere in the text
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Feedback.text.like(f"%{escaped}%", escape="\\"))
    simple = {
        Feedback.channel: wanted.channel,
        Feedback.touchpoint: wanted.touchpoint,
        Feedback.customer_id: wanted.customer_id,
        FeedbackAnalysis.sentiment: wanted.sentiment,
        FeedbackAnalysis.expectation: wanted.expectation,
    }
    for column, value in simple.items():
        if value is not None:
            query = query.where(column == value)
    if wanted.language:
        query = query.where(
            or_(FeedbackAnalysis.language == wanted.language, Feedback.language == wanted.language)
        )
    if wanted.min_delight is not None:
        query = query.where(FeedbackAnalysis.delight >= wanted.min_delight)
    if wanted.min_nps is not None:
        query = query.where(Feedback.nps >= wanted.min_nps)
    if wanted.max_nps is not None:
        query = query.where(Feedback.nps <= wanted.max_nps)
    if wanted.since is not None:
        query = query.where(Feedback.received_on >= wanted.since)
    if wanted.until is not None:
        query = query.where(Feedback.received_on <= wanted.until)
    return query.order_by(Feedback.id.desc())


def _holds(voice: Voice, wanted: VoiceFilter) -> bool:
    """The filters on what lives inside the analysis' JSON."""
    if wanted.emotion and voice.emotions.get(wanted.emotion, 0) < EMOTION_AT_LEAST:
        return False
    if wanted.experience_value and wanted.experience_value not in voice.experience_values:
        return False
    if wanted.topic or wanted.topic_sentiment:
        return any(
            (not wanted.topic or t.get("topic") == wanted.topic)
            and (not wanted.topic_sentiment or t.get("sentiment") == wanted.topic_sentiment)
            for t in voice.topics
        )
    return True


def _voice(feedback: Feedback, analysis: FeedbackAnalysis | None) -> Voice:
    found: dict[str, Any] = {}
    if analysis is not None:
        found = {
            "language": analysis.language,
            "sentiment": analysis.sentiment,
            "sentiment_score": analysis.sentiment_score,
            "delight": analysis.delight,
            "expectation": analysis.expectation,
            "emotions": dict(analysis.emotions or {}),
            "topics": list(analysis.topics or []),
            "experience_values": list(analysis.experience_values or []),
            "cues": list(analysis.cues or []),
            "engine_version": analysis.engine_version,
        }
    return Voice(
        id=feedback.id,
        received_at=feedback.received_at,
        channel=feedback.channel,
        touchpoint=feedback.touchpoint,
        source=feedback.source,
        customer_id=feedback.customer_id,
        customer_ref=feedback.customer_ref,
        text=feedback.text,
        nps=feedback.nps,
        csat=feedback.csat,
        ces=feedback.ces,
        rating=feedback.rating,
        **{"language": feedback.language, **{k: v for k, v in found.items() if v is not None}},
    )


def _matching(
    session: Session, workspace: Workspace, wanted: VoiceFilter, cursor: int | None
) -> Iterator[Voice]:
    """Matching voices, newest first, read a batch at a time."""
    query = _query(workspace, wanted)
    after = cursor
    while True:
        batch = query if after is None else query.where(Feedback.id < after)
        rows = session.execute(batch.limit(_BATCH)).all()
        for feedback, analysis in rows:
            voice = _voice(feedback, analysis)
            if _holds(voice, wanted):
                yield voice
        if len(rows) < _BATCH:
            return
        after = rows[-1][0].id


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
    for voice in _matching(session, workspace, wanted, cursor):
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


EXPORT_COLUMNS = (
    "id", "received_at", "channel", "touchpoint", "source", "customer_id", "customer_ref",
    "nps", "csat", "ces", "rating", "text", "language", "sentiment", "sentiment_score",
    "delight", "expectation", *(f"emotion_{e}" for e in EMOTIONS), "topics",
    "experience_values", "engine_version",
)  # fmt: skip


def _export_row(voice: Voice) -> list[Any]:
    topics = "; ".join(
        f"{t.get('topic')}:{t.get('sentiment')}" + (f"({t['score']:+.2f})" if "score" in t else "")
        for t in voice.topics
    )
    return [
        voice.id,
        voice.received_at.isoformat(timespec="seconds"),
        voice.channel,
        voice.touchpoint,
        voice.source,
        voice.customer_id,
        voice.customer_ref,
        voice.nps,
        voice.csat,
        voice.ces,
        voice.rating,
        voice.text,
        voice.language,
        voice.sentiment,
        voice.sentiment_score,
        voice.delight,
        voice.expectation,
        *(voice.emotions.get(e) for e in EMOTIONS),
        topics,
        " ".join(voice.experience_values),
        voice.engine_version,
    ]


def export_voices(
    session: Session, workspace: Workspace, wanted: VoiceFilter, fmt: str
) -> tuple[bytes, int]:
    """The matching voices (at most MAX_EXPORT, newest first) with every analysis column, as
    CSV (UTF-8 with the BOM Japanese Excel needs) or XLSX bytes; and how many rows."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(
            f"Export format must be csv or xlsx (got {fmt!r}).",
            f"書き出し形式は csv か xlsx にしてください(指定 {fmt!r})。",
        )
    rows = []
    for voice in _matching(session, workspace, wanted, None):
        rows.append(safe_row(_export_row(voice)))
        if len(rows) == MAX_EXPORT:
            break
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig"), len(rows)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("voices")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue(), len(rows)
