"""Benchmark: CLV model fits, Kizuna against the `lifetimes` package on the same RFM data.

Data sets:
1. CDNOW master (23,570 customers), calibration = the first 39 weeks
   (1997-01-01..1997-09-30), time in weeks, built with `rfm_summary`.
2. Generated customers: simulated from the BG/NBD fitted on (1), T uniform over 27-39
   weeks in whole days (like CDNOW's 12-week acquisition window), spend drawn from the
   Gamma-Gamma fitted on (1). 1 M customers (100 k with --quick).

Gamma-Gamma is fitted on repeat buyers with a positive mean spend (CDNOW master has a few
zero-value purchases). Each RFM set is written to bench/work/clv_<name>.npz; lifetimes 0.11.3 reads it in its own
venv (.venv-bench-clv, pins in bench/requirements-clv-peers.txt) through
`python -m bench.clv --peer MODEL FILE`, and reports its parameters and fit time. Both
sides' log-likelihoods are then computed with one function (Kizuna's) at each side's
parameters, so they are comparable whatever convention or time scaling a side uses.
Times are of the `fit` call alone (lifetimes: its own process, imports excluded); the
lifetimes run is capped at --peer-timeout seconds.

    .venv/bin/python -m bench.clv            # CDNOW master + 1 M generated
    .venv/bin/python -m bench.clv --quick    # CDNOW master + 100 k generated
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"
RESULTS = ROOT / "results" / "clv.md"
PEER_PYTHON = ROOT.parent / ".venv-bench-clv" / "bin" / "python"
CDNOW = ROOT.parent.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
MODELS = ("bgnbd", "gammagamma", "paretonbd")


def run_peer(model: str, path: str) -> None:
    """Runs inside .venv-bench-clv: fit with lifetimes, print params and time as JSON."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    data = np.load(path)
    started = time.perf_counter()
    if model == "gammagamma":
        repeat = (data["x"] > 0) & (data["m"] > 0)
        fitter: Any = GammaGammaFitter().fit(data["x"][repeat], data["m"][repeat])
        names = ["p", "q", "v"]
    elif model == "bgnbd":
        fitter = BetaGeoFitter().fit(data["x"], data["t_x"], data["T"])
        names = ["r", "alpha", "a", "b"]
    else:
        fitter = ParetoNBDFitter().fit(data["x"], data["t_x"], data["T"])
        names = ["r", "alpha", "s", "beta"]
    seconds = time.perf_counter() - started
    params = [float(fitter.params_[n]) for n in names]
    print(json.dumps({"params": params, "seconds": seconds}))


def load_cdnow() -> dict[str, np.ndarray]:
    import pandas as pd

    from kizuna.analytics.clv import rfm_summary

    tx = pd.read_csv(CDNOW, sep=r"\s+", dtype={"date": str})
    rfm = rfm_summary(tx, "customer_id", "date", "dollar_value", "1997-09-30", freq="W")
    columns = ("frequency", "recency", "T", "monetary_value")
    return dict(
        zip(("x", "t_x", "T", "m"), (rfm[c].to_numpy(np.float64) for c in columns), strict=True)
    )


def generate(n: int, bg: dict[str, float], gg: dict[str, float]) -> dict[str, np.ndarray]:
    from kizuna.analytics.clv.bgnbd import simulate_bgnbd

    rng = np.random.default_rng(2024)
    t_end = rng.integers(27 * 7, 39 * 7 + 1, n) / 7.0
    x, t_x, t_end = simulate_bgnbd(bg["r"], bg["alpha"], bg["a"], bg["b"], t_end, seed=2025)
    # Gamma-Gamma: nu ~ Gamma(q, rate gamma); mean of x spends ~ Gamma(p x, rate x nu).
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    m = np.zeros(n)
    repeat = x > 0
    m[repeat] = rng.gamma(gg["p"] * x[repeat], 1.0 / (x[repeat] * nu[repeat]))
    return {"x": x, "t_x": t_x, "T": t_end, "m": m}


def fit_kizuna(model: str, data: dict[str, np.ndarray]) -> tuple[Any, float]:
    from kizuna.analytics.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel

    started = time.perf_counter()
    fitted: Any
    if model == "gammagamma":
        repeat = (data["x"] > 0) & (data["m"] > 0)
        fitted = GammaGammaModel().fit(data["x"][repeat], data["m"][repeat])
    elif model == "bgnbd":
        fitted = BetaGeoModel().fit(data["x"], data["t_x"], data["T"])
    else:
        fitted = ParetoNBDModel().fit(data["x"], data["t_x"], data["T"])
    return fitted, time.perf_counter() - started


