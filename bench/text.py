"""Benchmark: the text engine's accuracy and throughput, against the peers oseti and ML-Ask.

Data (../shared/data/feedback/):
- chABSA (Japanese securities-report sentences, binary 0/1): built-in engine on the test
  file with no training; trained mode fits on the train file and predicts the test file.
- Airline posts (English, negative/neutral/positive): built-in engine on all posts; trained
  mode on a fixed seeded 80/20 split (seed 20240601).

Mapping to the data's labels, documented because it decides the figures:
- Kizuna built-in on binary data: sentiment_score > 0 -> 1, < 0 -> 0; 0 (no cue) ->
  the majority class of the TRAIN file. On 3 classes: positive/negative/neutral as is,
  "mixed" -> the sign of the score.
- oseti (Analyzer.analyze -> one score per sentence): mean > 0 -> 1, < 0 -> 0, 0 -> the
  train majority class.
- ML-Ask (mlask-official, MLAskOfficial.analyze -> valence): POSITIVE -> 1, NEGATIVE -> 0,
  anything else (NEUTRAL, no emotion found) -> the train majority class.
Peers run in their own venv (.venv-bench-text, bench/requirements-text-peers.txt; created
on first run when missing) through a subprocess, on the same cleaned-nothing raw texts.

Throughput is texts per second of CPU time of one process (time.process_time, so other
load on the machine does not count against it) for the FULL analysis (Analyzer.analyze:
cleaning, Sudachi, all labels, cues, DataFrame), with Sudachi's tokenizer alone on the
same texts as a reference. Analyzer.analyze analyses a text repeated within one batch
only once, so the short clauses (which repeat) are timed with and without repeats.

    .venv/bin/python -m bench.text            # full sets
    .venv/bin/python -m bench.text --quick    # 300 texts per set
    .venv/bin/python -m bench.text --no-peers --results /tmp/text.md   # a trial run that
                                              # leaves bench/results/text.md alone
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from kizuna.analytics.text import Analyzer, PolarityClassifier

ROOT = Path(__file__).resolve().parent
PROJECT = ROOT.parent
DATA = PROJECT.parent / "shared" / "data" / "feedback"
RESULTS = ROOT / "results" / "text.md"
PEER_VENV = PROJECT / ".venv-bench-text"
PEER_REQUIREMENTS = ROOT / "requirements-text-peers.txt"
SEED = 20240601

PEER_SCRIPT = r"""
import json, sys, time
import ipadic
texts = json.load(open(sys.argv[2], encoding="utf-8"))
args = ipadic.MECAB_ARGS + " -r /dev/null"
if sys.argv[1] == "oseti":
    import oseti
    analyzer = oseti.Analyzer(mecab_args=args)
    def run(text):
        scores = analyzer.analyze(text)
        return sum(scores) / len(scores) if scores else 0.0
else:
    from mlask_official import MLAskOfficial
    analyzer = MLAskOfficial(mecab_arg=args)
    def run(text):
        return str(analyzer.analyze(text).get("valence") or "")
