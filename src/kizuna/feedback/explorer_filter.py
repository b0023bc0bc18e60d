"""What the voice explorer looks for (`VoiceFilter`) and what it gives back (`Voice`).

Every field of the filter is optional and all given ones must hold. Pure shapes with their
checks (InvalidInput in both languages, naming the field); the queries are in
`kizuna.feedback.explorer`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from kizuna.customers.segments import SEGMENT_FIELDS
from kizuna.errors import InvalidInput

__all__ = [
    "CUSTOMER_FIELDS",
    "EMOTIONS",
    "EXPECTATIONS",
    "EXPERIENCE_VALUES",
    "SENTIMENTS",
    "Voice",
    "VoiceFilter",
    "VoicePage",
    "customer_condition",
]

SENTIMENTS = ("positive", "neutral", "negative", "mixed")
EXPECTATIONS = ("exceeded", "met", "below", "unknown")
EMOTIONS = ("joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust")
EXPERIENCE_VALUES = ("sense", "feel", "think", "act", "relate")
# Customer attributes a voice can be filtered by: those of the segment builder.
CUSTOMER_FIELDS = tuple(SEGMENT_FIELDS)
MAX_TAG = 40
_INTEGERS = ("min_nps", "max_nps", "customer_id", "segment")


@dataclass(frozen=True)
class VoiceFilter:
    """What to look for; every field optional, all given ones must hold.

    `customer_attribute` is `field:value` over the customer's attributes and scores (the
    fields of segments: `prefecture:東京都`, `age_band:30s`, `interests:温泉`,
    `clv_percentile:90`); `segment` is a saved segment's id; `tag` a tag's name."""

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
    customer_attribute: str | None = None
    segment: int | None = None
    tag: str | None = None

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
        if self.customer_attribute is not None:
            customer_condition(self.customer_attribute)
        if self.tag is not None and not 0 < len(self.tag) <= MAX_TAG:
            raise InvalidInput(
                f"A tag has 1 to {MAX_TAG} characters.",
                f"タグは 1〜{MAX_TAG} 文字にしてください。",
                field="tag",
            )

    @classmethod
    def from_query(cls, params: dict[str, str]) -> VoiceFilter:
        """The filter `as_query` wrote (a bulk job keeps its filter this way)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        try:
            for name, raw in params.items():
                if name not in known:
                    continue
                if name in _INTEGERS:
                    values[name] = int(raw)
                elif name == "min_delight":
                    values[name] = float(raw)
                elif name in ("since", "until"):
                    values[name] = dt.date.fromisoformat(raw)
                else:
                    values[name] = raw
        except ValueError:
            raise InvalidInput(
                f"This filter cannot be read: {params!r}. Set it again in the voice explorer.",
                f"この条件を読み取れません: {params!r}。声の一覧で条件を指定し直してください。",
            ) from None
        return cls(**values)

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


def customer_condition(attribute: str) -> dict[str, Any]:
    """`field:value` as a segment condition (`contains` for a list such as interests)."""
    name, sep, raw = attribute.partition(":")
    name, raw = name.strip(), raw.strip()
    kind = SEGMENT_FIELDS.get(name)
    if not sep or not raw or kind is None:
        raise InvalidInput(
            f"customer_attribute is field:value, the field one of {', '.join(CUSTOMER_FIELDS)} "
            f"(got {attribute!r}), e.g. prefecture:東京都.",
            f"customer_attribute は「項目:値」で、項目は {', '.join(CUSTOMER_FIELDS)} の"
            f"いずれかです(指定 {attribute!r})。例: prefecture:東京都",
            field="customer_attribute",
        )
    value: Any = raw
    if kind == "bool":
        if raw.lower() not in ("true", "false"):
            raise InvalidInput(
                f"{name} is true or false (got {raw!r}).",
                f"{name} は true か false で指定してください(指定 {raw!r})。",
                field="customer_attribute",
            )
        value = raw.lower() == "true"
    elif kind == "number":
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput(
                f"{name} is a number (got {raw!r}).",
                f"{name} は数値で指定してください(指定 {raw!r})。",
                field="customer_attribute",
            ) from None
    return {"field": name, "op": "contains" if kind == "list" else "eq", "value": value}


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
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VoicePage:
    voices: list[Voice]
    next_cursor: int | None
