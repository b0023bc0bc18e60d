"""Japanese-first text analytics: sentiment, emotions, delight, topics, experience values.

Pure: no database, no web. `Analyzer().analyze(texts)` returns one row per text; a
`PolarityClassifier` learns a company's own polarity; `discover_topics` proposes topics
the taxonomy lacks. Lexicons and the topic taxonomy are YAML files in `data/`.

    normalize.py   clean raw text (HTML, junk, NFKC, elongations) with an offset map
    tokenize.py    language by script; SudachiPy / English tokens as lexicon keys
    lexicon.py     YAML lexicons compiled into a phrase index
    sentiment.py   clauses, contrast, negation, intensifiers, requests, per-topic polarity
    grammar.py     constructions without a polarity word: excess, intention to return,
                   recommendation, mismatch, wishes ... (data/constructions.yaml)
    absence.py     absence and inability (ありません, できない, 届かない; "no wifi")
    irony.py       praise next to a complaint that means the opposite
    emotion.py, delight.py, experience.py, topics.py   the other labels
    engine.py      one text -> TextAnalysis;  analyzer.py  texts -> DataFrame
    classifier.py  PolarityClassifier, weak_labels, cross_validate_macro_f1
    discover.py    discover_topics

The names below are loaded on first use (PEP 562), so importing one room of the package
(say `kizuna.analytics.text.engine`) does not import scikit-learn or pandas with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kizuna.analytics.text.analyzer import COLUMNS, Analyzer
    from kizuna.analytics.text.classifier import (
        CrossValidation,
        PolarityClassifier,
        cross_validate_macro_f1,
        weak_labels,
    )
    from kizuna.analytics.text.discover import discover_topics
    from kizuna.analytics.text.engine import ENGINE_VERSION, TextAnalysis, TextEngine
    from kizuna.analytics.text.lexicon import EMOTIONS, EXPERIENCE_VALUES
    from kizuna.analytics.text.normalize import MAX_CHARS
    from kizuna.analytics.text.topics import list_topics
    from kizuna.errors import NotFittedError

__all__ = [
    "COLUMNS",
    "EMOTIONS",
    "ENGINE_VERSION",
    "EXPERIENCE_VALUES",
    "MAX_CHARS",
    "Analyzer",
    "CrossValidation",
    "NotFittedError",
    "PolarityClassifier",
    "TextAnalysis",
    "TextEngine",
    "cross_validate_macro_f1",
    "discover_topics",
    "list_topics",
    "weak_labels",
]

_HOME = {
    "COLUMNS": "analyzer",
    "Analyzer": "analyzer",
    "CrossValidation": "classifier",
    "PolarityClassifier": "classifier",
    "cross_validate_macro_f1": "classifier",
    "weak_labels": "classifier",
    "discover_topics": "discover",
    "ENGINE_VERSION": "engine",
    "TextAnalysis": "engine",
    "TextEngine": "engine",
    "EMOTIONS": "lexicon",
    "EXPERIENCE_VALUES": "lexicon",
    "MAX_CHARS": "normalize",
    "list_topics": "topics",
}


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        from kizuna.errors import NotFittedError

        return NotFittedError
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
