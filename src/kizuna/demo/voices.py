"""The demo's feedback: surveys after stays, purchases and support, reviews, SNS posts,
tickets, chats, community posts, and the employees' eNPS answers.

Each voice starts from a hidden satisfaction (0..1) set by where it happened and when:
call-centre support is harder to please, the app improves over the 18 months, the Hakone
hotel dips during its noisy renovation (RENOVATION months), deliveries suffer in the
December rush. Scores are drawn from it and the comment is composed to agree with the
scores (see `comments`), so dashboards, drivers and the text engine all have signal.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from kizuna.demo.activity import HOTELS, RENOVATION, Event
from kizuna.demo.comments import Comment, compose_comment, compose_employee_comment
from kizuna.demo.people import Person
from kizuna.demo.timeline import SPAN_DAYS, month_of

__all__ = ["Voice", "generate_employee_voices", "generate_voices"]

# Share of each source among customers' voices.
_SOURCES = {
    "survey": 0.55,
    "review": 0.14,
    "sns": 0.17,
    "ticket": 0.05,
    "chat": 0.04,
    "community": 0.05,
}
_PREFIX = {"survey": "S", "review": "R", "sns": "N", "ticket": "T", "chat": "H", "community": "M"}
_SURVEYED = {"stay": 3.0, "purchase": 1.0, "support_ticket": 2.5}  # how often each is surveyed
# Where a comment's first topic happened, by context (falls back to the event's touchpoint).
_TOPIC_TOUCHPOINT = {
    "hotel": {
        "room": "客室",
        "cleanliness": "客室",
        "noise": "客室",
        "food": "朝食",
        "bath": "大浴場",
        "checkout": "チェックアウト",
        "staff": "チェックイン",
        "wait_time": "チェックイン",
        "price": "予約サイト",
    },
    "shop": {
        "product": "商品ページ",
        "delivery": "配送",
        "price": "カート",
        "staff": "店舗",
        "wait_time": "レジ",
        "checkout": "レジ",
        "app_usability": "アプリホーム",
    },
}
_SUPPORT_TOUCHPOINT = {
    "call_center": "コールセンター",
    "email": "お問い合わせフォーム",
    "app": "チャット",
    "web": "チャット",
}
_DEPARTMENTS = {
    "フロント": 0.64,
    "客室清掃": 0.55,
    "調理": 0.68,
    "コールセンター": 0.5,
    "EC運営": 0.68,
    "店舗": 0.62,
}
_WAVES = ("2025-06", "2025-09", "2025-12", "2026-03", "2026-06", "2026-09")


@dataclass(slots=True)
class Voice:
    """One feedback before it becomes a row; `person` / `event` index the generated lists."""

    source: str
    channel: str
    day: float
    touchpoint: str | None = None
    person: int | None = None
    event: int | None = None
    customer_ref: str | None = None
    text: str | None = None
    language: str | None = None
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    rating: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""


def _clip(value: float, low: int, high: int) -> int:
    return min(high, max(low, round(value)))


def _context_of(event: Event) -> str:
    if event.kind == "support_ticket":
        return "support"
    return "hotel" if event.properties.get("business") == "hotel" else "shop"


def _satisfaction(context: str, channel: str, day: float, hotel: str | None) -> float:
    """Hidden satisfaction before the customer's own mood and the moment's noise."""
    month = month_of(day)
    if context == "support":
        base = {"call_center": 0.52, "email": 0.56, "app": 0.5 + 0.25 * day / SPAN_DAYS}.get(
            channel, 0.58
        )
    elif context == "hotel":
        base = 0.72
        if hotel == RENOVATION[0] and RENOVATION[1] <= month <= RENOVATION[2]:
            base -= 0.3
    else:
        base = {"store": 0.7, "app": 0.45 + 0.32 * day / SPAN_DAYS}.get(channel, 0.66)
        if month == "2025-12" and channel in ("web", "app"):
            base -= 0.1  # the year-end rush delays deliveries
    return base


def _preferences(
    context: str, channel: str, day: float, hotel: str | None
) -> tuple[str | None, str | None]:
    """(topic complained of first, topic praised first) at this place and time."""
    month = month_of(day)
    if hotel == RENOVATION[0] and RENOVATION[1] <= month <= RENOVATION[2]:
        return "noise", None
    if channel == "app" and context == "shop":
        return ("app_usability", None) if day < SPAN_DAYS / 2 else (None, "app_usability")
    if context == "support" and channel == "call_center":
        return "wait_time", None
    if context == "shop" and month == "2025-12":
        return "delivery", None
    return None, None


def _score_level(voice: Voice, fallback: float) -> float:
    """The satisfaction a comment must agree with: the scores' own, when there are any."""
    if voice.nps is not None:
        return voice.nps / 10
    if voice.csat is not None:
        return (voice.csat - 1) / 4
    if voice.rating is not None:
        return (voice.rating - 1) / 4
    if voice.ces is not None:
        return (voice.ces - 1) / 6
    return min(1.0, max(0.0, fallback))


