"""`Analyzer`: the text engine's public face, one DataFrame row per text.

    Analyzer().analyze(["朝食は美味しかったが、部屋が狭くて残念でした。"])

Columns: language (ja, en, other), sentiment (positive, neutral, negative, mixed; None
when the text is empty or in an unsupported language), sentiment_score (-1..1),
emotions ({joy, trust, surprise, anticipation, anger, sadness, fear, disgust} -> 0..1),
delight (0..1), expectation (exceeded, met, below, unknown), topics ([{topic, sentiment,
score}]), experience_values (subset of sense, feel, think, act, relate), cues ([{kind,
label, text, start, end}] with offsets into the ORIGINAL text) and truncated (the text
was longer than `max_chars` and only its start was analysed). `ENGINE_VERSION` is in
`frame.attrs["engine_version"]`.

With a fitted `PolarityClassifier` the learned model decides sentiment and its score
(P(positive) - P(negative)); the rules still give cues, topics, emotions and delight.
Pure: no database, no web. The job worker and the DB layer wrap it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuna.analytics.text.classifier import PolarityClassifier
from kizuna.analytics.text.engine import ENGINE_VERSION, TextAnalysis, TextEngine
from kizuna.analytics.text.normalize import MAX_CHARS
from kizuna.errors import InvalidInput

__all__ = ["COLUMNS", "Analyzer"]

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
_SENTIMENTS = frozenset({"positive", "neutral", "negative", "mixed"})
_FLOAT_COLUMNS = frozenset({"sentiment_score", "delight"})
_FLOAT = "float64"


class Analyzer:
    """Japanese-first CX text analysis: sentiment, emotions, delight, topics, cues."""

    def __init__(
        self,
        max_chars: int = MAX_CHARS,
        extra_topics: Mapping[str, Any] | str | Path | None = None,
        classifier: PolarityClassifier | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.extra_topics = extra_topics
        self.classifier = classifier

    @property
    def engine(self) -> TextEngine:
        """The compiled engine, built on first use (about half a second)."""
        engine: TextEngine | None = self.__dict__.get("_engine")
        if engine is None:
            engine = TextEngine(self.max_chars, self.extra_topics)
            self.__dict__["_engine"] = engine
        return engine

    def analyze_one(self, text: object) -> TextAnalysis:
        """The analysis of one text as an object (see `TextAnalysis.row`)."""
        analysis = self.engine.analyze(text)
        if self.classifier is not None and analysis.sentiment is not None:
            self._apply_classifier([analysis], [text])
        return analysis

    def analyze(self, texts: Iterable[object] | str) -> pd.DataFrame:
        """One row per text, in input order, with the columns in `COLUMNS`."""
        if isinstance(texts, str):
            texts = [texts]
        items = list(texts)
        # A batch of a million small objects makes the cyclic collector rescan all of
        # them again and again (a tenth of the time); nothing here creates cycles.
        collecting = gc.isenabled()
        gc.disable()
        try:
            analyses = self._analyze_all(items)
            if self.classifier is not None:
                self._apply_classifier(analyses, items)
            frame = _frame_of(analyses)
        finally:
            if collecting:
                gc.enable()
        frame.attrs["engine_version"] = ENGINE_VERSION
        return frame

    def _analyze_all(self, items: list[object]) -> list[TextAnalysis]:
        """Analyses in input order; a text repeated in the batch is analysed once.

        Feedback exports repeat texts ("特になし", "good", "N/A"): a repeat gets a copy
        of the first analysis, with its own dicts and lists so rows never share them.
        """
        unique: list[object] = []
        slots: list[int] = []
        seen: dict[str, int] = {}
        for text in items:
            if type(text) is str:
                slot = seen.get(text)
                if slot is None:
                    slot = seen[text] = len(unique)
                    unique.append(text)
            else:
                slot = len(unique)
                unique.append(text)
            slots.append(slot)
        done = self.engine.analyze_many(unique)
        if len(done) == len(items):
            return done
        given = bytearray(len(done))
        analyses: list[TextAnalysis] = []
        for slot in slots:
            if given[slot]:
                analyses.append(done[slot].copy())
            else:
                given[slot] = 1
                analyses.append(done[slot])
        return analyses

    def _apply_classifier(self, analyses: list[TextAnalysis], texts: list[object]) -> None:
        classifier = self.classifier
        assert classifier is not None
        classes = [str(c) for c in classifier.classes_]
        if not set(classes) <= _SENTIMENTS or "positive" not in classes:
            raise InvalidInput(
                f"The classifier's labels {classes} are not sentiments; train it with "
                "labels positive/negative (and neutral), e.g. from weak_labels().",
                f"分類器のラベル {classes} は感情極性ではありません。positive/negative(/neutral) "
                "のラベルで学習してください(weak_labels() が使えます)。",
            )
        rows = [i for i, a in enumerate(analyses) if a.sentiment is not None]
        if not rows:
            return
        proba = classifier.predict_proba([texts[i] for i in rows])
        positive = proba[:, classes.index("positive")]
        negative = proba[:, classes.index("negative")] if "negative" in classes else 0.0
        scores = np.round(positive - negative, 3)
        best = proba.argmax(axis=1)
        for n, i in enumerate(rows):
            analyses[i].sentiment = classes[int(best[n])]
            analyses[i].sentiment_score = float(scores[n])


def _frame_of(analyses: list[TextAnalysis]) -> pd.DataFrame:
    """The result frame: one pass over the analyses, one list per column."""
    columns: list[list[Any]] = [[] for _ in COLUMNS]
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
    for a in analyses:
        language(a.language)
        sentiment(a.sentiment)
        score(a.sentiment_score)
        emotions(a.emotions)
        delight(a.delight)
        expectation(a.expectation)
        topics(a.topics)
        experience_values(a.experience_values)
        cues(a.cues)
        truncated(a.truncated)
    # Object columns keep None as None (pandas would turn it into NaN), which is what
    # the database layer stores for "not analysed"; the two scores are floats (NaN).
    data = {
        name: pd.Series(values, dtype=_FLOAT if name in _FLOAT_COLUMNS else "object")
        for name, values in zip(COLUMNS, columns, strict=True)
    }
    return pd.DataFrame(data, columns=list(COLUMNS))
