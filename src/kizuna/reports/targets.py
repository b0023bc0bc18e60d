"""Targets per metric: the value a workspace aims for, and how far the period is from it.

Analysts and admins set them (`set_target`, audited); everyone who sees the dashboard reads
them. Scales are the metrics' own: NPS in points (-100..100), CSAT in percent of 4-5 answers,
CES as the mean on 1-7; for all three higher is better.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.errors import InvalidInput
from kizuna.reports.models import DashboardTarget

__all__ = ["TARGET_RANGES", "TargetProgress", "list_targets", "progress_of", "set_target"]

TARGET_RANGES: dict[str, tuple[float, float]] = {
    "nps": (-100.0, 100.0),
    "csat": (0.0, 100.0),
    "ces": (1.0, 7.0),
}


@dataclass(frozen=True)
class TargetProgress:
    metric: str
    target: float
    value: float | None
    gap: float | None  # value - target; >= 0 means reached
    reached: bool | None
    progress: float | None  # 0..100, how much of the way from the scale's floor


def list_targets(session: Session, workspace: Workspace) -> dict[str, float]:
    rows = session.scalars(
        select(DashboardTarget).where(DashboardTarget.workspace_id == workspace.id)
    ).all()
    return {row.metric: float(row.target) for row in rows}


def set_target(
    session: Session, workspace: Workspace, metric: str, value: float | None, actor: str
) -> None:
    """Set (or with None, clear) the target of one metric."""
    if metric not in TARGET_RANGES:
        listed = ", ".join(TARGET_RANGES)
        raise InvalidInput(
            f"Targets exist for {listed}; '{metric}' is not one of them.",
            f"目標を設定できる指標は {listed} です。「{metric}」は設定できません。",
            metric=metric,
        )
    session.execute(
        delete(DashboardTarget).where(
            DashboardTarget.workspace_id == workspace.id, DashboardTarget.metric == metric
        )
    )
    if value is not None:
        low, high = TARGET_RANGES[metric]
        if not low <= value <= high:
            raise InvalidInput(
                f"A {metric.upper()} target is between {low:g} and {high:g}; enter a value in it.",
                f"{metric.upper()} の目標は {low:g} から {high:g} の間で入力してください。",
                metric=metric,
            )
        session.add(
            DashboardTarget(
                workspace_id=workspace.id, metric=metric, target=value, updated_by=actor
            )
        )
    session.flush()
    record_audit(
        session, workspace, actor=actor, action="dashboard.target", target=metric, value=value
    )


def progress_of(metric: str, target: float, value: float | None) -> TargetProgress:
    """How the period's value stands against the target."""
    if value is None:
        return TargetProgress(metric, target, None, None, None, None)
    low, _ = TARGET_RANGES[metric]
    span = target - low
    share = 100.0 if span <= 0 else max(0.0, min(100.0, 100.0 * (value - low) / span))
    return TargetProgress(metric, target, value, value - target, value >= target, share)
