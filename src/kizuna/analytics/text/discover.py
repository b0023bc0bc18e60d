"""Topic discovery: propose new topics from the comments no known topic matched.

The built-in taxonomy never covers everything a company hears. `discover_topics` takes
the texts whose analysis found no topic, extracts candidate noun phrases (Japanese:
runs of nouns from Sudachi, e.g. 駐輪場, 整理券 配布; English: runs of content words
that are not stop words), scores each by document frequency times inverse frequency in
all the texts (TF-IDF at the document level, so words every comment uses sink), merges
a phrase into a longer one that covers the same comments, and returns the best ones
with sample comments, so an analyst can add them to the workspace's topics.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kizuna.analytics.text.engine import shared_engine
from kizuna.analytics.text.tokenize import CONTENT, english_stop_words
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["discover_topics"]

_NUMERIC = re.compile(r"^[\d.,%]+$")
_NOUN_POS = ("名詞",)


def _japanese_phrases(text: str) -> set[str]:
    phrases: set[str] = set()
    run: list[str] = []
    for surface, pos in shared_engine().tokenizer.tagged_ja(text):
        if pos[0] in _NOUN_POS and pos[1] not in ("数詞", "代名詞") and len(surface) > 1:
            run.append(surface)
            continue
        if run:
            phrases.add("".join(run))
            run = []
    if run:
        phrases.add("".join(run))
    return {p for p in phrases if not _NUMERIC.match(p)}


def _english_phrases(text: str) -> set[str]:
    """Content words and the bigrams inside runs of them ("vending machine")."""
    tokens = shared_engine().tokenizer.tokenize_en(text)
    stop_words = english_stop_words()
    phrases: set[str] = set()
    previous = ""
    for word, kind in zip(tokens.keys, tokens.kinds, strict=True):
        if kind == CONTENT and word.isalpha() and len(word) > 2 and word not in stop_words:
            phrases.add(word)
            if previous:
                phrases.add(f"{previous} {word}")
            previous = word
        else:
            previous = ""
    return phrases


def _check_arguments(
    texts: Sequence[object], analyzed: pd.DataFrame, n_topics: int, min_count: int, samples: int
) -> None:
    missing = [name for name in ("topics", "language") if name not in analyzed.columns]
    if missing:
        raise InvalidInput(
            f"analyzed lacks the column(s) {missing}; pass the frame Analyzer().analyze(texts) "
            "returns.",
            f"analyzed に列 {missing} がありません。Analyzer().analyze(texts) の結果を渡してください。",
            missing=missing,
        )
    if len(texts) != len(analyzed):
        raise InvalidInput(
            f"Got {len(texts)} texts but {len(analyzed)} analysed rows; pass "
            "Analyzer().analyze(texts) of these same texts (one row per text).",
            f"テキスト{len(texts)}件に対して分析結果が{len(analyzed)}行です。同じテキストの "
            "Analyzer().analyze(texts) を渡してください(1件に1行)。",
        )
    for name, value, least in (
        ("n_topics", n_topics, 1),
        ("min_count", min_count, 1),
        ("samples", samples, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidInput(
                f"{name} must be a whole number of at least {least} (got {value!r}).",
                f"{name} は{least}以上の整数で指定してください(指定値: {value!r})。",
                **{name: repr(value)},
            )


def discover_topics(
    texts: Sequence[object],
    analyzed: pd.DataFrame,
    n_topics: int = 10,
    min_count: int = 3,
    samples: int = 3,
) -> pd.DataFrame:
    """Candidate topics from the texts with no topic: phrase, count, share, score, samples.

    `analyzed` is `Analyzer().analyze(texts)` (same order). A phrase must occur in at
    least `min_count` of those texts. Returns an empty frame with the same columns when
    nothing qualifies.
    """
    import pandas as pd

    columns = ["phrase", "language", "count", "share", "score", "samples"]
    _check_arguments(texts, analyzed, n_topics, min_count, samples)
    unmatched = [
        i
        for i, (topics, language) in enumerate(
            zip(analyzed["topics"], analyzed["language"], strict=True)
        )
        if not topics and language in ("ja", "en")
    ]
    if not unmatched:
        return pd.DataFrame(columns=columns)
    engine = shared_engine()
    per_text: dict[int, set[str]] = {}
    languages: dict[str, str] = {}
    all_df: Counter[str] = Counter()
    unmatched_set = set(unmatched)
    for i, text in enumerate(texts):
        language = analyzed["language"].iat[i]
        if language not in ("ja", "en"):
            continue
        clean = engine.prepare(text)[0].text
        found = _japanese_phrases(clean) if language == "ja" else _english_phrases(clean)
        all_df.update(found)
        if i in unmatched_set:
            per_text[i] = found
            for phrase in found:
                languages.setdefault(phrase, str(language))
    counts: Counter[str] = Counter()
    for found in per_text.values():
        counts.update(found)
    total = len(texts)
    candidates: list[tuple[float, int, str]] = []
    for phrase, count in counts.items():
        if count < min_count:
            continue
        idf = math.log((1 + total) / (1 + all_df[phrase])) + 1.0
        candidates.append((count * idf, len(phrase.split()), phrase))
    # Best score first; on a tie the longer phrase ("vending machine" over "vending").
    candidates.sort(reverse=True)
    chosen: list[tuple[float, str]] = []
    covered: list[set[int]] = []
    for score, _, phrase in candidates:
        docs = {i for i, found in per_text.items() if phrase in found}
        # A phrase whose comments are mostly those of a phrase already chosen adds nothing.
        if any(len(docs & seen) >= 0.8 * len(docs) for seen in covered):
            continue
        chosen.append((score, phrase))
        covered.append(docs)
        if len(chosen) >= n_topics:
            break
    rows: list[dict[str, Any]] = []
    for (score, phrase), docs in zip(chosen, covered, strict=True):
        rows.append(
            {
                "phrase": phrase,
                "language": languages[phrase],
                "count": len(docs),
                "share": round(len(docs) / len(unmatched), 3),
                "score": round(score, 3),
                "samples": [str(texts[i])[:200] for i in sorted(docs)[:samples]],
            }
        )
    return pd.DataFrame(rows, columns=columns)
