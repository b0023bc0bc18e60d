"""Predictions per customer: lifetime value, P(alive), churn risk and its factors, stored.

`score_customers` reads a workspace's purchases, voices and support contacts once, fits
the models of `kizuna.analytics` and replaces every row of `customer_score`:

- Transactions are interactions of kind purchase or stay that carry an amount, per person
  (merged records count for their survivor); several on one day are one purchase
  (Fader, Hardie & Lee 2005). RFM is in weeks as of `as_of`.
- BG/NBD gives expected purchases in the next 90 days and P(alive); Gamma-Gamma (fitted on
  repeat buyers with a positive mean spend) gives spend per purchase; CLV is 12 months,
  discounted 1% a month (`estimate_clv`). Customers who never bought get no CLV.
- Churn means "no purchase in the next 180 days". The model is trained on features as of
  `as_of - 180` days, labelled by the 180 days that followed. Its quality is measured out of
  time: the same model trained one period earlier (cutoff `as_of - 360`) scores the
  `as_of - 180` customers, whose outcomes it never saw (`churn_auc_holdout`). The model then
  scores every buyer as of `as_of`, with its top 3 factors (`ChurnModel.explain`).
- `as_of` defaults to the day after the workspace's latest interaction (never after today):
  imported or demo data that ends in the past is scored as of its own end.
- P(alive) feeds the lifecycle stages, so "at-risk" uses predicted activity too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.churn import ChurnModel
from kizuna.analytics.clv import BetaGeoModel, GammaGammaModel, estimate_clv, rfm_summary
from kizuna.app import Kizuna
from kizuna.customers.bulk import column_frame, table_of
from kizuna.customers.events import ScoresChanged
from kizuna.customers.lifecycle import PURCHASE_KINDS, today_in, update_lifecycle
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.jobs.events import raise_event

__all__ = [
    "CHURN_FEATURES",
    "CHURN_HORIZON_DAYS",
    "MODEL_VERSION",
    "CustomerScore",
    "ScoreReport",
    "default_as_of",
    "score_customers",
]

MODEL_VERSION = "bgnbd-gg-churn-1"
CHURN_HORIZON_DAYS = 180
CHURN_FEATURES = (
    "recency_days",
    "frequency",
    "monetary_value",
    "tenure_days",
    "purchases_90d",
    "nps_last",
    "nps_trend",
    "sentiment_trend",
    "support_tickets_90d",
    "negative_feedback_90d",
)
_MIN_BUYERS = 20  # BG/NBD needs some customers to estimate four parameters
_MIN_REPEATERS = 10  # Gamma-Gamma: repeat buyers with a positive spend
_MIN_CLASS = 10  # churned and retained customers each, to train or evaluate churn
_CHUNK = 5_000

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScoreReport:
    """What one scoring run did (printed by `kizuna customers score`)."""

    customers: int
    buyers: int
    bgnbd_params: dict[str, float]
    gamma_gamma_params: dict[str, float] | None
    churn_auc_holdout: float | None
    churn_train_rows: int
    seconds: float
    as_of: dt.date | None = None
    churn_rate: float | None = None  # share of training customers who churned


@dataclass
class _Activity:
    customers: list[int]
    purchases: pd.DataFrame  # person, day, amount (NaN: no amount)
    tickets: pd.DataFrame  # person, day
    voices: pd.DataFrame  # person, id, day, nps, sentiment, sentiment_score


def default_as_of(session: Session, workspace: Workspace) -> dt.date:
    """The day after the latest interaction, or today (workspace zone) if that is earlier."""
    last = session.scalar(
        select(func.max(Interaction.occurred_on)).where(Interaction.workspace_id == workspace.id)
    )
    today = today_in(workspace)
    return today if last is None else min(today, last + dt.timedelta(days=1))


def score_customers(
    kz: Kizuna,
    workspace: Workspace,
    *,
    as_of: dt.date | None = None,
    progress: ProgressFn | None = None,
    actor: str = "system",
) -> ScoreReport:
    """Fit CLV and churn models on the workspace's data and store every customer's scores.

    Audited, and raises `ScoresChanged` in the transaction that stores the scores."""
    started = time.perf_counter()

    def step(name: str, done: int) -> None:
        if progress is not None:
            progress(name, done, 4)

    step("load", 0)
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        as_of = as_of or default_as_of(session, ws)
        activity = _load_activity(session, ws, as_of)
    step("clv", 1)
    now = _features(activity, as_of)
    clv, bg_params, gg_params = _fit_clv(activity.purchases, as_of)
    step("churn", 2)
    churn = _fit_churn(activity, as_of)
    step("store", 3)
    table = _score_table(activity.customers, now, clv, churn.scores, as_of)
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        _store_scores(session, ws, table)
        alive = table.dropna(subset=["p_alive"])
        update_lifecycle(
            session, ws, as_of, p_alive=dict(zip(alive.index, alive["p_alive"], strict=True))
        )
        customers = len(activity.customers)
        raise_event(session, ScoresChanged(workspace_id=ws.id, as_of=as_of, customers=customers))
        record_audit(session, ws, actor, "customers.score", as_of=as_of.isoformat())
    step("store", 4)
    return ScoreReport(
        customers=len(activity.customers),
        buyers=len(now),
        bgnbd_params=bg_params,
        gamma_gamma_params=gg_params,
        churn_auc_holdout=churn.auc,
        churn_train_rows=churn.train_rows,
        seconds=time.perf_counter() - started,
        as_of=as_of,
        churn_rate=churn.rate,
    )


def _load_activity(session: Session, workspace: Workspace, as_of: dt.date) -> _Activity:
    person = func.coalesce(Customer.merged_into_id, Customer.id)
    ws_id = workspace.id
    customers = session.scalars(
        select(Customer.id).where(Customer.workspace_id == ws_id, Customer.merged_into_id.is_(None))
    ).all()
    interactions = (
        select(person, Interaction.occurred_on, Interaction.amount, Interaction.kind)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Interaction.workspace_id == ws_id, Interaction.occurred_on <= as_of)
        .where(Interaction.kind.in_((*PURCHASE_KINDS, "support_ticket")))
    )
    rows = column_frame(session.execute(interactions).all(), ["person", "day", "amount", "kind"])
    rows["day"] = pd.to_datetime(rows["day"])
    rows["amount"] = pd.to_numeric(rows["amount"], errors="coerce")
    is_ticket = rows["kind"] == "support_ticket"
    voices_query = (
        select(person, Feedback.id, Feedback.received_on, Feedback.nps)
        .join(Customer, Customer.id == Feedback.customer_id)
        .where(Feedback.workspace_id == ws_id, Feedback.received_on <= as_of)
        .where(Feedback.source != "employee")
    )
    voices = column_frame(
        session.execute(voices_query).all(), ["person", "id", "day", "nps"]
    ).astype({"nps": "float64"})
    voices["day"] = pd.to_datetime(voices["day"])
    analysis = column_frame(
        session.execute(
            select(
                FeedbackAnalysis.id,
                FeedbackAnalysis.feedback_id,
                FeedbackAnalysis.sentiment,
                FeedbackAnalysis.sentiment_score,
            ).where(FeedbackAnalysis.workspace_id == ws_id)
        ).all(),
        ["analysis_id", "id", "sentiment", "sentiment_score"],
    )
    # The latest analysis of each voice (a re-analysis with a newer engine wins).
    analysis = analysis.sort_values("analysis_id").drop_duplicates("id", keep="last")
    voices = voices.merge(analysis.drop(columns="analysis_id"), on="id", how="left")
    voices["sentiment_score"] = pd.to_numeric(voices["sentiment_score"], errors="coerce")
    return _Activity(
        customers=[int(c) for c in customers],
        purchases=rows.loc[~is_ticket, ["person", "day", "amount"]].reset_index(drop=True),
        tickets=rows.loc[is_ticket, ["person", "day"]].reset_index(drop=True),
        voices=voices,
    )


def _features(activity: _Activity, day: dt.date) -> pd.DataFrame:
    """Churn features of every person with a purchase on or before `day`, as of `day`."""
    end = pd.Timestamp(day)
    bought = activity.purchases[activity.purchases["day"] <= end]
    daily = bought.groupby(["person", "day"])["amount"].sum(min_count=1).reset_index()
    by = daily.groupby("person")
    first, last, days = by["day"].min(), by["day"].max(), by["day"].size()
    recent = daily[daily["day"] > end - pd.Timedelta(days=90)].groupby("person").size()
    out = pd.DataFrame(
        {
            "recency_days": (end - last).dt.days.astype("float64"),
            "frequency": (days - 1).astype("float64"),
            "monetary_value": by["amount"].mean(),
            "tenure_days": (end - first).dt.days.astype("float64"),
            "purchases_90d": recent.reindex(last.index, fill_value=0).astype("float64"),
        }
    )
    voices = activity.voices[activity.voices["day"] <= end].sort_values(["day", "id"])
    answered = voices.dropna(subset=["nps"]).groupby("person")["nps"]
    nps_last = answered.last()
    # Trend: the last answer against the mean of the earlier ones (NaN with one answer).
    earlier = (answered.size() - 1).astype("float64")
    earlier_mean = (answered.sum() - nps_last) / earlier.where(earlier > 0)
    scored = voices.dropna(subset=["sentiment_score"])
    half = end - pd.Timedelta(days=CHURN_HORIZON_DAYS)
    newer = scored[scored["day"] > half].groupby("person")["sentiment_score"].mean()
    older = scored[scored["day"] <= half].groupby("person")["sentiment_score"].mean()
    window = voices["day"] > end - pd.Timedelta(days=90)
    complaint = (voices["sentiment"] == "negative") | (voices["nps"] <= 6)
    tickets = activity.tickets
    in_window = (tickets["day"] <= end) & (tickets["day"] > end - pd.Timedelta(days=90))
    out["nps_last"] = nps_last
    out["nps_trend"] = nps_last - earlier_mean
    # Recent tone against earlier tone: mean sentiment of the last 180 days minus before.
    out["sentiment_trend"] = newer - older
    counts = {
        "support_tickets_90d": tickets[in_window].groupby("person").size(),
        "negative_feedback_90d": voices[window & complaint].groupby("person").size(),
    }
    for name, series in counts.items():
        out[name] = series.reindex(out.index, fill_value=0).astype("float64")
    out.index = out.index.astype(np.int64)
    return out


def _fit_clv(
    purchases: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, dict[str, float], dict[str, float] | None]:
    """Per buyer: expected_purchases_90d, p_alive, clv_12m (NaN where no model could say)."""
    priced = purchases.dropna(subset=["amount"])
    columns = ["expected_purchases_90d", "p_alive", "clv_12m"]
    if priced["person"].nunique() < _MIN_BUYERS:
        return pd.DataFrame(columns=columns, dtype="float64"), {}, None
    rfm = rfm_summary(priced, "person", "day", "amount", observation_end=as_of, freq="W")
    x, t_x, t_end = rfm["frequency"], rfm["recency"], rfm["T"]
    bg = BetaGeoModel().fit(x, t_x, t_end)
    out = pd.DataFrame(index=rfm.index.astype(np.int64), columns=columns, dtype="float64")
    out["expected_purchases_90d"] = bg.conditional_expected_number_of_purchases_up_to_time(
        90 / 7, x, t_x, t_end
    )
    out["p_alive"] = bg.conditional_probability_alive(x, t_x, t_end)
    repeat = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    if len(repeat) < _MIN_REPEATERS:
        return out, bg.params_, None
    gg = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    value = estimate_clv(bg, gg, rfm, horizon_months=12, monthly_discount_rate=0.01, freq="W")
    out["clv_12m"] = np.clip(value["clv"].to_numpy(), 0.0, None)
    return out, bg.params_, gg.params_


@dataclass
class _Churn:
    scores: pd.DataFrame  # churn_probability, churn_factors per person
    auc: float | None
    train_rows: int
    rate: float | None


def _labelled(activity: _Activity, cutoff: dt.date) -> tuple[pd.DataFrame, np.ndarray]:
    """Features as of `cutoff`, label 1 when no purchase followed within the horizon."""
    features = _features(activity, cutoff)
    start = pd.Timestamp(cutoff)
    end = start + pd.Timedelta(days=CHURN_HORIZON_DAYS)
    days = activity.purchases["day"]
    came_back = activity.purchases.loc[(days > start) & (days <= end), "person"].unique()
    churned = (~features.index.isin(came_back)).astype(np.int64)
    return features[list(CHURN_FEATURES)], churned


def _usable(labels: np.ndarray) -> bool:
    return bool(len(labels) and min(labels.sum(), len(labels) - labels.sum()) >= _MIN_CLASS)


def _churn_model(rows: int) -> ChurnModel:
    # Leaves of 40 suit thousands of customers; a small shop's few hundred would get one
    # leaf and the same score for everyone, so the leaf shrinks with the data (>= 5).
    return ChurnModel(n_threads=1, min_samples_leaf=max(5, min(40, rows // 25)))


def _fit_churn(activity: _Activity, as_of: dt.date) -> _Churn:
    horizon = dt.timedelta(days=CHURN_HORIZON_DAYS)
    empty = pd.DataFrame(columns=["churn_probability", "churn_factors"])
    train_x, train_y = _labelled(activity, as_of - horizon)
    if not _usable(train_y):
        return _Churn(empty, None, 0, None)
    # A feature with fewer than two known values (no NPS asked, no text analysed) says
    # nothing and cannot be binned: leave it out of every model of this run.
    used = [c for c in CHURN_FEATURES if train_x[c].nunique(dropna=True) >= 2]
    auc = None
    early_x, early_y = _labelled(activity, as_of - 2 * horizon)
    if _usable(early_y) and all(early_x[c].nunique(dropna=True) >= 2 for c in used):
        early = _churn_model(len(early_y)).fit(early_x[used], early_y)
        auc = early.evaluate(train_x[used], train_y).roc_auc
    model = _churn_model(len(train_y)).fit(train_x[used], train_y)
    current = _features(activity, as_of)[used]
    if current.empty:
        return _Churn(empty, auc, len(train_y), float(train_y.mean()))
    factors = model.explain(current, top_n=3)
    grouped: dict[int, list[dict[str, Any]]] = {}
    probability: dict[int, float] = {}
    for customer, feature, value, effect, score in zip(
        factors["customer"].tolist(),
        factors["feature"].tolist(),
        factors["value"].tolist(),
        factors["effect"].tolist(),
        factors["churn_probability"].tolist(),
        strict=True,
    ):
        shown = None if value is None or pd.isna(value) else round(float(value), 3)
        grouped.setdefault(int(customer), []).append(
            {"feature": feature, "value": shown, "effect": round(float(effect), 4)}
        )
        probability[int(customer)] = float(score)
    scores = pd.DataFrame(
        {"churn_probability": pd.Series(probability), "churn_factors": pd.Series(grouped)}
    )
    return _Churn(scores, auc, len(train_y), float(train_y.mean()))


def _score_table(
    customers: list[int],
    features: pd.DataFrame,
    clv: pd.DataFrame,
    churn: pd.DataFrame,
    as_of: dt.date,
) -> pd.DataFrame:
    table = pd.DataFrame(index=pd.Index(customers, dtype=np.int64, name="customer_id"))
    table = table.join(features).join(clv).join(churn)
    valued = table["clv_12m"].dropna()
    # Share of valued customers whose CLV is at most this one's, in percent.
    table["clv_percentile"] = (valued.rank(pct=True, method="max") * 100).reindex(table.index)
    table["as_of"] = as_of
    return table


def _store_scores(session: Session, workspace: Workspace, table: pd.DataFrame) -> None:
    session.execute(delete(CustomerScore).where(CustomerScore.workspace_id == workspace.id))
    computed_at = utcnow()

    def number(value: Any, digits: int = 6) -> float | None:
        return None if value is None or pd.isna(value) else round(float(value), digits)

    def whole(value: Any) -> int | None:
        return None if value is None or pd.isna(value) else int(value)

    rows = [
        {
            "workspace_id": workspace.id,
            "customer_id": int(cid),
            "as_of": r["as_of"],
            "computed_at": computed_at,
            "frequency": whole(r["frequency"]) or 0,
            "recency_days": whole(r["recency_days"]),
            "tenure_days": whole(r["tenure_days"]),
            "monetary_value": number(r["monetary_value"], 2),
            "expected_purchases_90d": number(r["expected_purchases_90d"]),
            "p_alive": number(r["p_alive"]),
            "clv_12m": number(r["clv_12m"], 2),
            "clv_percentile": number(r["clv_percentile"], 3),
            "churn_probability": number(r["churn_probability"]),
            "churn_factors": r["churn_factors"] if isinstance(r["churn_factors"], list) else [],
            "nps_last": whole(r["nps_last"]),
            "sentiment_trend": number(r["sentiment_trend"], 4),
            "model_version": MODEL_VERSION,
        }
        for cid, r in zip(table.index.tolist(), table.to_dict("records"), strict=True)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table_of(CustomerScore)), rows[start : start + _CHUNK])