def _write(
    rng: random.Random,
    voice: Voice,
    q: float,
    context: str,
    language: str,
    style: str,
    hotel: str | None,
    fallback_touchpoint: str | None,
) -> None:
    worst, best = _preferences(context, voice.channel, voice.day, hotel)
    comment: Comment = compose_comment(
        rng,
        _score_level(voice, q),
        context,
        language,
        style,
        prefer_complaint=worst if rng.random() < 0.7 else None,
        prefer_praise=best if rng.random() < 0.5 else None,
    )
    voice.text, voice.language = comment.text, language
    voice.properties["demo"] = comment.labels()
    voice.touchpoint = _touchpoint_of(context, voice.channel, comment, fallback_touchpoint)


def _touchpoint_of(
    context: str, channel: str, comment: Comment, fallback: str | None
) -> str | None:
    """Where the comment's first topic happened; the event's own touchpoint otherwise."""
    if context == "support":
        return _SUPPORT_TOUCHPOINT.get(channel, fallback)
    first = next(iter(comment.topics), "")
    if context == "shop" and channel == "store":
        return "レジ" if first in ("wait_time", "checkout") else "店舗"
    return _TOPIC_TOUCHPOINT.get(context, {}).get(first, fallback)


def _pick_anchors(rng: random.Random, events: list[Event], count: int) -> list[int]:
    """Weighted sampling without replacement (Efraimidis & Spirakis 2006): key = u^(1/w)."""
    keyed = [
        (rng.random() ** (1 / _SURVEYED[e.kind]), i)
        for i, e in enumerate(events)
        if e.kind in _SURVEYED
    ]
    keyed.sort(reverse=True)
    return [i for _, i in keyed[:count]]


def _survey(rng: random.Random, people: list[Person], events: list[Event], i: int) -> Voice:
    event = events[i]
    context = _context_of(event)
    hotel = event.properties.get("hotel")
    q = _satisfaction(context, event.channel, event.day, hotel)
    q += people[event.person].mood + rng.gauss(0, 0.17)
    day = event.day + min(3.0, SPAN_DAYS - event.day) * rng.uniform(0.05, 0.95)
    kind = {"stay": "post_stay", "purchase": "post_purchase"}.get(event.kind, "post_support")
    voice = Voice(
        "survey",
        event.channel,
        day,
        event.touchpoint,
        event.person,
        i,
        properties={"survey": kind, "business": event.properties.get("business", "shop")},
    )
    has_nps = {"post_stay": 1.0, "post_purchase": 0.85, "post_support": 0.3}[kind]
    if rng.random() < has_nps:
        voice.nps = _clip(q * 10 + 0.6 + rng.gauss(0, 1.0), 0, 10)
    if rng.random() < {"post_stay": 0.85, "post_purchase": 0.7, "post_support": 0.75}[kind]:
        voice.csat = _clip(1 + 4 * q + rng.gauss(0, 0.55), 1, 5)
    if kind == "post_support" and (rng.random() < 0.95 or voice.csat is None):
        voice.ces = _clip(1 + 6 * q + rng.gauss(0, 0.9), 1, 7)
    if voice.nps is None and voice.csat is None:
        voice.csat = _clip(1 + 4 * q + rng.gauss(0, 0.55), 1, 5)
    if rng.random() < {"post_stay": 0.65, "post_purchase": 0.45, "post_support": 0.55}[kind]:
        _write(
            rng, voice, q, context, people[event.person].language, "survey", hotel, event.touchpoint
        )
    return voice


