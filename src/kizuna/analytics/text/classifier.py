"""A polarity classifier that learns from a company's own labelled feedback.

`PolarityClassifier` follows the estimator contract (STYLE.md): hyper-parameters in
`__init__` with no logic, `fit` returns self, fitted attributes end in `_`, and using it
unfitted raises `NotFittedError` saying what to call. Features are TF-IDF over the same
token keys the rule engine uses (Sudachi normalized forms, word uni- and bigrams), TF-IDF
over character 2-3-grams (robust to unknown words and typos), and the rule engine's own
scores (overall, positive side, negative side); the model is a logistic regression.

`to_bytes()` stores only numbers and words (NumPy arrays and a JSON header in an .npz
archive, loaded with `allow_pickle=False`), so a stored model can never run code.
`weak_labels` turns survey scores into training labels when no one labelled the texts.
scikit-learn, SciPy and pandas are imported by the functions that use them, so importing
this module (or `kizuna.analytics.text`) does not cost their 1.5 s of start-up.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics.text.engine import shared_engine
from kizuna.errors import InsufficientData, InvalidInput, NotFittedError

if TYPE_CHECKING:
    import pandas as pd
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "CrossValidation",
    "NotFittedError",
    "PolarityClassifier",
    "cross_validate_macro_f1",
    "shared_engine",
    "weak_labels",
]

_FORMAT = "kizuna-polarity-classifier/1"


def _word_grams(keys: list[str]) -> list[str]:
    return [*keys, *(f"{a} {b}" for a, b in pairwise(keys))]


class PolarityClassifier:
    """TF-IDF (words + characters) + rule-engine scores -> logistic regression."""

    def __init__(
        self,
        C: float = 4.0,
        char_ngrams: tuple[int, int] = (2, 3),
        min_df: int = 2,
        max_features: int = 100_000,
        lexicon_weight: float = 2.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
    ) -> None:
        self.C = C
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.lexicon_weight = lexicon_weight
        self.class_weight = class_weight
        self.max_iter = max_iter

    # -- features ----------------------------------------------------------------------

    def _prepare(self, texts: Iterable[object]) -> tuple[list[list[str]], list[str], np.ndarray]:
        analyses = shared_engine().analyze_many(list(texts))
        keys = [analysis.keys for analysis in analyses]
        cleaned = [analysis.clean for analysis in analyses]
        scores = [analysis.lexicon_score for analysis in analyses]
        return keys, cleaned, np.asarray(scores, dtype=np.float64).reshape(-1, 3)

    def _features(self, texts: Iterable[object], fit: bool) -> sparse.csr_matrix:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        keys, cleaned, scores = self._prepare(texts)
        if fit:
            self.word_vectorizer_ = TfidfVectorizer(
                analyzer=_word_grams,
                min_df=self.min_df,
                max_features=self.max_features,
                sublinear_tf=True,
            )
            self.char_vectorizer_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=self.char_ngrams,
                min_df=self.min_df,
                max_features=self.max_features,
                sublinear_tf=True,
            )
            try:
                words = self.word_vectorizer_.fit_transform(keys)
                chars = self.char_vectorizer_.fit_transform(cleaned)
            except ValueError:  # scikit-learn: "empty vocabulary", "no terms remain"
                raise InsufficientData(
                    f"The {len(keys)} texts share too few words to learn from (each word must "
                    f"occur in at least min_df={self.min_df} texts). Label more texts, or lower "
                    "min_df, and fit again.",
                    f"{len(keys)}件のテキストに共通する語が少なすぎて学習できません(各語が "
                    f"min_df={self.min_df} 件以上のテキストに必要です)。ラベル付きテキストを"
                    "増やすか min_df を下げて、もう一度学習してください。",
                    texts=len(keys),
                ) from None
        else:
            words = self.word_vectorizer_.transform(keys)
            chars = self.char_vectorizer_.transform(cleaned)
        lexical = sparse.csr_matrix(scores * self.lexicon_weight)
        return sparse.hstack([words, chars, lexical], format="csr")

    # -- estimator contract ------------------------------------------------------------

    def fit(self, texts: Sequence[object], labels: Sequence[Any]) -> PolarityClassifier:
        """Learn from texts and their labels (e.g. positive/negative, or 0/1)."""
        from sklearn.linear_model import LogisticRegression

        label_list = list(labels)
        if len(label_list) != len(texts):
            raise InvalidInput(
                f"Got {len(texts)} texts but {len(label_list)} labels; give one label per text.",
                f"テキスト{len(texts)}件に対してラベルが{len(label_list)}件です。1件に1ラベルを指定してください。",
            )
        if len(set(label_list)) < 2:
            raise InsufficientData(
                "Training needs at least two different labels (e.g. positive and negative). "
                "Add texts of the missing kind and fit again.",
                "学習には2種類以上のラベル(例: positive と negative)が必要です。"
                "足りない種類のテキストを加えてから、もう一度学習してください。",
                labels=sorted(map(str, set(label_list))),
            )
        features = self._features(texts, fit=True)
        # liblinear is about three times faster than lbfgs on two classes; lbfgs gives a
        # true multinomial model for three or more.
        solver = "liblinear" if len(set(label_list)) == 2 else "lbfgs"
        self.model_ = LogisticRegression(
            C=self.C, max_iter=self.max_iter, class_weight=self.class_weight, solver=solver
        )
        self.model_.fit(features, np.asarray(label_list))
        self.classes_ = self.model_.classes_
        self.n_samples_ = len(label_list)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                type(self).__name__,
                f"fit(texts, labels) (or load a trained one with {type(self).__name__}.from_bytes(data))",
            )

    def predict_proba(self, texts: Iterable[object]) -> np.ndarray:
        """Probabilities per text, columns in the order of `classes_`."""
        self._check_fitted()
        return np.asarray(self.model_.predict_proba(self._features(texts, fit=False)))

    def predict(self, texts: Iterable[object]) -> np.ndarray:
        """The most probable label of each text."""
        self._check_fitted()
        return np.asarray(self.model_.predict(self._features(texts, fit=False)))

    def __repr__(self) -> str:
        params = f"C={self.C}, char_ngrams={self.char_ngrams}, min_df={self.min_df}"
        if not hasattr(self, "model_"):
            return f"PolarityClassifier({params}) [not fitted]"
        classes = ", ".join(str(c) for c in self.classes_)
        size = len(self.word_vectorizer_.vocabulary_) + len(self.char_vectorizer_.vocabulary_)
        return f"PolarityClassifier({params}) [fitted on {self.n_samples_} texts; classes {classes}; {size} features]"

    # -- storage -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The fitted model as an .npz archive of arrays and a JSON header (no pickle)."""
        self._check_fitted()
        classes = list(self.classes_)
        header = {
            "format": _FORMAT,
            "params": {
                "C": self.C,
                "char_ngrams": list(self.char_ngrams),
                "min_df": self.min_df,
                "max_features": self.max_features,
                "lexicon_weight": self.lexicon_weight,
                "class_weight": self.class_weight,
                "max_iter": self.max_iter,
            },
            "classes": [c.item() if isinstance(c, np.generic) else c for c in classes],
            "n_samples": self.n_samples_,
            "words": _ordered_vocabulary(self.word_vectorizer_),
            "chars": _ordered_vocabulary(self.char_vectorizer_),
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8),
            coef=self.model_.coef_,
            intercept=self.model_.intercept_,
            word_idf=self.word_vectorizer_.idf_,
            char_idf=self.char_vectorizer_.idf_,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PolarityClassifier:
        """A fitted classifier from `to_bytes()` output."""
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            header = json.loads(archive["header"].tobytes().decode())
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise InvalidInput(
                "These bytes are not a stored Kizuna polarity classifier; train one again.",
                "保存されたKizunaの極性分類器ではありません。もう一度学習してください。",
            ) from exc
        found = header.get("format") if isinstance(header, dict) else None
        if found != _FORMAT:
            raise InvalidInput(
                f"Stored classifier format {found!r} is not {_FORMAT}; train it again.",
                f"保存された分類器の形式 {found!r} は {_FORMAT} ではありません。再学習してください。",
            )
        try:
            return cls._restore(header, archive)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise InvalidInput(
                "This stored polarity classifier is damaged or incomplete; train it again.",
                "保存された極性分類器が壊れているか不完全です。もう一度学習してください。",
            ) from exc

    @classmethod
    def _restore(cls, header: dict[str, Any], archive: Any) -> PolarityClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        params = dict(header["params"])
        params["char_ngrams"] = tuple(params["char_ngrams"])
        model = cls(**params)
        model.word_vectorizer_ = _restore_vectorizer(
            TfidfVectorizer(analyzer=_word_grams, sublinear_tf=True),
            header["words"],
            archive["word_idf"],
        )
        model.char_vectorizer_ = _restore_vectorizer(
            TfidfVectorizer(analyzer="char_wb", ngram_range=model.char_ngrams, sublinear_tf=True),
            header["chars"],
            archive["char_idf"],
        )
        classes = np.asarray(header["classes"])
        model.model_ = LogisticRegression(C=model.C, class_weight=model.class_weight)
        model.model_.coef_ = archive["coef"]
        model.model_.intercept_ = archive["intercept"]
        model.model_.classes_ = classes
        model.model_.n_features_in_ = archive["coef"].shape[1]
        model.classes_ = classes
        model.n_samples_ = int(header["n_samples"])
        return model


