"""Customer comments composed from reviewed phrase parts, with the labels of the parts used.

The parts live in `demo/data/comments_<language>.yaml`. A comment's tone follows the
satisfaction its scores say (0 = worst, 1 = best): happy customers praise and sometimes
tell of delight, unhappy ones complain, the middle mixes both or asks politely. The
labels returned with each comment (topics and their polarity, delight, expectation) are
the ground truth the text room can measure itself against. Nothing here touches the DB.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "CONTEXTS",
    "CONTEXT_TOPICS",
    "STYLES",
    "Comment",
    "compose_comment",
    "compose_employee_comment",
    "load_phrases",
]

CONTEXTS = ("hotel", "shop", "support")
STYLES = ("survey", "review", "sns", "ticket")  # sns: short, a hashtag; review: more openers

# Topics a customer may mention in each context, with how often they come to mind
# when pleased and when not (complaints gather around waits, noise and delivery).
CONTEXT_TOPICS: dict[str, dict[str, tuple[float, float]]] = {
    "hotel": {
        "staff": (3.0, 2.0),
        "cleanliness": (2.0, 2.0),
        "room": (2.5, 2.5),
        "food": (3.0, 1.5),
        "bath": (2.0, 1.0),
        "price": (1.0, 1.5),
        "wait_time": (0.5, 2.0),
        "checkout": (0.7, 1.0),
        "noise": (0.3, 0.8),
    },
    "shop": {
        "product": (3.0, 2.0),
        "delivery": (2.0, 2.5),
        "price": (1.5, 1.5),
        "staff": (1.0, 0.7),
        "app_usability": (1.0, 1.5),
        "wait_time": (0.3, 0.6),
        "checkout": (0.3, 0.3),
    },
    "support": {
        "support": (3.0, 3.0),
        "wait_time": (1.0, 3.0),
        "staff": (1.0, 1.0),
        "delivery": (0.5, 1.0),
    },
}


@dataclass(frozen=True)
class Comment:
    """A composed comment and what went into it."""

    text: str
    language: str
    tone: str  # positive | negative | mixed | neutral
    topics: dict[str, str] = field(default_factory=dict)  # topic -> positive|negative|request
    parts: tuple[str, ...] = ()  # e.g. ("opener", "praise:food", "complaint:room", "closer")
    delight: bool = False
    expectation: str | None = None  # exceeded | missed

    def labels(self) -> dict[str, Any]:
        """The generator's labels, as stored in feedback.properties["demo"]."""
        return {
            "tone": self.tone,
            "topics": dict(self.topics),
            "parts": list(self.parts),
            "delight": self.delight,
            "expectation": self.expectation,
        }