def loglik_at(model: str, params: list[float], data: dict[str, np.ndarray]) -> float:
    """One log-likelihood function for both sides (Kizuna's, no penalty)."""
    from kizuna.analytics.clv.base import compress_rows
    from kizuna.analytics.clv.bgnbd import bgnbd_loglik
    from kizuna.analytics.clv.gammagamma import gammagamma_loglik
    from kizuna.analytics.clv.paretonbd import paretonbd_loglik

    point = np.array(params)
    if model == "gammagamma":
        repeat = (data["x"] > 0) & (data["m"] > 0)
        return gammagamma_loglik(
            point, compress_rows([data["x"][repeat], data["m"][repeat]], None)
        )[0]
    rows = compress_rows([data["x"], data["t_x"], data["T"]], None)
    fn = bgnbd_loglik if model == "bgnbd" else paretonbd_loglik
    return fn(point, rows)[0]


def fit_peer(model: str, path: Path, timeout: float) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        return {"error": "no .venv-bench-clv (see bench/requirements-clv-peers.txt)"}
    command = [str(PEER_PYTHON), "-m", "bench.clv", "--peer", model, str(path)]
    # One BLAS thread: on a busy machine multi-threaded BLAS stalls small products badly.
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent), "OPENBLAS_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT.parent
        )
    except subprocess.TimeoutExpired:
        return {"error": f"capped: not done in {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": "failed: " + done.stderr.strip().splitlines()[-1][:120]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 k generated customers")
    parser.add_argument("--peer-timeout", type=float, default=180.0)
    parser.add_argument("--peer", nargs=2, metavar=("MODEL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        run_peer(*args.peer)
        return 0
    WORK.mkdir(exist_ok=True)
    n_generated = 100_000 if args.quick else 1_000_000
    cdnow = load_cdnow()
    base_bg, _ = fit_kizuna("bgnbd", cdnow)
    base_gg, _ = fit_kizuna("gammagamma", cdnow)
    sets = {
        "CDNOW master, weeks 1-39": ("cdnow", cdnow, MODELS),
        f"generated, {n_generated:,}": (
            f"gen{n_generated}",
            generate(n_generated, base_bg.params_, base_gg.params_),
            ("bgnbd", "gammagamma"),
        ),
    }
    rows = []
    for label, (name, data, models) in sets.items():
        path = WORK / f"clv_{name}.npz"
        np.savez(path, **data)
        for model in models:
            fitted, seconds = fit_kizuna(model, data)
            ours = loglik_at(model, list(fitted.params_.values()), data)
            peer = fit_peer(model, path, args.peer_timeout)
            row = {
                "data": label,
                "customers": int(((data["x"] > 0) & (data["m"] > 0)).sum())
                if model == "gammagamma"
                else len(data["x"]),
                "model": model,
                "kizuna_s": seconds,
                "kizuna_ll": ours,
                "kizuna_params": fitted.params_,
                "peer": peer,
            }
            if "params" in peer:
                row["peer_ll"] = loglik_at(model, peer["params"], data)
            rows.append(row)
            print(format_row(row), flush=True)
    write_table(rows, n_generated)
    return 0


def format_row(row: dict[str, Any]) -> str:
    peer = row["peer"]
    params = ", ".join(f"{k}={v:.4g}" for k, v in row["kizuna_params"].items())
    if "params" in peer:
        peer_params = ", ".join(f"{v:.4g}" for v in peer["params"])
        ratio = peer["seconds"] / row["kizuna_s"]
        peer_cells = f"{peer['seconds']:.2f} | {row['peer_ll']:.2f} | {peer_params} | {ratio:.1f}x"
    else:
        peer_cells = f"{peer['error']} | - | - | -"
    return (
        f"| {row['data']} | {row['model']} | {row['customers']:,} | {row['kizuna_s']:.2f} | "
        f"{row['kizuna_ll']:.2f} | {params} | {peer_cells} |"
    )


def write_table(rows: list[dict[str, Any]], n_generated: int) -> None:
    header = (
        "| data | model | customers | Kizuna fit (s) | Kizuna LL | Kizuna params | "
        "lifetimes fit (s) | lifetimes LL | lifetimes params | speed-up |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        "# CLV fits: Kizuna vs lifetimes 0.11.3",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, shared and noisy "
        "(the lead re-runs on a quiet machine). Generated set: "
        f"{n_generated:,} customers simulated from the BG/NBD and Gamma-Gamma fitted on CDNOW.",
        "",
        "LL = log-likelihood, both computed with Kizuna's function at each side's parameters "
        "(lifetimes rescales time internally, so its own reported value is not comparable). "
        "Times are of `fit` alone; Kizuna merges identical (x, t_x, T) rows itself, lifetimes "
        "fits every row. lifetimes' Gamma-Gamma `v` is Kizuna's `gamma`; lifetimes' Pareto/NBD "
        "uses Nelder-Mead without gradients. lifetimes runs with OPENBLAS_NUM_THREADS=1 (faster "
        "for it on a busy machine); Kizuna's fit makes no BLAS calls. A capped run did not "
        "finish in the time shown. Pareto/NBD is timed on CDNOW only.",
        "",
        header + "\n".join(format_row(r) for r in rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
