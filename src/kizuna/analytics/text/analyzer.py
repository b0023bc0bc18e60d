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
(P(positive) - P(negative)), and each topic's polarity from the same decision: the
model reads the clauses that mention the topic (the whole text's decision when every
clause does), and when the text is negative (positive) and no topic came out so, the
topic the model found most negative (positive) takes the text's label and score, so a
text the model calls negative never has all its topics positive. The rules still give
cues, which topics are mentioned, emotions and delight.
Pure: no database, no web. The job worker and the DB layer wrap it. pandas is imported
only when a frame is built: `analyze_rows` (what `kizuna text analyze` prints) needs
neither pandas nor NumPy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuna.analytics.text.engine import COLUMNS, ENGINE_VERSION, TextAnalysis, TextEngine
from kizuna.analytics.text.normalize import MAX_CHARS
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from kizuna.analytics.text.classifier import PolarityClassifier

__all__ = ["COLUMNS", "Analyzer"]

_SENTIMENTS = frozenset({"positive", "neutral", "negative", "mixed"})
_FLOAT_COLUMNS = frozenset({"sentiment_score", "delight"})
_FLOAT = "float64"
# Positions in `COLUMNS` of what a classifier overrides, and of the values a repeated
# text must not share with its first occurrence.
_SENTIMENT, _SCORE = COLUMNS.index("sentiment"), COLUMNS.index("sentiment_score")
_EMOTIONS, _TOPICS = COLUMNS.index("emotions"), COLUMNS.index("topics")
_EXPERIENCE, _CUES = COLUMNS.index("experience_values"), COLUMNS.index("cues")


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
        """The compiled engine, built on first use (about 0.1 s: Sudachi and the lexicons)."""
        engine: TextEngine | None = self.__dict__.get("_engine")
        if engine is None:
            _check_max_chars(self.max_chars)
            engine = TextEngine(self.max_chars, self.extra_topics)
            self.__dict__["_engine"] = engine
        return engine

    def analyze_one(self, text: object) -> TextAnalysis:
        """The analysis of one text as an object (see `TextAnalysis.row`)."""
        analysis = self.engine.analyze(text)
        if self.classifier is not None and analysis.sentiment is not None:
            ((analysis.sentiment, analysis.sentiment_score),) = self._classify([text])
            if analysis.topics:
                self._decide_topics(
                    [text], [analysis.sentiment], [analysis.sentiment_score], [analysis.topics]
                )
        return analysis

    def analyze_rows(self, texts: Iterable[object] | str) -> list[dict[str, Any]]:
        """One row per text as a dict with the keys in `COLUMNS`, without building a frame.

        The same values as the rows of `analyze`, except that a missing score is None
        here where the frame has NaN.
        """
        columns = self._columns(_as_list(texts))
        return [dict(zip(COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)]

    def analyze(self, texts: Iterable[object] | str) -> pd.DataFrame:
        """One row per text, in input order, with the columns in `COLUMNS`."""
        import pandas as pd

        columns = self._columns(_as_list(texts))
        # Object columns keep None as None (pandas would turn it into NaN), which is what
        # the database layer stores for "not analysed"; the two scores are floats (NaN).
        data = {
            name: pd.Series(values, dtype=_FLOAT if name in _FLOAT_COLUMNS else "object")
            for name, values in zip(COLUMNS, columns, strict=True)
        }
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        frame.attrs["engine_version"] = ENGINE_VERSION
        return frame

    def _columns(self, items: list[object]) -> tuple[list[Any], ...]:
        """The row values of every text, column by column, in input order.

        A text repeated in the batch is analysed (and classified) once. Feedback exports
        repeat texts ("特になし", "good", "N/A"): a repeat gets a copy of the first
        occurrence's dicts and lists, so rows never share them.
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
        columns = self.engine.analyze_columns(unique)
        if self.classifier is not None:
            sentiments, scores = columns[_SENTIMENT], columns[_SCORE]
            rows = [i for i, sentiment in enumerate(sentiments) if sentiment is not None]
            for i, (label, score) in zip(
                rows, self._classify([unique[i] for i in rows]), strict=True
            ):
                sentiments[i], scores[i] = label, score
            with_topics = [i for i in rows if columns[_TOPICS][i]]
            if with_topics:
                self._decide_topics(
                    [unique[i] for i in with_topics],
                    [sentiments[i] for i in with_topics],
                    [scores[i] for i in with_topics],
                    [columns[_TOPICS][i] for i in with_topics],
                )
        if len(unique) == len(items):
            return columns
        return _repeat_rows(columns, slots, len(unique))

    def _decide_topics(
        self,
        texts: Sequence[object],
        labels: Sequence[str | None],
        scores: Sequence[float | None],
        topics: Sequence[list[dict[str, Any]]],
    ) -> None:
        """Each topic's sentiment and score from the classifier (in place; see the
        module docstring): on the clauses that mention it, or the text's own decision."""
        clauses = self.engine.topic_clauses(texts)
        wanted = list(dict.fromkeys(t for by_topic in clauses for t in by_topic.values() if t))
        decided = dict(zip(wanted, self._classify(wanted), strict=True))
        for label, score, found, by_topic in zip(labels, scores, topics, clauses, strict=True):
            for topic in found:
                clause = by_topic.get(topic["topic"], "")
                if clause:
                    topic["sentiment"], topic["score"] = decided[clause]
                elif label is not None:
                    topic["sentiment"], topic["score"] = label, score
            _agree(found, label, score)

    def _classify(self, texts: Sequence[object]) -> list[tuple[str, float]]:
        """The classifier's sentiment and score (P(positive) - P(negative)) of each text."""
        import numpy as np

        classifier = self.classifier
        assert classifier is not None  # callers check; not reachable from input
        classes = [str(c) for c in classifier.classes_]
        if not set(classes) <= _SENTIMENTS or "positive" not in classes:
            raise InvalidInput(
                f"The classifier's labels {classes} are not sentiments; train it with "
                "labels positive/negative (and neutral), e.g. from weak_labels().",
                f"分類器のラベル {classes} は感情極性ではありません。positive/negative(/neutral) "
                "のラベルで学習してください(weak_labels() が使えます)。",
            )
        if not texts:
            return []
        proba = classifier.predict_proba(texts)
        positive = proba[:, classes.index("positive")]
        negative = proba[:, classes.index("negative")] if "negative" in classes else 0.0
        scores = np.round(positive - negative, 3)
        best = proba.argmax(axis=1)
        return [(classes[int(best[n])], float(scores[n])) for n in range(len(texts))]


