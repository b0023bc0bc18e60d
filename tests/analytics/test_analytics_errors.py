"""Bad input a person can give reaches them as a `kizuna.errors` error, in both languages.

Every case below is something a user can do through the API, the CLI or a notebook: a
wrong name, a rules file with a typo, too little data to fit. Each must raise the fitting
class of the one error tree (never a ValueError or a library traceback), with an English
and a Japanese message that name the problem and what to do next.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import ibis
import numpy as np
import pandas as pd
import pytest

from kizuna.analytics.actions import load_action_rules, parse_action_rules
from kizuna.analytics.churn import ChurnModel, split_train_test
from kizuna.analytics.clv import GammaGammaModel
from kizuna.analytics.lifecycle import LifecycleRules, load_rules
from kizuna.analytics.metrics import count_metric, finish_metric
from kizuna.analytics.text import (
    Analyzer,
    PolarityClassifier,
    cross_validate_macro_f1,
    discover_topics,
    list_topics,
    weak_labels,
)
from kizuna.analytics.unionfind import group_roots
from kizuna.errors import InsufficientData, InvalidInput, KizunaError

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TEXTS = ["スタッフが親切", "料理が美味しい", "部屋が汚い", "対応が遅い"]
EMPTY_COUNTS = pd.DataFrame({"n": pd.Series([], dtype="int64")})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def feedback_table() -> ibis.Table:
    schema = {"received_on": "date", "source": "string", "nps": "int16", "customer_id": "int64"}
    return ibis.table(schema, name="feedback")


def stored_header_only() -> bytes:
    buffer = io.BytesIO()
    header = json.dumps({"format": "kizuna-polarity-classifier/1"}).encode()
    np.savez(buffer, header=np.frombuffer(header, dtype=np.uint8))
    return buffer.getvalue()


def churn_frame(n: int, churned: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"tenure": np.arange(n, dtype=float), "churned": [1] * churned + [0] * (n - churned)}
    )


# (id, call, error class, a phrase the English message must contain)
Case = tuple[str, Callable[[Path], Any], type[KizunaError], str]
CASES: list[Case] = [
    # metrics
    (
        "metric name",
        lambda _: finish_metric(EMPTY_COUNTS, cast(Any, "nsp")),
        InvalidInput,
        "Unknown metric",
    ),
    (
        "period",
        lambda _: finish_metric(EMPTY_COUNTS, "nps", period=cast(Any, "year")),
        InvalidInput,
        "Unknown period",
    ),
    (
        "dimension",
        lambda _: finish_metric(EMPTY_COUNTS, "nps", by=["colour"]),
        InvalidInput,
        "colour",
    ),
    (
        "same dimension twice",
        lambda _: finish_metric(EMPTY_COUNTS, "nps", by=["channel", "channel"]),
        InvalidInput,
        "at most once",
    ),
    (
        "confidence",
        lambda _: finish_metric(EMPTY_COUNTS, "nps", confidence=95),
        InvalidInput,
        "between 0 and 1",
    ),
    (
        "customer dimension without customers",
        lambda _: count_metric(feedback_table(), "nps", by=["gender"]),
        InvalidInput,
        "customers table",
    ),
    # next best action rules
    ("rules not a mapping", lambda _: parse_action_rules(["a"]), InvalidInput, "'rules' list"),
    (
        "rule operator",
        lambda _: parse_action_rules(
            {
                "rules": [
                    {
                        "code": "x",
                        "title_ja": "t",
                        "title_en": "t",
                        "reason_ja": "r",
                        "reason_en": "r",
                        "when": {"field": "a", "op": "like"},
                    }
                ]
            }
        ),
        InvalidInput,
        "'op'",
    ),
    (
        "rule texts",
        lambda _: parse_action_rules(
            {"rules": [{"code": "x", "when": {"field": "a", "op": "eq"}}]}
        ),
        InvalidInput,
        "missing text",
    ),
    (
        "rules file missing",
        lambda tmp: load_action_rules(tmp / "missing.yaml"),
        InvalidInput,
        "Cannot read",
    ),
    (
        "rules file not YAML",
        lambda tmp: load_action_rules(write(tmp, "r.yaml", "rules: [\n")),
        InvalidInput,
        "not valid YAML",
    ),
    # lifecycle thresholds
    (
        "unknown threshold",
        lambda tmp: load_rules(write(tmp, "l.yaml", "new_dayz: 150\n")),
        InvalidInput,
        "new_dayz",
    ),
    (
        "thresholds out of order",
        lambda _: LifecycleRules(at_risk_days=400, lapsed_days=365),
        InvalidInput,
        "at_risk_days < lapsed_days",
    ),
    (
        "threshold not a number",
        lambda tmp: load_rules(write(tmp, "l.yaml", "new_days: ninety\n")),
        InvalidInput,
        "must be a number",
    ),
    (
        "thresholds not a mapping",
        lambda tmp: load_rules(write(tmp, "l.yaml", "- 90\n")),
        InvalidInput,
        "mapping",
    ),
    (
        "thresholds file missing",
        lambda tmp: load_rules(tmp / "none.yaml"),
        InvalidInput,
        "Cannot read",
    ),
    # identity resolution
    (
        "pairs of unequal length",
        lambda _: group_roots(np.array([1, 2]), np.array([1])),
        InvalidInput,
        "same length",
    ),
    # text engine
    (
        "topic not a mapping",
        lambda _: Analyzer(extra_topics={"topics": {"wifi": ["wifi"]}}).analyze_one("x"),
        InvalidInput,
        "Topic 'wifi'",
    ),
    (
        "topic terms not a list",
        lambda _: list_topics({"wifi": {"en": "wifi"}}),
        InvalidInput,
        "list of words",
    ),
    (
        "topics file missing",
        lambda tmp: list_topics(tmp / "topics.yaml"),
        InvalidInput,
        "does not exist",
    ),
    (
        "topics file not YAML",
        lambda tmp: list_topics(write(tmp, "t.yaml", "wifi: [\n")),
        InvalidInput,
        "not valid YAML",
    ),
    ("max_chars", lambda _: Analyzer(max_chars=0).analyze_one("x"), InvalidInput, "max_chars"),
    ("texts not a list", lambda _: Analyzer().analyze(cast(Any, 5)), InvalidInput, "as a list"),
    (
        "discover lengths",
        lambda _: discover_topics(
            ["a"], pd.DataFrame({"topics": [[], []], "language": ["en", "en"]})
        ),
        InvalidInput,
        "1 texts but 2",
    ),
    (
        "discover columns",
        lambda _: discover_topics(["a"], pd.DataFrame({"text": ["a"]})),
        InvalidInput,
        "lacks the column",
    ),
    (
        "discover n_topics",
        lambda _: discover_topics([], pd.DataFrame({"topics": [], "language": []}), n_topics=0),
        InvalidInput,
        "n_topics",
    ),
    (
        "one label",
        lambda _: PolarityClassifier().fit(TEXTS, ["positive"] * 4),
        InsufficientData,
        "two different labels",
    ),
    (
        "too few shared words",
        lambda _: PolarityClassifier(min_df=5).fit(
            TEXTS, ["positive", "positive", "negative", "negative"]
        ),
        InsufficientData,
        "too few words",
    ),
    (
        "folds",
        lambda _: cross_validate_macro_f1(TEXTS, ["positive", "positive", "negative", "negative"]),
        InsufficientData,
        "5-fold",
    ),
    (
        "n_splits",
        lambda _: cross_validate_macro_f1(TEXTS, ["positive"] * 4, n_splits=1),
        InvalidInput,
        "n_splits",
    ),
    (
        "texts and labels",
        lambda _: cross_validate_macro_f1(TEXTS, ["positive"]),
        InvalidInput,
        "4 texts but 1 labels",
    ),
    (
        "stored model junk",
        lambda _: PolarityClassifier.from_bytes(b"not a model"),
        InvalidInput,
        "not a stored",
    ),
    (
        "stored model damaged",
        lambda _: PolarityClassifier.from_bytes(stored_header_only()),
        InvalidInput,
        "damaged",
    ),
    (
        "weak label lengths",
        lambda _: weak_labels(nps=[10], csat=[5, 1]),
        InvalidInput,
        "one value per text",
    ),
    # churn
    (
        "churn one class",
        lambda _: ChurnModel().fit(churn_frame(50, 0)[["tenure"]], churn_frame(50, 0)["churned"]),
        InsufficientData,
        "churned",
    ),
    (
        "churn split too small",
        lambda _: split_train_test(churn_frame(5, 1), "churned"),
        InsufficientData,
        "Too few rows",
    ),
    (
        "churn split time column",
        lambda _: split_train_test(churn_frame(20, 5), "churned", time_col="signup"),
        InvalidInput,
        "signup",
    ),
    (
        "churn split not dates",
        lambda _: split_train_test(
            churn_frame(20, 5).assign(when=["2024-01-01"] * 19 + ["soon"]),
            "churned",
            time_col="when",
        ),
        InvalidInput,
        "not dates",
    ),
    (
        "churn split one time",
        lambda _: split_train_test(
            churn_frame(20, 5).assign(when=dt.date(2024, 1, 1)), "churned", time_col="when"
        ),
        InsufficientData,
        "too few distinct times",
    ),
    # customer lifetime value
    (
        "gamma-gamma repeat buyers",
        lambda _: GammaGammaModel().fit([1, 0, 0], [10.0, 0.0, 0.0]),
        InsufficientData,
        "at least 3 customers",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "phrase"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_raises_a_kizuna_error_in_both_languages(
    tmp_path: Path, call: Callable[[Path], Any], error: type[KizunaError], phrase: str
) -> None:
    with pytest.raises(KizunaError) as caught:
        call(tmp_path)
    err = caught.value
    assert type(err) is error
    assert phrase in err.message_en
    assert err.message_en and err.message_ja and err.message_ja != err.message_en
    assert JAPANESE.search(err.message_ja), err.message_ja
    assert str(err) == err.message_en
    shown = err.to_dict("ja")["error"]
    assert shown["code"] == error.code and shown["message"] == err.message_ja
    json.dumps(err.to_dict("en"))  # details stay plain data the web layer can send


def test_insufficient_data_is_invalid_input_with_its_own_code() -> None:
    err = InsufficientData("Add rows.", "行を増やしてください。")
    assert isinstance(err, InvalidInput)
    assert err.code == "insufficient_data" and err.status == InvalidInput.status
