"""Response volume and rate of the dashboard's period.

Volume is the voices of the period that pass the filter (from the rollups, the figure the
volume widget shows). The rate needs to know who was asked: survey invitations (surveys
room, `survey_invitation`) sent in the period, and how many of those were completed, with a
95% Wilson interval (Wilson 1927). Invitations carry a survey, a language and a customer,
so the survey, language, segment and persona filters narrow them; the other filters describe
voices, not invitations, and leave them whole (the page says so). Days are the workspace's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.intervals import wilson_interval
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_cache import cached, rollup_version
from kizuna.reports.dashboard_segment import group_customers

__all__ = ["INVITATION_FILTERS", "ResponseRate", "response_rate"]

INVITATION_FILTERS = ("survey", "language", "segment", "persona")


@dataclass(frozen=True)
class ResponseRate:
    voices: int
    sent: int
    completed: int
    ci_low: float | None = None
    ci_high: float | None = None
    ignored: tuple[str, ...] = ()  # filters given that invitations do not carry

    @property
    def rate(self) -> float | None:
        return 100.0 * self.completed / self.sent if self.sent else None


def _bounds(workspace: Workspace, chosen: DashboardFilter) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(workspace.timezone)
    first = dt.datetime.combine(chosen.start, dt.time(), tzinfo=zone)
    last = dt.datetime.combine(chosen.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return first.astimezone(dt.UTC), last.astimezone(dt.UTC)


def _count_invitations(
    session: Session, workspace: Workspace, chosen: DashboardFilter
) -> tuple[int, int]:
    from kizuna.surveys.models import SurveyInvitation as Invitation

    first, last = _bounds(workspace, chosen)
    conditions = [
        Invitation.workspace_id == workspace.id,
        Invitation.sent_at.is_not(None),
        Invitation.sent_at >= first,
        Invitation.sent_at < last,
    ]
    if chosen.survey is not None:
        if not chosen.survey.isdigit():
            return 0, 0  # a survey template name: no invitation carries it
        conditions.append(Invitation.survey_id == int(chosen.survey))
    if chosen.language is not None:
        conditions.append(Invitation.language == chosen.language)
    completed = func.count(Invitation.completed_at)
    members = group_customers(session, chosen=chosen, workspace_id=workspace.id)
    if members is None:
        sent, done = session.execute(select(func.count(), completed).where(*conditions)).one()
        return int(sent or 0), int(done or 0)
    query = (
        select(Invitation.customer_id, func.count(), completed)
        .where(*conditions, Invitation.customer_id.is_not(None))
        .group_by(Invitation.customer_id)
    )
    rows: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(query)]
    kept = [(int(n), int(d)) for c, n, d in rows if int(c) in members]
    return sum(n for n, _ in kept), sum(d for _, d in kept)


def response_rate(
    session: Session, workspace: Workspace, chosen: DashboardFilter, voices: int
) -> ResponseRate:
    """Voices of the period, invitations sent in it and the share completed."""
    version = rollup_version(session, workspace.id)

    def count() -> tuple[int, int]:
        return _count_invitations(session, workspace, chosen)

    sent, completed = cached(("invitations", workspace.id, chosen, version), count)
    ignored = tuple(n for n in chosen.filters() if n not in INVITATION_FILTERS)
    if not sent:
        return ResponseRate(voices, 0, 0, ignored=ignored)
    low, high = wilson_interval(completed, sent)
    return ResponseRate(
        voices, sent, completed, float(low) * 100.0, float(high) * 100.0, ignored=ignored
    )