@cache
def load_phrases(language: str) -> dict[str, Any]:
    """The phrase book of one language (ja or en), read once."""
    text = (
        resources.files("kizuna.demo")
        .joinpath(f"data/comments_{language}.yaml")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _fits(item: str | dict[str, Any], context: str) -> str | None:
    if isinstance(item, str):
        return item
    return str(item["t"]) if context in item["in"] else None


def _pick(rng: random.Random, items: list[Any], context: str) -> str | None:
    fitting = [text for text in (_fits(item, context) for item in items) if text]
    return rng.choice(fitting) if fitting else None


def _pick_topics(
    rng: random.Random, context: str, pleased: bool, k: int, exclude: set[str], prefer: str | None
) -> list[str]:
    weights = CONTEXT_TOPICS[context]
    chosen: list[str] = []
    if prefer is not None and prefer not in exclude:
        chosen.append(prefer)
    pool = [t for t in weights if t not in exclude and t not in chosen]
    while len(chosen) < k and pool:
        w = [weights[t][0 if pleased else 1] for t in pool]
        topic = rng.choices(pool, weights=w)[0]
        chosen.append(topic)
        pool.remove(topic)
    return chosen


def _join_contrast(first: str, second: str, language: str, rng: random.Random) -> str:
    """「…でしたが、…でした。」 or "…, but …"; falls back to two sentences when awkward."""
    if language == "ja":
        if "が、" in first or rng.random() < 0.3:
            return first + rng.choice(["ただ、", "一方で、"]) + second
        return first.removesuffix("。") + "が、" + second
    keep_case = second.startswith(("I ", "Wi-Fi"))
    lowered = second if keep_case else second[0].lower() + second[1:]
    return first.removesuffix(".") + ", but " + lowered


def _joiner(language: str) -> str:
    return "" if language == "ja" else " "


def compose_comment(
    rng: random.Random,
    satisfaction: float,
    context: str,
    language: str = "ja",
    style: str = "survey",
    prefer_complaint: str | None = None,
    prefer_praise: str | None = None,
) -> Comment:
    """A comment whose tone agrees with `satisfaction` (0..1), in `context`'s vocabulary.

    `prefer_complaint` / `prefer_praise` name a topic that comes first when the customer
    complains / praises (e.g. "noise" during a renovation, "app_usability" on the app).
    """
    book = load_phrases(language)
    topics_book: dict[str, Any] = book["topics"]
    sentences: list[str] = []
    parts: list[str] = []
    topics: dict[str, str] = {}
    delight = False
    expectation: str | None = None

    def say(kind: str, topic: str) -> str | None:
        return _pick(rng, topics_book[topic][kind], context)

    def record(kind: str, topic: str) -> None:
        parts.append(f"{kind}:{topic}")
        topics.setdefault(topic, {"praise": "positive", "complaint": "negative"}.get(kind, kind))

    if style != "sns" and rng.random() < (0.35 if style == "review" else 0.2):
        opener = _pick(rng, book["openers"][context], context)
        if opener:
            sentences.append(opener)
            parts.append("opener")

    if satisfaction >= 0.85:
        for topic in _pick_topics(rng, context, True, rng.choice([1, 1, 2]), set(), prefer_praise):
            if (text := say("praise", topic)) is not None:
                sentences.append(text)
                record("praise", topic)
        if satisfaction >= 0.9 and rng.random() < 0.4:
            if (text := _pick(rng, book["delight"], context)) is not None:
                sentences.append(text)
                parts.append("delight")
                delight = True
        elif rng.random() < 0.25:
            sentences.append(rng.choice(book["exceeded"]))
            parts.append("exceeded")
            expectation = "exceeded"
        closer = "positive"
    elif satisfaction >= 0.45:
        good = _pick_topics(rng, context, True, 1, set(), prefer_praise)
        bad = _pick_topics(rng, context, False, 1, set(good), prefer_complaint)
        praise = say("praise", good[0]) if good else None
        complaint = say("complaint", bad[0]) if bad else None
        request = say("request", bad[0]) if bad else None
        roll = rng.random()
        if praise is not None:
            record("praise", good[0])
            if (satisfaction >= 0.65 and roll < 0.45) or complaint is None:
                sentences.append(praise)
                if request is not None:
                    sentences.append(request)
                    record("request", bad[0])
            else:
                pair = (praise, complaint) if roll < 0.8 else (complaint, praise)
                sentences.append(_join_contrast(pair[0], pair[1], language, rng))
                record("complaint", bad[0])
        elif complaint is not None:
            sentences.append(complaint)
            record("complaint", bad[0])
        closer = "positive" if satisfaction >= 0.7 else "neutral"
    else:
        k = rng.choice([1, 1, 2])
        for topic in _pick_topics(rng, context, False, k, set(), prefer_complaint):
            if (text := say("complaint", topic)) is not None:
                sentences.append(text)
                record("complaint", topic)
        if rng.random() < 0.3:
            sentences.append(rng.choice(book["missed"]))
            parts.append("missed")
            expectation = "missed"
        if rng.random() < 0.3 and topics:
            topic = rng.choice(sorted(topics))
            if (wish := say("request", topic)) is not None:
                sentences.append(wish)
                record("request", topic)
        closer = "negative"

    if style == "sns":
        clear = satisfaction >= 0.85 or satisfaction < 0.45
        mood = "positive" if satisfaction >= 0.85 else "negative"
        if clear and rng.random() < 0.6 and (cry := _pick(rng, book["sns"][mood], context)):
            sentences.append(cry)
            parts.append(f"sns:{mood}")
        sentences.append(rng.choice(book["sns"]["tags"][context]))
    elif rng.random() < (0.5 if style == "review" else 0.3):
        sentences.append(rng.choice(book["closers"][closer]))
        parts.append(f"closer:{closer}")

    polarities = set(topics.values())
    if "positive" in polarities and "negative" in polarities:
        tone = "mixed"
    elif "positive" in polarities or delight:
        tone = "positive"
    elif "negative" in polarities:
        tone = "negative"
    else:
        tone = "neutral"
    return Comment(
        text=_joiner(language).join(sentences),
        language=language,
        tone=tone,
        topics=topics,
        parts=tuple(parts),
        delight=delight,
        expectation=expectation,
    )


def compose_employee_comment(rng: random.Random, enps: int, language: str = "ja") -> Comment:
    """An employee's comment in an eNPS survey, agreeing with the score given."""
    book = load_phrases(language)["employee"]
    if enps >= 9:
        kinds = ["positive"]
    elif enps >= 7:
        kinds = ["positive", "request"]
    else:
        kinds = ["negative"] + (["request"] if rng.random() < 0.5 else [])
    sentences = [rng.choice(book[kind]) for kind in kinds]
    polarity = {"positive": "positive", "negative": "negative"}
    tones = {polarity[k] for k in kinds if k in polarity}
    return Comment(
        text=_joiner(language).join(sentences),
        language=language,
        tone=tones.pop() if len(tones) == 1 else "neutral",
        parts=tuple(f"employee:{k}" for k in kinds),
    )
