"""The accurate tier: train its model, and measure it beside the fast tier.

    .venv/bin/python -m bench.text_accurate --train   # writes the packaged model
    .venv/bin/python -m bench.text_accurate           # figures and speed only

Training data (fixed, seeded, reproducible): chABSA's TRAIN split (Japanese financial
sentences, binary; CC BY 4.0) and Kizuna's own development sentences (ja and en, three
classes: bench/data/text/dev_reviews_*.tsv). The airline posts are NOT used for training
(their licence, CC BY-NC-SA, does not allow shipping a model learned from them in a
commercial product). Evaluation is on sources the model never saw: chABSA test, the
SNS-like posts, the held-out reviews (ja, en) and the airline posts (en).
`bench.text` calls `measure()` for its table; this module can also run alone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.text import (
    CLASSES,
    HELD_OUT_SOURCES,
    OWN_SOURCES,
    Evaluation,
    evaluate,
    read_airline,
    read_chabsa,
    read_own,
    three_from_engine,
)
from kizuna.analytics.text import Analyzer, PolarityClassifier
from kizuna.analytics.text.accurate import MODEL_FILE, accurate_analyzer

MODEL_PATH = (
    Path(__file__).resolve().parent.parent / "src" / "kizuna" / "analytics" / "text" / "data"
) / MODEL_FILE
#: Kept small: the packaged file stays a few hundred KB.
PARAMS: dict[str, Any] = {"C": 4.0, "min_df": 2, "max_features": 12_000}
TRAIN_OWN = ("dev_reviews_ja.tsv", "dev_reviews_en.tsv")
SEED = 20240601


def training_set() -> tuple[list[str], list[str]]:
    texts, labels = read_chabsa("chabsa_train_ja.tsv")
    out_texts = list(texts)
    out_labels = ["positive" if y == 1 else "negative" for y in labels]
    for name in TRAIN_OWN:
        own, own_labels, _ = read_own(name)
        out_texts += own
        out_labels += own_labels
    order = np.random.default_rng(SEED).permutation(len(out_texts))
    return [out_texts[i] for i in order], [out_labels[i] for i in order]


def train(path: Path = MODEL_PATH) -> PolarityClassifier:
    texts, labels = training_set()
    model = PolarityClassifier(**PARAMS).fit(texts, labels)
    path.write_bytes(model.to_bytes())
    return model


def sources() -> list[tuple[str, list[str], list[str], tuple[str, ...]]]:
    """Every evaluation source the model was not trained on: name, texts, truth, classes."""
    test, test_y = read_chabsa("chabsa_test_ja.tsv")
    out: list[tuple[str, list[str], list[str], tuple[str, ...]]] = [
        (
            "chABSA test (ja, financial, 2 classes)",
            test,
            ["positive" if y == 1 else "negative" for y in test_y],
            ("negative", "positive"),
        )
    ]
    for source, name in (*OWN_SOURCES, *HELD_OUT_SOURCES):
        if name in TRAIN_OWN:
            continue
        texts, labels, _ = read_own(name)
        out.append((source, texts, labels, CLASSES))
    airline, airline_y = read_airline()
    out.append(("Airline posts (en, 3 classes, all)", airline, airline_y, CLASSES))
    return out


def _binary(frame: Any) -> list[str]:
    """Two classes: the score's sign (0 counts as positive, chABSA's majority)."""
    return ["negative" if s < 0 else "positive" for s in frame["sentiment_score"].fillna(0.0)]


def measure(
    fast: Analyzer, repeat: int = 3
) -> tuple[list[Evaluation], list[tuple[str, str, int, float, float]]]:
    """Both tiers on every unseen source; speed (texts/s of CPU time, median of `repeat`)
    on short texts (chABSA clauses) and full review sentences (chABSA sentences)."""
    accurate = accurate_analyzer()
    evaluations: list[Evaluation] = []
    for source, texts, truth, classes in sources():
        for tier, analyzer in (("fast", fast), ("accurate", accurate)):
            frame = analyzer.analyze(texts)
            predicted = _binary(frame) if len(classes) == 2 else three_from_engine(frame)
            system = f"Kizuna {tier} tier"
            evaluations.append(evaluate(source, system, truth, predicted, classes))
    sentences = read_chabsa("chabsa_test_ja.tsv")[0]
    clauses = list(dict.fromkeys(p for s in sentences for p in s.split("、") if p.strip()))
    speed = []
    for name, texts in (
        ("short texts: chABSA clauses, distinct (ja)", clauses),
        ("full sentences: chABSA test (ja)", sentences),
    ):
        mean_chars = sum(map(len, texts)) / len(texts)
        for tier, analyzer in (("fast", fast), ("accurate", accurate)):
            runs = []
            for _ in range(repeat):
                start = time.process_time()
                analyzer.analyze(texts)
                runs.append(len(texts) / (time.process_time() - start))
            speed.append((name, tier, len(texts), mean_chars, float(np.median(runs))))
    return evaluations, speed


def accurate_section(fast: Analyzer) -> list[str]:
    """The markdown section of bench/results/text.md on the accurate tier."""
    evaluations, speed = measure(fast)
    size = MODEL_PATH.stat().st_size / 1024
    lines = [
        "## Accurate tier (optional: KIZUNA_TEXT_TIER=accurate)",
        "",
        f"The packaged model `{MODEL_FILE}` ({size:,.0f} KB; `python -m bench.text_accurate "
        "--train` rebuilds it, seeded) was trained on chABSA's train split and our own "
        "development sentences (ja, en); every source below is one it never saw. The fast "
        "tier (the rule engine alone) stays the default.",
        "",
        "| source | tier | texts | accuracy | macro-F1 | recall |",
        "|---|---|---:|---:|---:|---|",
    ]
    for ev in evaluations:
        recall = " / ".join(f"{label[:3]} {ev.recall[label]:.2f}" for label in ev.classes)
        lines.append(
            f"| {ev.source} | {ev.system} | {ev.texts:,} | {ev.accuracy:.3f} | "
            f"{ev.macro_f1:.3f} | {recall} |"
        )
    lines += [
        "",
        "Speed: texts per second of CPU time on one core, full analysis incl. DataFrame, "
        "median of 3 runs.",
        "",
        "| texts | tier | count | mean chars | texts/s |",
        "|---|---|---:|---:|---:|",
    ]
    for name, tier, n, chars, rate in speed:
        lines.append(f"| {name} | {tier} | {n:,} | {chars:.0f} | {rate:,.0f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help=f"train and write {MODEL_PATH}")
    args = parser.parse_args(argv)
    if args.train:
        start = time.process_time()
        model = train()
        print(
            f"{model!r}; {MODEL_PATH.stat().st_size / 1024:.0f} KB; "
            f"{time.process_time() - start:.1f} s CPU"
        )
        accurate_analyzer.cache_clear()
    fast = Analyzer()
    evaluations, speed = measure(fast)
    for ev in evaluations:
        print(f"{ev.source} | {ev.system} | {ev.texts} | {ev.accuracy:.3f} | {ev.macro_f1:.3f}")
    for name, tier, n, chars, rate in speed:
        print(f"{name} | {tier} | {n} | {chars:.0f} | {rate:,.0f}")


if __name__ == "__main__":
    main()
