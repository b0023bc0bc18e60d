"""The voice explorer's filter read from a request's query string, and its export as a file
(API and page alike)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

from kizuna.feedback.explorer_filter import VoiceFilter

__all__ = ["voice_filter", "voices_file"]

Sentiment = Literal["positive", "neutral", "negative", "mixed"]
Expectation = Literal["exceeded", "met", "below", "unknown"]
Emotion = Literal["joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust"]
ExperienceValue = Literal["sense", "feel", "think", "act", "relate"]


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def voice_filter(
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words anywhere in the text (Japanese inside sentences); all must hold.",
        ),
    ] = None,
    sentiment: Sentiment | None = None,
    expectation: Expectation | None = None,
    min_delight: Annotated[float | None, Query(ge=0, le=1)] = None,
    emotion: Emotion | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    topic_sentiment: Sentiment | None = None,
    experience_value: ExperienceValue | None = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    touchpoint: Annotated[str | None, Query(max_length=100)] = None,
    min_nps: Annotated[int | None, Query(ge=0, le=10)] = None,
    max_nps: Annotated[int | None, Query(ge=0, le=10)] = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    customer_attribute: Annotated[
        str | None,
        Query(
            max_length=120,
            description="The customer's field:value (segment fields), e.g. prefecture:東京都.",
        ),
    ] = None,
    segment: Annotated[int | None, Query(ge=1, le=2**62, description="A segment's id.")] = None,
    tag: Annotated[str | None, Query(max_length=40, description="A tag's name.")] = None,
) -> VoiceFilter:
    return VoiceFilter(
        q=_blank(q),
        sentiment=sentiment,
        expectation=expectation,
        min_delight=min_delight,
        emotion=emotion,
        topic=_blank(topic),
        topic_sentiment=topic_sentiment,
        experience_value=experience_value,
        language=_blank(language),
        channel=_blank(channel),
        touchpoint=_blank(touchpoint),
        min_nps=min_nps,
        max_nps=max_nps,
        since=since,
        until=until,
        customer_attribute=_blank(customer_attribute),
        segment=segment,
        tag=_blank(tag),
    )


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def voices_file(data: bytes, fmt: str, slug: str) -> Response:
    """The exported voices as a download named after the workspace."""
    name = f"voices-{slug}.{fmt}"
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
