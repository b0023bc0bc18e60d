"""The accurate tier: a small learned polarity model shipped inside the package.

The fast tier (the rule engine alone) is the default. `KIZUNA_TEXT_TIER=accurate` makes
the worker read voices with `accurate_analyzer()`: the rule engine plus a
`PolarityClassifier` (TF-IDF over Sudachi words and character 2-3-grams, the rule
engine's own scores, logistic regression) that decides sentiment, its score and each
topic's polarity (analyzer.py), while the rules still give cues, emotions, delight and
the expectation gap.

The model is `data/accurate_tier.npz` (arrays and a JSON header, loaded with
`allow_pickle=False`: it can never run code), trained by `bench/text_accurate.py` with a
fixed seed on chABSA's train split (CC BY 4.0, see NOTICE) and Kizuna's own development
sentences; nothing is downloaded at run time. A local model trained the same way can be
given instead by path (`accurate_analyzer(path)`; KIZUNA_TEXT_ACCURATE_MODEL for the
worker), and its analyses are stored under a version naming its hash. Its figures, on sources it was not
trained on, and its speed are in bench/results/text.md. Nothing here touches the
database or the web.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from kizuna.analytics.text.analyzer import Analyzer
from kizuna.errors import InvalidInput

__all__ = [
    "ACCURATE_VERSION",
    "MODEL_FILE",
    "TIERS",
    "accurate_analyzer",
    "accurate_version",
    "load_accurate_model",
]

#: Appended to the engine version of analyses made by the accurate tier.
ACCURATE_VERSION = "accurate-1"
MODEL_FILE = "accurate_tier.npz"
TIERS = ("fast", "accurate")


def load_accurate_model(path: str | Path | None = None) -> bytes:
    """The stored model's bytes: the packaged one, or a local file trained the same way."""
    try:
        if path is not None:
            return Path(path).read_bytes()
        return resources.files("kizuna.analytics.text").joinpath("data", MODEL_FILE).read_bytes()
    except OSError as exc:
        where = str(path) if path is not None else f"kizuna/analytics/text/data/{MODEL_FILE}"
        raise InvalidInput(
            f"The accurate tier's model {where} cannot be read ({exc.strerror or exc}). "
            "Reinstall Kizuna, or train it with `python -m bench.text_accurate --train`, "
            "or set KIZUNA_TEXT_TIER=fast.",
            f"高精度モードのモデル {where} を読めません({exc.strerror or exc})。Kizuna を"
            "入れ直すか `python -m bench.text_accurate --train` で学習するか、"
            "KIZUNA_TEXT_TIER=fast にしてください。",
            path=where,
        ) from exc


def accurate_version(path: str | Path | None = None) -> str:
    """The name stored with the analyses of this model: `accurate-1` for the packaged
    one, `accurate-local-<first 8 hex of its SHA-256>` for a local file."""
    if path is None or str(path) == "":
        return ACCURATE_VERSION
    return f"accurate-local-{hashlib.sha256(load_accurate_model(path)).hexdigest()[:8]}"


@lru_cache(maxsize=4)
def accurate_analyzer(path: str | None = None) -> Analyzer:
    """An analyzer whose sentiment and topic polarity come from the accurate tier's model
    (built once per process and path; about 0.5 s with scikit-learn's import)."""
    from kizuna.analytics.text.classifier import PolarityClassifier

    return Analyzer(classifier=PolarityClassifier.from_bytes(load_accurate_model(path)))