def _free_voice(
    rng: random.Random,
    source: str,
    people: list[Person],
    events: list[Event],
    anchors: dict[str, list[int]],
) -> Voice:
    """A review, SNS post, ticket, chat or community post; some tied to a customer."""
    context = {"ticket": "support", "chat": "support"}.get(source) or rng.choices(
        ["hotel", "shop"], weights=[70, 30] if source == "review" else [50, 50]
    )[0]
    channel = {"review": "review_site", "sns": "sns", "community": "community"}.get(source) or (
        rng.choices(["call_center", "email"], weights=[70, 30])[0]
        if source == "ticket"
        else rng.choices(["app", "web"], weights=[60, 40])[0]
    )
    linked = anchors[context]
    share = {"review": 0.35, "sns": 0.1, "ticket": 0.8, "chat": 0.6, "community": 0.5}[source]
    event = rng.choice(linked) if linked and rng.random() < share else None
    if event is not None:
        day = events[event].day + min(10.0, SPAN_DAYS - events[event].day) * rng.random()
        person: int | None = events[event].person
        hotel = events[event].properties.get("hotel")
    else:
        day = rng.triangular(0, SPAN_DAYS, SPAN_DAYS)  # voices grow as the brand does
        person, hotel = None, rng.choice(list(HOTELS))
    hotel = hotel if context == "hotel" else None
    q = _satisfaction(context, channel, day, hotel) + rng.gauss(
        0, 0.25 if source == "sns" else 0.18
    )
    if source == "ticket":
        q -= 0.3  # people write tickets when something went wrong
    if person is not None:
        q += people[person].mood
        language = people[person].language
    else:
        language = "en" if rng.random() < {"hotel": 0.2, "shop": 0.06}.get(context, 0.04) else "ja"
    voice = Voice(
        source,
        channel,
        day,
        None,
        person,
        event,
        customer_ref=None if person is not None else f"@{rng.getrandbits(32):08x}",
        properties={"business": "hotel" if context == "hotel" else "shop"},
    )
    if hotel:
        voice.properties["hotel"] = hotel
    if source == "review":
        voice.rating = float(_clip(1 + 4 * q + rng.gauss(0, 0.5), 1, 5))
    elif source == "chat" and rng.random() < 0.6:
        voice.csat = _clip(1 + 4 * q + rng.gauss(0, 0.55), 1, 5)
    style = {"review": "review", "sns": "sns", "ticket": "ticket"}.get(source, "survey")
    fallback = events[event].touchpoint if event is not None else None
    _write(rng, voice, q, context, language, style, hotel, fallback)
    return voice


def generate_voices(
    rng: random.Random, people: list[Person], events: list[Event], count: int
) -> list[Voice]:
    """Exactly `count` customer voices, sorted by time, with ids S0000001, R0000001, …"""
    sizes = {s: math.floor(count * share) for s, share in _SOURCES.items()}
    sizes["survey"] += count - sum(sizes.values())
    anchors = _pick_anchors(rng, events, sizes["survey"])
    voices = [_survey(rng, people, events, i) for i in anchors]
    for _ in range(sizes["survey"] - len(anchors)):  # too few events: surveys from a web link
        context = rng.choice(["hotel", "shop"])
        day = rng.uniform(0, SPAN_DAYS)
        q = _satisfaction(context, "web", day, None) + rng.gauss(0, 0.18)
        voice = Voice("survey", "web", day, properties={"survey": "web_link", "business": context})
        voice.nps = _clip(q * 10 + 0.6 + rng.gauss(0, 1.0), 0, 10)
        if rng.random() < 0.5:
            _write(rng, voice, q, context, "ja", "survey", None, None)
        voices.append(voice)
    support: dict[str, list[int]] = {"hotel": [], "shop": [], "support": []}
    for i, e in enumerate(events):
        if e.kind in _SURVEYED:
            support[_context_of(e)].append(i)
    for source, size in sizes.items():
        if source != "survey":
            voices.extend(_free_voice(rng, source, people, events, support) for _ in range(size))
    voices.sort(key=lambda v: (v.day, v.source, v.channel, v.text or ""))
    numbers = dict.fromkeys(_PREFIX, 0)
    for voice in voices:
        numbers[voice.source] += 1
        voice.external_id = f"{_PREFIX[voice.source]}{numbers[voice.source]:07d}"
    return voices


def generate_employee_voices(rng: random.Random, count: int) -> list[Voice]:
    """`count` eNPS answers (source "employee", channel "internal") over quarterly waves."""
    voices = []
    for n in range(count):
        wave = _WAVES[n * len(_WAVES) // max(count, 1)]
        department = rng.choice(list(_DEPARTMENTS))
        q = _DEPARTMENTS[department] + rng.gauss(0, 0.15)
        if wave == RENOVATION[1] and department in ("フロント", "客室清掃"):
            q -= 0.12
        enps = _clip(q * 10 + 0.5 + rng.gauss(0, 1.2), 0, 10)
        start = (int(wave[:4]) - 2025) * 12 + int(wave[5:]) - 5  # months since 2025-05
        day = min(SPAN_DAYS - 1.0, start * 30.4 + rng.uniform(0, 14))
        voice = Voice(
            "employee",
            "internal",
            day,
            nps=enps,
            properties={"department": department, "wave": wave},
        )
        if rng.random() < 0.5:
            comment = compose_employee_comment(rng, enps, "en" if rng.random() < 0.03 else "ja")
            voice.text, voice.language = comment.text, comment.language
            voice.properties["demo"] = comment.labels()
        voice.external_id = f"E{n + 1:06d}"
        voices.append(voice)
    return voices
