"""Scores of a small demo: CLV, P(alive), churn risk stored per customer; lifecycle fed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.customers.scores import ScoreReport, default_as_of, score_customers
from kizuna.demo.build import build_demo


@dataclass
class Scored:
    workspace: Workspace
    report: ScoreReport
    rows: list[CustomerScore]


@pytest.fixture(scope="module")
def scored(kz: Kizuna) -> Iterator[Scored]:
    slug = f"score-{uuid.uuid4().hex[:8]}"
    build_demo(kz, slug=slug, customers=400, interactions=8000, feedback=1500)
    with kz.session() as session:
        workspace = kz.workspace(session, slug)
    steps: list[str] = []
    report = score_customers(kz, workspace, progress=lambda name, done, total: steps.append(name))
    assert steps[0] == "load" and steps[-1] == "store"
    with kz.session() as session:
        rows = list(
            session.scalars(select(CustomerScore).where(CustomerScore.workspace_id == workspace.id))
        )
    yield Scored(workspace, report, rows)


def test_every_surviving_customer_gets_one_score_row(kz: Kizuna, scored: Scored) -> None:
    with kz.session() as session:
        survivors = session.scalar(
            select(func.count()).where(
                Customer.workspace_id == scored.workspace.id, Customer.merged_into_id.is_(None)
            )
        )
    assert scored.report.customers == survivors == len(scored.rows)
    assert len({r.customer_id for r in scored.rows}) == len(scored.rows)
    assert 0 < scored.report.buyers < scored.report.customers


def test_scores_default_to_the_day_after_the_latest_interaction(kz: Kizuna, scored: Scored) -> None:
    with kz.session() as session:
        last = session.scalar(
            select(func.max(Interaction.occurred_on)).where(
                Interaction.workspace_id == scored.workspace.id
            )
        )
        assert default_as_of(session, scored.workspace) == last + dt.timedelta(days=1)
    assert scored.report.as_of == last + dt.timedelta(days=1)
    assert {r.as_of for r in scored.rows} == {scored.report.as_of}


def test_predictions_are_in_plausible_ranges(scored: Scored) -> None:
    buyers = [r for r in scored.rows if r.tenure_days is not None]
    assert len(buyers) == scored.report.buyers
    for r in buyers:
        assert r.p_alive is not None and 0 <= r.p_alive <= 1
        assert r.clv_12m is not None and r.clv_12m >= 0
        assert r.expected_purchases_90d is not None and r.expected_purchases_90d >= 0
        assert r.churn_probability is not None and 0 < r.churn_probability < 1
        assert 1 <= len(r.churn_factors) <= 3
        assert {"feature", "value", "effect"} <= set(r.churn_factors[0])
        assert r.recency_days is not None and 0 <= r.recency_days <= r.tenure_days
    never_bought = [r for r in scored.rows if r.tenure_days is None]
    assert never_bought, "the demo has prospects"
    assert all(r.clv_12m is None and r.clv_percentile is None for r in never_bought)
    assert all(r.churn_probability is None for r in never_bought)


def test_clv_percentile_follows_clv(scored: Scored) -> None:
    valued = sorted(
        (r for r in scored.rows if r.clv_12m is not None), key=lambda r: (r.clv_12m, r.id)
    )
    percentiles = [r.clv_percentile for r in valued]
    assert all(p is not None and 0 < p <= 100 for p in percentiles)
    assert percentiles == sorted(percentiles)  # type: ignore[type-var]
    assert percentiles[-1] == 100
    top = sum(1 for p in percentiles if p is not None and p > 90)
    assert top <= 0.1 * len(valued) + 1


def test_churn_model_is_trained_on_time_and_evaluated_later(scored: Scored) -> None:
    report = scored.report
    assert report.churn_train_rows > 100
    assert report.churn_auc_holdout is not None
    # The demo's customers drift apart by spend and loyalty: better than a coin on later data.
    assert 0.6 < report.churn_auc_holdout <= 1.0
    assert set(report.bgnbd_params) == {"r", "alpha", "a", "b"}
    assert report.gamma_gamma_params is not None and set(report.gamma_gamma_params) == {
        "p",
        "q",
        "gamma",
    }


def test_frequent_recent_buyers_are_more_alive_than_long_gone_ones(scored: Scored) -> None:
    buyers = [r for r in scored.rows if r.frequency >= 1 and r.recency_days is not None]
    recent = [r.p_alive for r in buyers if r.recency_days <= 30 and r.frequency >= 3]
    gone = [r.p_alive for r in buyers if r.recency_days >= 300]
    assert recent and gone
    assert sum(recent) / len(recent) > sum(gone) / len(gone)  # type: ignore[arg-type]


def test_scoring_stages_the_lifecycle_and_replaces_old_rows(kz: Kizuna, scored: Scored) -> None:
    with kz.session() as session:
        staged = session.scalar(
            select(func.count()).where(
                Customer.workspace_id == scored.workspace.id,
                Customer.lifecycle_stage.is_not(None),
            )
        )
    assert staged == scored.report.customers
    again = score_customers(kz, scored.workspace, as_of=scored.report.as_of)
    with kz.session() as session:
        count = session.scalar(
            select(func.count()).where(CustomerScore.workspace_id == scored.workspace.id)
        )
    assert count == again.customers == scored.report.customers


def test_scoring_one_workspace_leaves_another_alone(
    kz: Kizuna, scored: Scored, make_workspace
) -> None:  # type: ignore[no-untyped-def]
    other = make_workspace()
    report = score_customers(kz, other.workspace)
    assert report.customers == 0 and report.bgnbd_params == {}
    with kz.session() as session:
        mine = session.scalar(
            select(func.count()).where(CustomerScore.workspace_id == scored.workspace.id)
        )
    assert mine == scored.report.customers


def test_score_actions_and_profile_commands(
    monkeypatch: pytest.MonkeyPatch, settings, scored: Scored
) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from kizuna.cli import app

    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    cli = CliRunner()
    slug = scored.workspace.slug
    result = cli.invoke(app, ["customers", "score", "--workspace", slug])
    assert result.exit_code == 0, result.output
    assert f"{scored.report.customers:,}" in result.output and "churn AUC" in result.output
    result = cli.invoke(app, ["customers", "actions", "--workspace", slug, "--limit", "3"])
    assert result.exit_code == 0, result.output
    valued = max((r for r in scored.rows if r.clv_12m is not None), key=lambda r: r.clv_12m or 0)
    result = cli.invoke(app, ["customers", "profile", "--workspace", slug, str(valued.customer_id)])
    assert result.exit_code == 0, result.output
    assert "CLV 12m" in result.output and "percentile 100" in result.output
