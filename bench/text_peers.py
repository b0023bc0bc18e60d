"""The peers of the text benchmark, oseti and ML-Ask, run in their own venv.

They are installed ONLY in .venv-bench-text (bench/requirements-text-peers.txt; created on
first run when missing, or by `make bench-text`), never as a Kizuna dependency, and run
through a subprocess on the same raw texts. How their outputs map to labels is documented
in bench/text.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
PEER_VENV = PROJECT / ".venv-bench-text"
PEER_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-text-peers.txt"
PEERS = (
    ("oseti", "oseti 0.4 (MeCab+IPADIC)"),
    ("mlask", "ML-Ask (mlask-official 0.5)"),
)

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


def peer_three(name: str, predictions: list[Any]) -> list[str]:
    out = []
    for value in predictions:
        if name == "oseti":
            out.append("positive" if value > 0 else "negative" if value < 0 else "neutral")
        else:
            text = str(value).upper()
            out.append(
                "positive"
                if "POSITIVE" in text
                else "negative"
                if "NEGATIVE" in text
                else "neutral"
            )
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
