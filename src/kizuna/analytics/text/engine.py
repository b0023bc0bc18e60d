"""One text in, one `TextAnalysis` out: the pipeline every other part of the room calls.

clean (normalize.py) -> language -> tokens (tokenize.py) -> lexicon matches (lexicon.py)
-> polarity by clause and topic (sentiment.py) -> emotions, delight and expectation,
experience values -> cues with offsets into the ORIGINAL text.

A `TextEngine` owns one Sudachi tokenizer and one compiled lexicon; build it once per
thread and reuse it (compiling costs about half a second, a text costs microseconds).
Texts in an unsupported language, and empty texts, get `sentiment=None` rather than a
guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.analytics.text.delight import score_delight
from kizuna.analytics.text.emotion import score_emotions
from kizuna.analytics.text.experience import find_experience_values
from kizuna.analytics.text.lexicon import EMOTIONS, Lexicon
from kizuna.analytics.text.normalize import MAX_CHARS, CleanText, clean_text
from kizuna.analytics.text.sentiment import TextScore, label_of, score_text
from kizuna.analytics.text.tokenize import Tokenizer, Tokens, detect_language
from kizuna.analytics.text.topics import summarize_topics

__all__ = ["ENGINE_VERSION", "TextAnalysis", "TextEngine"]

#: Stored with every analysis so results of different engine versions are never mixed.
ENGINE_VERSION = "kizuna-text-1.0"

_EMPTY_EMOTIONS = dict.fromkeys(EMOTIONS, 0.0)


@dataclass(slots=True)
class TextAnalysis:
    """Everything the engine says about one text (one row of `Analyzer.analyze`)."""

    language: str
    sentiment: str | None
    sentiment_score: float | None
    emotions: dict[str, float]
    delight: float | None
    expectation: str
    topics: list[dict[str, Any]]
    experience_values: list[str]
    cues: list[dict[str, Any]]
    truncated: bool
    # Kept for the trainable classifier and topic discovery; not part of the row.
    clean: str = ""
    keys: list[str] = field(default_factory=list)
    lexicon_score: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def row(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sentiment": self.sentiment,
            "sentiment_score": self.sentiment_score,
            "emotions": self.emotions,
            "delight": self.delight,
            "expectation": self.expectation,
            "topics": self.topics,
            "experience_values": self.experience_values,
            "cues": self.cues,
            "truncated": self.truncated,
        }


class TextEngine:
    """Tokenizer + compiled lexicon; `analyze(raw)` runs the whole pipeline."""

    def __init__(
        self,
        max_chars: int = MAX_CHARS,
        extra_topics: Mapping[str, Any] | str | Path | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.tokenizer = Tokenizer()
        self.lexicon = Lexicon(self.tokenizer, extra_topics)

    def prepare(self, raw: object) -> tuple[CleanText, str, Tokens | None]:
        """Cleaned text, language and tokens (empty for unsupported languages)."""
        clean = clean_text(raw, self.max_chars)
        text = clean.text
        if not text.strip():
            return clean, "other", None
        language = detect_language(text)
        if language == "other":
            return clean, language, None
        return clean, language, self.tokenizer.tokenize(text, language)

    def analyze(self, raw: object) -> TextAnalysis:
        clean, language, tokens = self.prepare(raw)
        if tokens is None or not tokens.keys:
            return TextAnalysis(
                language=language,
                sentiment=None,
                sentiment_score=None,
                emotions=dict(_EMPTY_EMOTIONS),
                delight=None,
                expectation="unknown",
                topics=[],
                experience_values=[],
                cues=[],
                truncated=clean.truncated,
                clean=clean.text,
            )
        lexicon = self.lexicon
        matches = lexicon.match(tokens, language)
        emoji = lexicon.match_emoji(clean.text)
        scored = score_text(tokens, matches, emoji, language, lexicon)
        sentiment = label_of(scored.score, scored.positive, scored.negative)
        gap = score_delight(scored, sentiment)
        return TextAnalysis(
            language=language,
            sentiment=sentiment,
            sentiment_score=round(scored.score, 3),
            emotions=score_emotions(scored),
            delight=gap.delight,
            expectation=gap.expectation,
            topics=summarize_topics(scored.topics),
            experience_values=find_experience_values(scored),
            cues=_collect_cues(raw, clean, scored, gap.delight_cues, gap.expectation_cues),
            truncated=clean.truncated,
            clean=clean.text,
            keys=tokens.keys,
            lexicon_score=(scored.score, scored.positive, scored.negative),
        )


def _collect_cues(
    raw: object,
    clean: CleanText,
    scored: TextScore,
    delight_cues: list[int],
    expectation_cues: list[tuple[int, str]],
) -> list[dict[str, Any]]:
    """Every phrase that caused a label, with offsets into the ORIGINAL text."""
    original = raw if isinstance(raw, str) else clean.text
    if not isinstance(raw, str):
        clean = CleanText(clean.text, None, None, clean.truncated)
    cues: list[dict[str, Any]] = []

    def add(kind: str, label: str, begin: int, end: int) -> None:
        start, stop = clean.span(begin, end)
        cues.append(
            {
                "kind": kind,
                "label": label,
                "text": original[start:stop],
                "start": start,
                "end": stop,
            }
        )

    delight_at = set(delight_cues)
    gap_at = dict(expectation_cues)
    for index, cue in enumerate(scored.cues):
        match, entry = cue.match, cue.match.entry
        begin, end = match.begin, match.end
        if cue.counted and cue.score:
            add("sentiment", "positive" if cue.score > 0 else "negative", begin, end)
        if entry.request:
            add("request", "request", begin, end)
        if not cue.negated:
            for emotion in entry.emotions:
                add("emotion", emotion, begin, end)
            for value in entry.experiences:
                add("experience", value, begin, end)
        for topic in entry.topics:
            add("topic", topic, begin, end)
        if index in delight_at:
            add("delight", "delight", begin, end)
        if index in gap_at:
            add("expectation", gap_at[index], begin, end)
        if entry.multiplier and cue.match.last > cue.match.first:
            add("shifter", "intensifier" if entry.multiplier > 1 else "hedge", begin, end)
    for begin, end in scored.negations:
        add("negation", "negation", begin, end)
    for begin, end in scored.contrasts:
        add("contrast", "contrast", begin, end)
    return cues