def _ordered_vocabulary(vectorizer: TfidfVectorizer) -> list[str]:
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    ordered = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        ordered[index] = term
    return ordered


def _restore_vectorizer(
    vectorizer: TfidfVectorizer, terms: list[str], idf: np.ndarray
) -> TfidfVectorizer:
    vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
    vectorizer.fixed_vocabulary_ = True
    vectorizer.idf_ = idf
    return vectorizer


def weak_labels(
    nps: Sequence[Any] | None = None,
    csat: Sequence[Any] | None = None,
    rating: Sequence[Any] | None = None,
) -> pd.Series:
    """Training labels from scores: 'positive', 'negative' or None (drop those rows).

    NPS 9-10 / CSAT 4-5 / rating 4-5 (of 5) are positive; NPS 0-6 / CSAT 1-2 / rating
    1-2 are negative; passives (NPS 7-8, CSAT or rating 3) and missing scores give None.
    The first score present wins, in the order nps, csat, rating.
    """
    import pandas as pd

    columns = [
        (pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce"), pos, neg)
        for values, pos, neg in ((nps, 9, 6), (csat, 4, 2), (rating, 4, 2))
        if values is not None
    ]
    if not columns:
        raise InvalidInput(
            "Give at least one of nps, csat or rating to derive labels from.",
            "ラベルの元になる nps、csat、rating のいずれかを指定してください。",
        )
    sizes = [len(series) for series, _, _ in columns]
    if len(set(sizes)) > 1:
        raise InvalidInput(
            f"nps, csat and rating must have one value per text; got lengths {sizes}. "
            "Pass None for a missing score, not a shorter list.",
            f"nps・csat・rating はテキストごとに1つずつ値が必要です(長さ: {sizes})。"
            "欠けている点数は短いリストではなく None で渡してください。",
        )
    size = sizes[0]
    labels: list[str | None] = [None] * size
    decided = [False] * size
    for series, pos, neg in columns:
        for i, value in enumerate(series.tolist()):
            if decided[i] or value != value:  # NaN: no score here, try the next one
                continue
            decided[i] = True
            if value >= pos:
                labels[i] = "positive"
            elif value <= neg:
                labels[i] = "negative"
    return pd.Series(labels, dtype="object")


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Macro-F1 of a stratified k-fold cross-validation."""

    mean: float
    std: float
    folds: tuple[float, ...]


def cross_validate_macro_f1(
    texts: Sequence[object],
    labels: Sequence[Any],
    n_splits: int = 5,
    random_state: int = 0,
    **params: Any,
) -> CrossValidation:
    """Stratified k-fold macro-F1 of a `PolarityClassifier(**params)` on labelled texts."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    text_list, label_list = list(texts), list(labels)
    if len(text_list) != len(label_list):
        raise InvalidInput(
            f"Got {len(text_list)} texts but {len(label_list)} labels; give one label per text.",
            f"テキスト{len(text_list)}件に対してラベルが{len(label_list)}件です。"
            "1件に1ラベルを指定してください。",
        )
    if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise InvalidInput(
            f"n_splits must be a whole number of at least 2 (got {n_splits!r}); 5 is usual.",
            f"n_splits は2以上の整数で指定してください(指定値: {n_splits!r}、通常は5)。",
        )
    counts = Counter(label_list)
    rarest, smallest = min(counts.items(), key=lambda item: item[1], default=(None, 0))
    if len(counts) < 2 or smallest < n_splits:
        raise InsufficientData(
            f"{n_splits}-fold cross-validation needs at least two labels with {n_splits} texts "
            f"each; label {rarest!r} has {smallest}. Label more texts, or use fewer folds.",
            f"{n_splits}分割の交差検証には、2種類以上のラベルがそれぞれ{n_splits}件以上必要です"
            f"(ラベル {rarest!r} は{smallest}件)。ラベル付きテキストを増やすか、分割数を減らしてください。",
            counts={str(label): count for label, count in counts.items()},
        )
    text_array = np.asarray(text_list, dtype=object)
    label_array = np.asarray(label_list)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    scores: list[float] = []
    for train, test in folds.split(text_array, label_array):
        model = PolarityClassifier(**params).fit(list(text_array[train]), list(label_array[train]))
        predicted = model.predict(list(text_array[test]))
        scores.append(float(f1_score(label_array[test], predicted, average="macro")))
    return CrossValidation(float(np.mean(scores)), float(np.std(scores)), tuple(scores))
