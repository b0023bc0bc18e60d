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
from typing import Any

import pandas as pd

from kizuna.analytics.text.classifier import shared_engine
from kizuna.analytics.text.tokenize import CONTENT, english_stop_words

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
    columns = ["phrase", "language", "count", "share", "score", "samples"]
    if len(texts) != len(analyzed):
        raise ValueError("texts and analyzed must have the same length (one row per text)")
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