run(texts[0])  # warm-up: dictionaries load lazily
start = time.process_time()
out = [run(text) for text in texts]
seconds = time.process_time() - start
json.dump({"predictions": out, "seconds": seconds}, sys.stdout, ensure_ascii=False)
"""


def read_chabsa(name: str) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1] in ("0", "1"):
            texts.append(parts[0])
            labels.append(int(parts[1]))
    return texts, labels


def read_airline() -> tuple[list[str], list[str]]:
    with (DATA / "airline_tweets_en.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["airline_sentiment"] for row in rows]


def scores(truth: list[Any], predicted: list[Any]) -> tuple[float, float]:
    return (
        float(accuracy_score(truth, predicted)),
        float(f1_score(truth, predicted, average="macro")),
    )


def binary_from_engine(frame: Any, majority: int) -> list[int]:
    out = []
    for score in frame["sentiment_score"]:
        if score != score or score == 0:  # NaN (not analysed) or no cue
            out.append(majority)
        else:
            out.append(1 if score > 0 else 0)
    return out


def three_from_engine(frame: Any) -> list[str]:
    out = []
    for label, score in zip(frame["sentiment"], frame["sentiment_score"], strict=True):
        if label == "mixed":
            label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        out.append(label or "neutral")
    return out


def ensure_peer_venv() -> Path | None:
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(PEER_REQUIREMENTS)],
            check=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"peers not measured: could not build {PEER_VENV}: {exc}", file=sys.stderr)
        return None
    return python


def run_peer(python: Path, name: str, texts: list[str]) -> dict[str, Any] | None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
        path = f.name
    try:
        done = subprocess.run(
            [str(python), "-c", PEER_SCRIPT, name, path],
            capture_output=True,
            text=True,
            timeout=1800,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    finally:
        os.unlink(path)
    if done.returncode != 0:
        print(f"{name} failed: {done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def peer_binary(name: str, predictions: list[Any], majority: int) -> list[int]:
    out = []
    for value in predictions:
        if name == "oseti":
            out.append(1 if value > 0 else 0 if value < 0 else majority)
        else:
            text = str(value).upper()
            out.append(1 if "POSITIVE" in text else 0 if "NEGATIVE" in text else majority)
    return out


def throughput(analyzer: Analyzer, texts: list[str], repeat: int = 5) -> tuple[float, float]:
    """Best of `repeat` CPU-time runs: (full analysis texts/s, Sudachi alone texts/s)."""
    tokenizer = analyzer.engine.tokenizer._ensure_sudachi()
    full = sudachi = 0.0
    for _ in range(repeat):
        start = time.process_time()
        analyzer.analyze(texts)
        full = max(full, len(texts) / (time.process_time() - start))
        start = time.process_time()
        for text in texts:
            tokenizer.tokenize(text)
        sudachi = max(sudachi, len(texts) / (time.process_time() - start))
    return full, sudachi


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 texts per set")
    parser.add_argument("--no-peers", action="store_true", help="skip oseti and ML-Ask")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help=f"where to write the table ({RESULTS})"
    )
    args = parser.parse_args(argv)
    limit = 300 if args.quick else None

    analyzer = Analyzer()
    _ = analyzer.engine  # compile the lexicons outside the timings

    ja_train, ja_train_y = read_chabsa("chabsa_train_ja.tsv")
    ja_test, ja_test_y = read_chabsa("chabsa_test_ja.tsv")
    if limit:  # the files are sorted by label: sample, do not cut
        rng = np.random.default_rng(SEED)
        pick = rng.permutation(len(ja_train))[: limit * 2]
        ja_train, ja_train_y = [ja_train[i] for i in pick], [ja_train_y[i] for i in pick]
        pick = rng.permutation(len(ja_test))[:limit]
        ja_test, ja_test_y = [ja_test[i] for i in pick], [ja_test_y[i] for i in pick]
    majority = Counter(ja_train_y).most_common(1)[0][0]
    en_texts, en_labels = read_airline()
    order = np.random.default_rng(SEED).permutation(len(en_texts))
    if limit:
        order = order[: limit * 3]
    cut = int(len(order) * 0.8)
    en_train = [en_texts[i] for i in order[:cut]]
    en_train_y = [en_labels[i] for i in order[:cut]]
    en_test = [en_texts[i] for i in order[cut:]]
    en_test_y = [en_labels[i] for i in order[cut:]]

    rows: list[tuple[str, str, int, float, float, str]] = []
    frame = analyzer.analyze(ja_test)
    rows.append(
        (
            "chABSA test (ja)",
            "Kizuna built-in",
            len(ja_test),
            *scores(ja_test_y, binary_from_engine(frame, majority)),
            "",
        )
    )
    model = PolarityClassifier().fit(ja_train, ja_train_y)
    rows.append(
        (
            "chABSA test (ja)",
            "Kizuna trained (chABSA train)",
            len(ja_test),
            *scores(ja_test_y, list(model.predict(ja_test))),
            "",
        )
    )

    peer_speed: dict[str, float] = {}
    if not args.no_peers and (python := ensure_peer_venv()) is not None:
        for name, label in (
            ("oseti", "oseti 0.4 (MeCab+IPADIC)"),
            ("mlask", "ML-Ask (mlask-official 0.5)"),
        ):
            result = run_peer(python, name, ja_test)
            if result is None:
                rows.append(
                    ("chABSA test (ja)", label, len(ja_test), float("nan"), float("nan"), "failed")
                )
                continue
            predicted = peer_binary(name, result["predictions"], majority)
            peer_speed[label] = len(ja_test) / result["seconds"]
            rows.append(
                ("chABSA test (ja)", label, len(ja_test), *scores(ja_test_y, predicted), "")
            )

    en_all = en_texts if not limit else [en_texts[i] for i in order]
    en_all_y = en_labels if not limit else [en_labels[i] for i in order]
    frame = analyzer.analyze(en_all)
    rows.append(
        (
            "Airline posts (en, 3 classes)",
            "Kizuna built-in",
            len(en_all),
            *scores(en_all_y, three_from_engine(frame)),
            "all posts",
        )
    )
    frame = analyzer.analyze(en_test)
    rows.append(
        (
            "Airline posts (en, 3 classes)",
            "Kizuna built-in",
            len(en_test),
            *scores(en_test_y, three_from_engine(frame)),
            "20% test split",
        )
    )
    model = PolarityClassifier().fit(en_train, en_train_y)
    rows.append(
        (
            "Airline posts (en, 3 classes)",
            "Kizuna trained (80% split)",
            len(en_test),
            *scores(en_test_y, list(model.predict(en_test))),
            "20% test split",
        )
    )

    clauses = [part for text in ja_test for part in text.split("、") if part.strip()]
    # Analyzer.analyze analyses a text repeated within a batch once; the clauses repeat
    # (16% of them), so they are also timed with the repeats removed.
    unique_clauses = list(dict.fromkeys(clauses))
    speed = [
        ("chABSA sentences (ja)", ja_test),
        ("chABSA clauses split at 、 (ja, short)", clauses),
        ("the same clauses, repeats removed (ja, short)", unique_clauses),
        ("airline posts (en)", en_all[:5000]),
    ]
    speed_rows = []
    for name, texts in speed:
        full, sudachi = throughput(analyzer, texts)
        mean_chars = sum(map(len, texts)) / len(texts)
        speed_rows.append(
            (name, len(texts), mean_chars, full, sudachi if "(en)" not in name else float("nan"))
        )

    write_results(rows, speed_rows, peer_speed, args.quick, args.results)
    print(args.results.read_text(encoding="utf-8"))


def write_results(
    rows: list[tuple[str, str, int, float, float, str]],
    speed_rows: list[tuple[str, int, float, float, float]],
    peer_speed: dict[str, float],
    quick: bool,
    results: Path = RESULTS,
) -> None:
    lines = [
        "# Text engine benchmark",
        "",
        f"Date: {dt.date.today().isoformat()}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {'QUICK run (300 texts per set)' if quick else 'full sets'}.",
        "Run: `.venv/bin/python -m bench.text` (`--quick` for a small run). Mapping of outputs to labels: see bench/text.py.",
        "",
        "## Accuracy",
        "",
        "| data | system | texts | accuracy | macro-F1 | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    for data, system, n, acc, f1, note in rows:
        lines.append(f"| {data} | {system} | {n:,} | {acc:.3f} | {f1:.3f} | {note} |")
    lines += [
        "",
        "## Throughput (one core, CPU time, full analysis incl. DataFrame)",
        "",
        "| texts | count | mean chars | Kizuna texts/s | Sudachi tokenize alone texts/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, n, chars, full, sudachi in speed_rows:
        alone = "-" if sudachi != sudachi else f"{sudachi:,.0f}"
        lines.append(f"| {name} | {n:,} | {chars:.0f} | {full:,.0f} | {alone} |")
    if peer_speed:
        kizuna = speed_rows[0][3]
        lines += [
            "",
            "Peers on the same chABSA sentences (CPU time of the analysis loop, in their own process):",
            "",
        ]
        for label, value in peer_speed.items():
            lines.append(
                f"- {label}: {value:,.0f} texts/s (Kizuna full analysis is {kizuna / value:.1f}x)"
            )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
