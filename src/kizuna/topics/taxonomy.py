"""A workspace's topics as a pure function of the built-in taxonomy and its changes.

The text engine tags each voice with topics of the built-in taxonomy
(`kizuna/analytics/text/data/topics.yaml`), stored by key with their own polarity:
`[{"topic": "room", "sentiment": "negative", "score": -0.4}, ...]`. A workspace changes
that list with an ordered series of changes (`TopicChange` rows, undone ones left out):

    custom   a topic of its own: key, names, keywords (a voice whose text holds one gets it)
    rename   new display names for a topic (nothing stored changes: keys are stored)
    merge    sources into a target: their entries become one entry of the target
    split    a topic into parts by keywords: its voices holding a part's keyword get the
             part; a voice holding none keeps the topic (the remainder)
    hide     the topic is dropped from voices and lists

`relabel(engine_topics, text, score, taxonomy)` replays the changes on the engine's own
list, so the result depends on the engine's output and the current changes only: running
it twice gives the same list, and undoing a change is replaying without it. Keywords are
matched on the NFKC-normalised, lower-cased text: a keyword in ASCII as a whole word
(a trailing "s" allowed), any other as a substring (Japanese has no spaces). A custom
topic's or a split part's polarity is the voice's own (its sentiment score), as the engine
only scores the topics it knows. Nothing here touches the database or the web.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "CHANGE_KINDS",
    "KEY_PATTERN",
    "NEUTRAL_BAND",
    "Change",
    "Taxonomy",
    "TopicDef",
    "build_taxonomy",
    "builtin_topics",
    "label_of_score",
    "matches",
    "relabel",
]

CHANGE_KINDS = ("custom", "rename", "merge", "split", "hide")
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# The text engine's neutral band (kizuna.analytics.text.sentiment.NEUTRAL_BAND), so a custom
# topic's polarity reads like the built-in ones'.
NEUTRAL_BAND = 0.1


@dataclass(frozen=True)
class TopicDef:
    """One topic of a workspace: names in both languages, keywords, where it came from.

    `origin` is "builtin" or "custom"; `state` is "active", "hidden" or "merged" (into
    `merged_into`).
    """

    key: str
    name_ja: str
    name_en: str
    origin: str = "builtin"
    keywords: tuple[str, ...] = ()
    state: str = "active"
    merged_into: str | None = None

    def name(self, language: str) -> str:
        return self.name_ja if language == "ja" else self.name_en


@dataclass(frozen=True)
class Change:
    """One change to replay: its id, kind and spec (the stored JSON)."""

    id: int
    kind: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class Taxonomy:
    """The workspace's topics (every key ever seen, with its state) and the changes that
    rewrite a voice's list, in order."""

    topics: dict[str, TopicDef]
    changes: tuple[Change, ...] = ()
    _compiled: dict[str, tuple[re.Pattern[str] | None, tuple[str, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def active(self) -> list[TopicDef]:
        return [t for t in self.topics.values() if t.state == "active"]

    def name(self, key: str, language: str) -> str | None:
        found = self.topics.get(key)
        return found.name(language) if found is not None else None

    @property
    def rewrites(self) -> bool:
        """Whether any change alters stored lists (a rename alone does not)."""
        return any(c.kind != "rename" for c in self.changes)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _compile(keywords: Iterable[str]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """ASCII keywords as one whole-word pattern; the others as substrings."""
    words: list[str] = []
    substrings: list[str] = []
    for keyword in keywords:
        clean = _normalise(keyword).strip()
        if not clean:
            continue
        if clean.isascii():
            words.append(re.escape(clean).replace(r"\ ", r"\s+"))
        else:
            substrings.append(clean)
    pattern = None
    if words:
        pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(words)) + r")s?(?![a-z0-9])")
    return pattern, tuple(substrings)


def matches(text: str | None, keywords: Sequence[str]) -> bool:
    """Whether the text holds one of the keywords (see the module notes)."""
    if not text or not keywords:
        return False
    pattern, substrings = _compile(keywords)
    return _holds(_normalise(text), pattern, substrings)


def _holds(clean: str, pattern: re.Pattern[str] | None, substrings: tuple[str, ...]) -> bool:
    if any(s in clean for s in substrings):
        return True
    return pattern is not None and pattern.search(clean) is not None


def label_of_score(score: float | None) -> str:
    if score is None or score != score:
        return "neutral"
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


@cache
def builtin_topics() -> tuple[TopicDef, ...]:
    """The engine's taxonomy (its YAML, read as data: nothing of the engine is loaded)."""
    import yaml

    raw = resources.files("kizuna.analytics.text").joinpath("data/topics.yaml").read_text("utf-8")
    taxonomy = (yaml.safe_load(raw) or {}).get("topics") or {}
    found = []
    for key, spec in taxonomy.items():
        if not isinstance(spec, Mapping):
            continue
        keywords = tuple(str(w) for lang in ("ja", "en") for w in (spec.get(lang) or []))
        found.append(
            TopicDef(
                key=str(key),
                name_ja=str(spec.get("name_ja") or key),
                name_en=str(spec.get("name_en") or key),
                keywords=keywords,
            )
        )
    return tuple(found)


def _names(spec: Mapping[str, Any], fallback: TopicDef | None, key: str) -> tuple[str, str]:
    ja = str(spec.get("name_ja") or "").strip()
    en = str(spec.get("name_en") or "").strip()
    if fallback is not None:
        return ja or fallback.name_ja, en or fallback.name_en
    return ja or en or key, en or ja or key


def build_taxonomy(changes: Iterable[Change]) -> Taxonomy:
    """The built-in topics with the changes applied in order (undone ones already left out)."""
    topics = {t.key: t for t in builtin_topics()}
    kept: list[Change] = []
    for change in changes:
        spec = change.spec
        if change.kind == "custom":
            key = str(spec["key"])
            name_ja, name_en = _names(spec, None, key)
            topics[key] = TopicDef(
                key, name_ja, name_en, "custom", tuple(spec.get("keywords") or ())
            )
        elif change.kind == "rename":
            key = str(spec["key"])
            if key in topics:
                name_ja, name_en = _names(spec, topics[key], key)
                topics[key] = replace(topics[key], name_ja=name_ja, name_en=name_en)
        elif change.kind == "merge":
            target = str(spec["target"])
            sources = [str(s) for s in spec.get("sources") or () if str(s) != target]
            if target not in topics:
                names = [topics[s] for s in sources if s in topics]
                name_ja = "・".join(t.name_ja for t in names) or target
                name_en = " / ".join(t.name_en for t in names) or target
                merged = TopicDef(target, name_ja, name_en, "custom")
                name_ja, name_en = _names(spec, merged, target)
                topics[target] = replace(merged, name_ja=name_ja, name_en=name_en)
            elif spec.get("name_ja") or spec.get("name_en"):
                name_ja, name_en = _names(spec, topics[target], target)
                topics[target] = replace(topics[target], name_ja=name_ja, name_en=name_en)
            for source in sources:
                if source in topics:
                    topics[source] = replace(topics[source], state="merged", merged_into=target)
            topics[target] = replace(topics[target], state="active", merged_into=None)
        elif change.kind == "split":
            for part in spec.get("parts") or ():
                key = str(part["key"])
                name_ja, name_en = _names(part, None, key)
                topics[key] = TopicDef(
                    key, name_ja, name_en, "custom", tuple(part.get("keywords") or ())
                )
        elif change.kind == "hide":
            key = str(spec["key"])
            if key in topics:
                topics[key] = replace(topics[key], state="hidden")
        else:
            continue
        kept.append(change)
    return Taxonomy(topics, tuple(kept))


def _entry(key: str, score: float | None) -> dict[str, Any]:
    value = 0.0 if score is None or score != score else round(float(score), 3)
    return {"topic": key, "sentiment": label_of_score(value), "score": value}


def _merged(key: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [float(e["score"]) for e in entries if isinstance(e.get("score"), int | float)]
    if not scores:
        return {**entries[0], "topic": key}
    return _entry(key, sum(scores) / len(scores))


def relabel(
    engine_topics: Sequence[Mapping[str, Any]],
    text: str | None,
    score: float | None,
    taxonomy: Taxonomy,
) -> list[dict[str, Any]]:
    """The voice's topics under the workspace's taxonomy (see the module notes)."""
    topics = [dict(t) for t in engine_topics]
    if not taxonomy.rewrites:
        return topics
    clean = _normalise(text or "")
    for change in taxonomy.changes:
        spec = change.spec
        present = [str(t.get("topic")) for t in topics]
        if change.kind == "custom":
            key = str(spec["key"])
            if key not in present and _held(taxonomy, f"c{change.id}", clean, spec):
                topics.append(_entry(key, score))
        elif change.kind == "merge":
            target = str(spec["target"])
            group = {target, *(str(s) for s in spec.get("sources") or ())}
            entries = [t for t in topics if t.get("topic") in group]
            if entries:
                first = present.index(str(entries[0].get("topic")))
                rest = [t for t in topics if t.get("topic") not in group]
                topics = [*rest[:first], _merged(target, entries), *rest[first:]]
        elif change.kind == "split":
            source = str(spec["source"])
            if source in present:
                at = present.index(source)
                entry = topics[at]
                parts = [
                    {**entry, "topic": str(part["key"])}
                    for n, part in enumerate(spec.get("parts") or ())
                    if str(part["key"]) not in present
                    and _held(taxonomy, f"s{change.id}:{n}", clean, part)
                ]
                if parts:
                    topics = [*topics[:at], *parts, *topics[at + 1 :]]
        elif change.kind == "hide":
            topics = [t for t in topics if t.get("topic") != spec["key"]]
    return topics


def _held(taxonomy: Taxonomy, slot: str, clean: str, spec: Mapping[str, Any]) -> bool:
    compiled = taxonomy._compiled.get(slot)
    if compiled is None:
        compiled = _compile(spec.get("keywords") or ())
        taxonomy._compiled[slot] = compiled
    return _holds(clean, *compiled)
