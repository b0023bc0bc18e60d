"""How the loop performs: closed-loop rate, response and resolution times, SLA compliance,
backlog by department, and recovery of detractors.

Definitions (cases opened in the period, times in business hours on the workspace's
calendar):
- closed-loop rate: resolved or closed cases / cases opened;
- time to first response, time to resolve: median and mean business hours from opening;
- SLA compliance: share of cases whose first response and resolution (where due and done,
  or overdue while still open) met their deadlines;
- backlog: open cases per department now, with how many are past a deadline;
- recovery: detractor voices (NPS 0-6) whose case was closed, and the same customer's next
  NPS answer after the close: how many came back passive or promoter (7-10), and the mean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import mean, median
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.feedback.models import Feedback
from kizuna.loop.config import business_calendar
from kizuna.loop.models import OPEN_STATUSES, Case, Department

__all__ = ["LoopMetrics", "loop_metrics"]


@dataclass(frozen=True)
class LoopMetrics:
    start: dt.datetime
    end: dt.datetime
    opened: int
    closed_loop: int
    closed_loop_rate: float | None
    first_response_hours_median: float | None
    first_response_hours_mean: float | None
    resolve_hours_median: float | None
    resolve_hours_mean: float | None
    sla_checked: int
    sla_met: int
    sla_compliance: float | None
    backlog: list[dict[str, Any]]
    recovery_cases: int
    recovered: int
    recovery_rate: float | None
    recovery_next_nps_mean: float | None

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


def _hours(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(median(values), 2), round(mean(values), 2)


def loop_metrics(
    session: Session,
    workspace: Workspace,
    *,
    days: int = 90,
    now: dt.datetime | None = None,
) -> LoopMetrics:
    now = now or utcnow()
    start = now - dt.timedelta(days=days)
    calendar = business_calendar(session, workspace)
    cases = list(
        session.scalars(
            select(Case).where(
                Case.workspace_id == workspace.id, Case.opened_at >= start, Case.opened_at <= now
            )
        )
    )
    done = [c for c in cases if c.status in ("resolved", "closed")]
    first = [
        calendar.between(c.opened_at, c.first_responded_at).total_seconds() / 3600
        for c in cases
        if c.first_responded_at is not None
    ]
    resolve = [
        calendar.between(c.opened_at, c.resolved_at).total_seconds() / 3600
        for c in cases
        if c.resolved_at is not None
    ]
    checked = met = 0
    for c in cases:
        for due, at in (
            (c.first_response_due, c.first_responded_at),
            (c.resolution_due, c.resolved_at),
        ):
            if due is None:
                continue
            if at is not None:
                checked += 1
                met += at <= due
            elif due < now and c.paused_at is None and c.status in OPEN_STATUSES:
                checked += 1
    names: dict[int, str] = {
        dep_id: name
        for dep_id, name in session.execute(
            select(Department.id, Department.name).where(Department.workspace_id == workspace.id)
        )
    }
    backlog_rows = session.execute(
        select(
            Case.department_id,
            func.count(),
            func.sum(
                sql_case(
                    (
                        (Case.first_responded_at.is_(None) & (Case.first_response_due < now))
                        | (
                            Case.resolved_at.is_(None)
                            & Case.paused_at.is_(None)
                            & (Case.resolution_due < now)
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(Case.workspace_id == workspace.id, Case.status.in_(OPEN_STATUSES))
        .group_by(Case.department_id)
    ).all()
    backlog = sorted(
        (
            {
                "department_id": dep,
                "department": names.get(dep) if dep is not None else None,
                "open": int(n),
                "overdue": int(overdue or 0),
            }
            for dep, n, overdue in backlog_rows
        ),
        key=lambda row: -row["open"],
    )
    recovery_cases, recovered, next_scores = _recovery(session, workspace, start, now)
    first_median, first_mean = _hours(first)
    resolve_median, resolve_mean = _hours(resolve)
    return LoopMetrics(
        start=start,
        end=now,
        opened=len(cases),
        closed_loop=len(done),
        closed_loop_rate=round(len(done) / len(cases), 3) if cases else None,
        first_response_hours_median=first_median,
        first_response_hours_mean=first_mean,
        resolve_hours_median=resolve_median,
        resolve_hours_mean=resolve_mean,
        sla_checked=checked,
        sla_met=met,
        sla_compliance=round(met / checked, 3) if checked else None,
        backlog=backlog,
        recovery_cases=recovery_cases,
        recovered=recovered,
        recovery_rate=round(recovered / recovery_cases, 3) if recovery_cases else None,
        recovery_next_nps_mean=round(mean(next_scores), 2) if next_scores else None,
    )


def _recovery(
    session: Session, workspace: Workspace, start: dt.datetime, now: dt.datetime
) -> tuple[int, int, list[float]]:
    rows = session.execute(
        select(Case.closed_at, Case.customer_id)
        .join(Feedback, Feedback.id == Case.feedback_id)
        .where(
            Case.workspace_id == workspace.id,
            Case.status == "closed",
            Case.closed_at >= start,
            Case.customer_id.is_not(None),
            Feedback.nps <= 6,
        )
    ).all()
    counted = recovered = 0
    scores: list[float] = []
    for closed_at, customer_id in rows:
        person = session.scalar(
            select(func.coalesce(Customer.merged_into_id, Customer.id)).where(
                Customer.id == customer_id
            )
        )
        group = select(Customer.id).where(
            Customer.workspace_id == workspace.id,
            func.coalesce(Customer.merged_into_id, Customer.id) == person,
        )
        following = session.scalar(
            select(Feedback.nps)
            .where(
                Feedback.workspace_id == workspace.id,
                Feedback.customer_id.in_(group),
                Feedback.nps.is_not(None),
                Feedback.received_at > closed_at,
                Feedback.received_at <= now,
            )
            .order_by(Feedback.received_at)
            .limit(1)
        )
        if following is None:
            continue
        counted += 1
        recovered += following >= 7
        scores.append(float(following))
    return counted, recovered, scores
