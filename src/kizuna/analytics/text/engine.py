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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.analytics.text.delight import score_delight
from kizuna.analytics.text.emotion import score_emotions
from kizuna.analytics.text.experience import find_experience_values
from kizuna.analytics.text.lexicon import EMOTIONS, Lexicon
from kizuna.analytics.text.normalize import MAX_CHARS, CleanText, clean_text
from kizuna.analytics.text.sentiment import TextScore, contrast_spans, label_of, score_text
from kizuna.analytics.text.tokenize import Tokenizer, Tokens, detect_language
from kizuna.analytics.text.topics import summarize_topics

__all__ = ["ENGINE_VERSION", "TextAnalysis", "TextEngine"]

#: Stored with every analysis so results of different engine versions are never mixed.
ENGINE_VERSION = "kizuna-text-1.1"

_EMPTY_EMOTIONS = dict.fromkeys(EMOTIONS, 0.0)
# Texts per stage in `analyze_many`: the stage's data stays in cache, and a chunk's
# tokens (Sudachi morphemes) are little memory.
_CHUNK = 512
# What the label functions say of a text without a single cue (checked in a test).
_NO_CUE_SENTIMENT = "neutral"
_NO_CUE_EXPECTATION = "unknown"


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

    def copy(self) -> TextAnalysis:
        """An equal analysis whose dicts and lists are its own (the cues' dicts too)."""
        return TextAnalysis(
            language=self.language,
            sentiment=self.sentiment,
            sentiment_score=self.sentiment_score,
            emotions=dict(self.emotions),
            delight=self.delight,
            expectation=self.expectation,
            topics=[dict(topic) for topic in self.topics],
            experience_values=list(self.experience_values),
            cues=[dict(cue) for cue in self.cues],
            truncated=self.truncated,
            clean=self.clean,
            keys=list(self.keys),
            lexicon_score=self.lexicon_score,
        )

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
        clean, language = self._clean(raw)
        if language == "other":
            return clean, language, None
        return clean, language, self.tokenizer.tokenize(clean.text, language)

    def _clean(self, raw: object) -> tuple[CleanText, str]:
        clean = clean_text(raw, self.max_chars)
        text = clean.text
        if not text.strip():
            return clean, "other"
        return clean, detect_language(text)

    def analyze(self, raw: object) -> TextAnalysis:
        """The analysis of one text."""
        return self.analyze_many([raw])[0]

    def analyze_many(self, raws: Sequence[object]) -> list[TextAnalysis]:
        """The analyses of many texts, in order; the same as `analyze` on each, faster.

        Each stage runs over a chunk of texts before the next stage starts. Sudachi's
        tokenizer pushes the interpreter's working set out of the CPU caches, and the
        Python stages ran about half as fast when it ran between every two of them.
        """
        tokenizer = self.tokenizer
        results: list[TextAnalysis] = []
        for start in range(0, len(raws), _CHUNK):
            chunk = raws[start : start + _CHUNK]
            cleaned = [self._clean(raw) for raw in chunk]
            japanese = [clean.text for clean, language in cleaned if language == "ja"]
            morphemes = iter(tokenizer.split_ja(japanese))
            tokens = [
                tokenizer.tokens_ja(clean.text, next(morphemes))
                if language == "ja"
                else (tokenizer.tokenize_en(clean.text) if language == "en" else None)
                for clean, language in cleaned
            ]
            finish = self._finish
            results.extend(
                finish(raw, clean, language, found)
                for raw, (clean, language), found in zip(chunk, cleaned, tokens, strict=True)
            )
        return results

    def _finish(
        self, raw: object, clean: CleanText, language: str, tokens: Tokens | None
    ) -> TextAnalysis:
        """Everything after tokenisation: cues, scores and labels of one text."""
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
        if not matches and not emoji:
            return self._analyze_plain(raw, clean, language, tokens)
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

    def _analyze_plain(
        self, raw: object, clean: CleanText, language: str, tokens: Tokens
    ) -> TextAnalysis:
        """A text with no lexicon cue: neutral, and only contrast markers to show.

        The same result `score_text` and the label functions give for no cues, without
        running them (four texts in ten of short CX text have no cue at all).
        """
        contrast = self.lexicon.contrast(language)
        cues: list[dict[str, Any]] = []
        if not contrast.isdisjoint(tokens.keys):
            for begin, end in contrast_spans(tokens, language, contrast):
                cues.append(_cue(raw, clean, "contrast", "contrast", begin, end))
        return TextAnalysis(
            language=language,
            sentiment=_NO_CUE_SENTIMENT,
            sentiment_score=0.0,
            emotions=dict(_EMPTY_EMOTIONS),
            delight=0.0,
            expectation=_NO_CUE_EXPECTATION,
            topics=[],
            experience_values=[],
            cues=cues,
            truncated=clean.truncated,
            clean=clean.text,
            keys=tokens.keys,
            lexicon_score=(0.0, 0.0, 0.0),
        )


def _cue(
    raw: object, clean: CleanText, kind: str, label: str, begin: int, end: int
) -> dict[str, Any]:
    """One cue with offsets into the original text (the cleaned one when raw was not str)."""
    if isinstance(raw, str):
        start, stop = (begin, end) if clean.starts is None else clean.span(begin, end)
        return {"kind": kind, "label": label, "text": raw[start:stop], "start": start, "end": stop}
    return {"kind": kind, "label": label, "text": clean.text[begin:end], "start": begin, "end": end}


def _collect_cues(
    raw: object,
    clean: CleanText,
    scored: TextScore,
    delight_cues: list[int],
    expectation_cues: list[tuple[int, str]],
) -> list[dict[str, Any]]:
    """Every phrase that caused a label, with offsets into the ORIGINAL text."""
    cues: list[dict[str, Any]] = []
    add = cues.append
    delight_at = set(delight_cues)
    gap_at = dict(expectation_cues)
    for index, cue in enumerate(scored.cues):
        match = cue.match
        entry, begin, end = match.entry, match.begin, match.end
        if cue.counted and cue.score:
            label = "positive" if cue.score > 0 else "negative"
            add(_cue(raw, clean, "sentiment", label, begin, end))
        if entry.request:
            add(_cue(raw, clean, "request", "request", begin, end))
        if not cue.negated:
            for emotion in entry.emotions:
                add(_cue(raw, clean, "emotion", emotion, begin, end))
            for value in entry.experiences:
                add(_cue(raw, clean, "experience", value, begin, end))
        for topic in entry.topics:
            add(_cue(raw, clean, "topic", topic, begin, end))
        if index in delight_at:
            add(_cue(raw, clean, "delight", "delight", begin, end))
        if index in gap_at:
            add(_cue(raw, clean, "expectation", gap_at[index], begin, end))
        if entry.multiplier and match.last > match.first:
            label = "intensifier" if entry.multiplier > 1 else "hedge"
            add(_cue(raw, clean, "shifter", label, begin, end))
    for begin, end in scored.negations:
        add(_cue(raw, clean, "negation", "negation", begin, end))
    for begin, end in scored.contrasts:
        add(_cue(raw, clean, "contrast", "contrast", begin, end))
    return cues