def _agree(topics: list[dict[str, Any]], label: str | None, score: float | None) -> None:
    """One rule joins the text's decision and its topics': a positive or negative text
    has at least one topic of its own label (the one the model leaned that way most)."""
    if label not in ("positive", "negative") or score is None or not topics:
        return
    if any(topic["sentiment"] == label for topic in topics):
        return
    sign = 1.0 if label == "positive" else -1.0
    nearest = max(topics, key=lambda topic: sign * float(topic["score"]))
    nearest["sentiment"], nearest["score"] = label, score


def _check_max_chars(max_chars: object) -> None:
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise InvalidInput(
            f"max_chars must be a whole number of characters, at least 1 (got {max_chars!r}); "
            f"the default is {MAX_CHARS}.",
            f"max_chars は1以上の整数(文字数)で指定してください(指定値: {max_chars!r}、"
            f"既定値は {MAX_CHARS})。",
            max_chars=repr(max_chars),
        )


def _as_list(texts: Iterable[object] | str) -> list[object]:
    if isinstance(texts, str):
        return [texts]
    if not isinstance(texts, Iterable):
        raise InvalidInput(
            f"Give the texts as a list (or one text as a str), not {type(texts).__name__}.",
            f"テキストはリスト(1件なら文字列)で渡してください(渡された型: {type(texts).__name__})。",
        )
    return list(texts)


def _repeat_rows(
    columns: tuple[list[Any], ...], slots: list[int], unique: int
) -> tuple[list[Any], ...]:
    """Columns in input order from those of the distinct texts (row i shows distinct
    text `slots[i]`); a repeat gets copies of the dicts and lists (the cues' dicts too)."""
    out = tuple([values[slot] for slot in slots] for values in columns)
    emotions, topics, experience, cues = out[_EMOTIONS], out[_TOPICS], out[_EXPERIENCE], out[_CUES]
    given = bytearray(unique)
    for row, slot in enumerate(slots):
        if not given[slot]:
            given[slot] = 1
            continue
        emotions[row] = dict(emotions[row])
        topics[row] = [dict(topic) for topic in topics[row]]
        experience[row] = list(experience[row])
        cues[row] = [dict(cue) for cue in cues[row]]
    return out
