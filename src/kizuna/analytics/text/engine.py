"""One text in, one `TextAnalysis` out: the pipeline every other part of the room calls.

clean (normalize.py) -> language -> tokens (tokenize.py) -> lexicon matches (lexicon.py)
and constructions (grammar.py, absence.py) -> polarity by clause and topic, irony
(sentiment.py, irony.py) -> emotions, delight and expectation,
experience values -> cues with offsets into the ORIGINAL text.

A `TextEngine` owns one Sudachi tokenizer and one compiled lexicon; build it once per
thread and reuse it (building costs about 0.1 s: Sudachi's dictionary and the lexicons;
a text costs tens of microseconds).
Texts in an unsupported language, and empty texts, get `sentiment=None` rather than a
guess.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kizuna.analytics.text.delight import score_delight
from kizuna.analytics.text.emotion import score_emotions
from kizuna.analytics.text.experience import find_experience_values
from kizuna.analytics.text.grammar import Grammar
from kizuna.analytics.text.lexicon import EMOTIONS, Lexicon
from kizuna.analytics.text.normalize import MAX_CHARS, CleanText, clean_text
from kizuna.analytics.text.sentiment import (
    TextScore,
    contrast_spans,
    label_of,
    score_text,
    squash,
)
from kizuna.analytics.text.tokenize import Tokenizer, Tokens, detect_language
from kizuna.analytics.text.topics import summarize_topics

__all__ = ["COLUMNS", "ENGINE_VERSION", "Result", "TextAnalysis", "TextEngine", "shared_engine"]

#: Stored with every analysis so results of different engine versions are never mixed.
ENGINE_VERSION = "kizuna-text-1.3"

_EMPTY_EMOTIONS = dict.fromkeys(EMOTIONS, 0.0)
# Texts per stage in `results`: the stage's data stays in cache, and a chunk's Sudachi
# morphemes are little memory.
_CHUNK = 512
# What the label functions say of a text without a single cue (checked in a test).
_NO_CUE_SENTIMENT = "neutral"
_NO_CUE_EXPECTATION = "unknown"
# Delight at least this high is praise even without a polarity word (まさか…驚きました!):
# the text's sum gets this much per unit of delight before squashing.
_DELIGHT_IS_PRAISE = 0.5
_DELIGHT_WEIGHT = 0.6


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


# One text's result as `_finish` builds it: the ten row values in `COLUMNS` order, then
# the cleaned text, the token keys and the lexicon score (the fields of `TextAnalysis`, in
# order). A plain tuple: `Analyzer.analyze` spreads it into its columns at once, so no
# per-text object outlives the text (see `analyze_columns`).
Result = tuple[
    str,
    str | None,
    float | None,
    dict[str, float],
    float | None,
    str,
    list[dict[str, Any]],
    list[str],
    list[dict[str, Any]],
    bool,
    str,
    list[str],
    tuple[float, float, float],
]
#: The row columns `analyze_columns` fills, in `Result` order.
COLUMNS = (
    "language",
    "sentiment",
    "sentiment_score",
    "emotions",
    "delight",
    "expectation",
    "topics",
    "experience_values",
    "cues",
    "truncated",
)
_NO_SCORE = (0.0, 0.0, 0.0)


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
        self.grammar = Grammar(self.lexicon.keys_of)

    def prepare(self, raw: object) -> tuple[CleanText, str, Tokens | None]:
        """Cleaned text, language and tokens (empty for unsupported languages)."""
        clean = clean_text(raw, self.max_chars)
        language = _language_of(clean.text)
        if language == "other":
            return clean, language, None
        return clean, language, self.tokenizer.tokenize(clean.text, language)

    def analyze(self, raw: object) -> TextAnalysis:
        """The analysis of one text."""
        return self.analyze_many([raw])[0]

    def analyze_many(self, raws: Sequence[object]) -> list[TextAnalysis]:
        """The analyses of many texts, in order; the same as `analyze` on each, faster."""
        return [TextAnalysis(*result) for result in self.results(raws)]

    def analyze_columns(self, raws: Sequence[object]) -> tuple[list[Any], ...]:
        """The rows of many texts as ten lists, one per name in `COLUMNS`.

        What `Analyzer.analyze` builds its frame from. Each text's values go straight
        into the columns, so the only objects a text leaves behind are its own topics,
        experience-values and cues lists: no `TextAnalysis`, no token keys. That keeps
        the cyclic garbage collector's work on a large batch small without touching
        the collector itself (library code never changes process-wide state).
        """
        columns: tuple[list[Any], ...] = tuple([] for _ in COLUMNS)
        (
            language,
            sentiment,
            score,
            emotions,
            delight,
            expectation,
            topics,
            experience_values,
            cues,
            truncated,
        ) = (column.append for column in columns)
        for row in self.results(raws):
            language(row[0])
            sentiment(row[1])
            score(row[2])
            emotions(row[3])
            delight(row[4])
            expectation(row[5])
            topics(row[6])
            experience_values(row[7])
            cues(row[8])
            truncated(row[9])
        return columns

    def results(self, raws: Sequence[object]) -> Iterator[Result]:
        """Each text's `Result`, in order.

        Cleaning and Sudachi's tokenizer each run over a chunk of texts before the rest
        starts: Sudachi pushes the interpreter's working set out of the CPU caches, and
        the Python stages ran about half as fast when it ran between every two of them.
        The rest (tokens, cues, labels) then runs text by text.
        """
        tokenizer = self.tokenizer
        tokens_ja, tokenize_en = tokenizer.tokens_ja, tokenizer.tokenize_en
        max_chars = self.max_chars
        finish = self._finish
        for start in range(0, len(raws), _CHUNK):
            chunk = raws[start : start + _CHUNK]
            cleans = [clean_text(raw, max_chars) for raw in chunk]
            languages = [_language_of(clean.text) for clean in cleans]
            japanese = [
                clean.text
                for clean, language in zip(cleans, languages, strict=True)
                if language == "ja"
            ]
            morphemes = iter(tokenizer.split_ja(japanese))
            # Tokens are built just before their text is finished, so they (and their key
            # lists) are gone before the next text's: fewer live objects for the cyclic
            # collector to scan than when a whole chunk's tokens waited for the next stage.
            for raw, clean, language in zip(chunk, cleans, languages, strict=True):
                if language == "ja":
                    tokens = tokens_ja(clean.text, next(morphemes))
                elif language == "en":
                    tokens = tokenize_en(clean.text)
                else:
                    tokens = None
                yield finish(raw, clean, language, tokens)

    def _finish(
        self, raw: object, clean: CleanText, language: str, tokens: Tokens | None
    ) -> Result:
        """Everything after tokenisation: cues, scores and labels of one text."""
        if tokens is None or not tokens.keys:
            return (
                language,
                None,
                None,
                dict(_EMPTY_EMOTIONS),
                None,
                "unknown",
                [],
                [],
                [],
                clean.truncated,
                clean.text,
                [],
                _NO_SCORE,
            )
        scored = self._score(clean, language, tokens)
        if scored is None:
            return self._analyze_plain(raw, clean, language, tokens)
        sentiment = label_of(scored.score, scored.positive, scored.negative)
        gap = score_delight(scored, sentiment)
        score = scored.score
        if sentiment == "neutral" and gap.delight >= _DELIGHT_IS_PRAISE:
            # Surprise that delights is praise (まさか…驚きました!), so delight and
            # sentiment never disagree.
            score = squash(sum(scored.clause_scores) + _DELIGHT_WEIGHT * gap.delight)
            sentiment = label_of(score, scored.positive + gap.delight, scored.negative)
        return (
            language,
            sentiment,
            round(score, 3),
            score_emotions(scored),
            gap.delight,
            gap.expectation,
            summarize_topics(scored.topics),
            find_experience_values(scored),
            _collect_cues(raw, clean, scored, gap.delight_cues, gap.expectation_cues),
            clean.truncated,
            clean.text,
            tokens.keys,
            (score, scored.positive, scored.negative),
        )

    def _score(self, clean: CleanText, language: str, tokens: Tokens) -> TextScore | None:
        """Every cue of one tokenized text, scored; None when it has no cue at all."""
        lexicon = self.lexicon
        matches = lexicon.match(tokens, language)
        grammar = self.grammar
        if language == "ja":
            found, replaced = grammar.find(tokens, matches)
            if replaced:
                matches = [m for n, m in enumerate(matches) if n not in replaced]
            if found:
                matches = sorted([*matches, *found], key=_by_position)
        elif found := grammar.find_en(tokens, matches):
            matches = sorted([*matches, *found], key=_by_position)
        emoji = lexicon.match_emoji(clean.text)
        if not matches and not emoji:
            return None
        return score_text(tokens, matches, emoji, language, lexicon, grammar.finals)

    def topic_clauses(self, raws: Sequence[object]) -> list[dict[str, str]]:
        """For each text, every topic of its `topics` row -> the text of the clauses
        that mention it (the cleaned text's words, clauses joined by a space), or ""
        when every clause mentions it (a text of one clause): the whole text.

        What a learned classifier reads to decide a topic's polarity (analyzer.py), so
        that a topic's polarity and the text's come from the same model.
        """
        out: list[dict[str, str]] = []
        for raw in raws:
            clean, language, tokens = self.prepare(raw)
            scored = None
            if tokens is not None and tokens.keys:
                scored = self._score(clean, language, tokens)
            if scored is None or tokens is None or not scored.topics:
                out.append({})
                continue
            starts = scored.clause_starts
            size = len(tokens.keys)
            spans: dict[str, list[int]] = {}
            for cue in scored.cues:
                for topic in cue.match.entry.topics:
                    clauses = spans.setdefault(topic, [])
                    if cue.clause not in clauses:
                        clauses.append(cue.clause)
            texts: dict[str, str] = {}
            for topic in scored.topics:
                mentioned = sorted(spans.get(topic, ()))
                if len(mentioned) == len(starts):
                    texts[topic] = ""  # every clause: the whole text, decided already
                    continue
                parts = []
                for clause in mentioned:
                    last = starts[clause + 1] - 1 if clause + 1 < len(starts) else size - 1
                    if last < starts[clause]:
                        continue
                    begin, end = tokens.span(starts[clause], last)
                    parts.append(clean.text[begin:end].strip())
                texts[topic] = " ".join(part for part in parts if part) or clean.text
            out.append(texts)
        return out

    def _analyze_plain(
        self, raw: object, clean: CleanText, language: str, tokens: Tokens
    ) -> Result:
        """A text with no lexicon cue: neutral, and only contrast markers to show.

        The same result `score_text` and the label functions give for no cues, without
        running them (four texts in ten of short CX text have no cue at all).
        """
        contrast = self.lexicon.contrast(language)
        cues: list[dict[str, Any]] = []
        if not contrast.isdisjoint(tokens.keys):
            for begin, end in contrast_spans(tokens, language, contrast):
                cues.append(_cue(raw, clean, "contrast", "contrast", begin, end))
        return (
            language,
            _NO_CUE_SENTIMENT,
            0.0,
            dict(_EMPTY_EMOTIONS),
            0.0,
            _NO_CUE_EXPECTATION,
            [],
            [],
            cues,
            clean.truncated,
            clean.text,
            tokens.keys,
            _NO_SCORE,
        )


_local = threading.local()


def _by_position(match: Any) -> tuple[int, int]:
    return match.first, -match.last


def shared_engine() -> TextEngine:
    """One engine per thread (Sudachi tokenizers must not be shared across threads)."""
    engine: TextEngine | None = getattr(_local, "engine", None)
    if engine is None:
        engine = TextEngine()
        _local.engine = engine
    return engine


def _language_of(text: str) -> str:
    """The language of a cleaned text; blank text is 'other' (nothing to analyse)."""
    if not text.strip():
        return "other"
    return detect_language(text)


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
        if entry.construction:
            add(_cue(raw, clean, "construction", entry.construction, begin, end))
        if cue.ironic:
            add(_cue(raw, clean, "construction", "irony", begin, end))
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
