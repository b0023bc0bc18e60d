"""The weekly summary e-mail: last week's NPS, CSAT and CES with intervals and change, the
volume of voices, and the voices worth reading (the most delighted, the angriest).

    subscribe(session, workspace, "manager@example.jp", language="ja", actor=...)
    weekly_summary(kz, workspace, week_start)      # the figures, for any Monday
    send_weekly_reports(kz, workspace, now=...)    # what the Monday 08:00 schedule runs

The week is the last whole week, Monday to Sunday in the workspace's time zone, before
`now`. Its figures are `compute_metric`'s for those seven days, so the e-mail says what
`kizuna metrics --from --to` and the API say. Each address gets one message a week: the mail
key names the workspace, the week and the address, so a retried or doubled job sends
nothing twice. A week without a single voice sends nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.metrics import Metric
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, job_handler
from kizuna.mail.addresses import clean_address
from kizuna.reports.models import ReportSubscription

__all__ = [
    "MetricLine",
    "WeeklyReport",
    "WeeklySummary",
    "list_subscriptions",
    "send_weekly_reports",
    "subscribe",
    "unsubscribe",
    "week_of",
    "weekly_summary",
]

LANGUAGES = ("ja", "en")
METRICS: tuple[Metric, ...] = ("nps", "csat", "ces")
NOTABLE = 3
QUOTE_CHARS = 200


class WeeklyReport(JobPayload):
    """E-mail the workspace's weekly summary to its subscribers."""

    kind: ClassVar[str] = "reports.weekly"


@dataclass(frozen=True)
class MetricLine:
    """One metric over the week: value with its 95% interval, and the change on the week
    before (None when either week has no answers)."""

    metric: str
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    change: float | None


@dataclass
class WeeklySummary:
    workspace: Workspace
    start: dt.date
    end: dt.date
    voices: int = 0
    voices_before: int = 0
    metrics: list[MetricLine] = field(default_factory=list)
    delighted: list[str] = field(default_factory=list)
    angriest: list[str] = field(default_factory=list)


def week_of(now: dt.datetime, timezone: str) -> dt.date:
    """The Monday of the last whole week before `now`, in the time zone."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def subscribe(
    session: Session, workspace: Workspace, email: str, *, language: str = "ja", actor: str
) -> ReportSubscription:
    """Add an address (or change its language); the stored subscription."""
    if language not in LANGUAGES:
        raise InvalidInput(
            f"language must be ja or en (got {language!r}).",
            f"language は ja か en にしてください(指定 {language!r})。",
        )
    address = clean_address(email)
    found = session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.workspace_id == workspace.id, ReportSubscription.email == address
        )
    )
    if found is None:
        found = ReportSubscription(
            workspace_id=workspace.id, email=address, language=language, created_by=actor
        )
        session.add(found)
    found.language = language
    session.flush()
    record_audit(session, workspace, actor, "reports.subscribe", f"report_subscription:{found.id}")
    return found


def unsubscribe(session: Session, workspace: Workspace, email: str, *, actor: str) -> None:
    address = clean_address(email)
    found = session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.workspace_id == workspace.id, ReportSubscription.email == address
        )
    )
    if found is None:
        raise NotFound(
            f"{address} does not receive the weekly summary of {workspace.slug}.",
            f"{address} は {workspace.slug} の週次サマリーを受け取っていません。",
        )
    record_audit(
        session, workspace, actor, "reports.unsubscribe", f"report_subscription:{found.id}"
    )
    session.delete(found)


def list_subscriptions(session: Session, workspace: Workspace) -> list[ReportSubscription]:
    return list(
        session.scalars(
            select(ReportSubscription)
            .where(ReportSubscription.workspace_id == workspace.id)
            .order_by(ReportSubscription.email)
        )
    )


def weekly_summary(kz: Kizuna, workspace: Workspace, start: dt.date) -> WeeklySummary:
    """The figures of the seven days from `start` (a Monday), against the seven before."""
    from kizuna.reports.service import compute_metric

    end = start + dt.timedelta(days=6)
    before = start - dt.timedelta(days=7)
    summary = WeeklySummary(workspace=workspace, start=start, end=end)
    for metric in METRICS:
        now = compute_metric(kz, workspace, metric, start=start, end=end).to_records()
        then = compute_metric(kz, workspace, metric, start=before, end=start - dt.timedelta(1))
        last = then.to_records()
        row = now[0] if now else {}
        value, previous = row.get("value"), (last[0] if last else {}).get("value")
        summary.metrics.append(
            MetricLine(
                metric=metric,
                n=int(row.get("n") or 0),
                value=value,
                ci_low=row.get("ci_low"),
                ci_high=row.get("ci_high"),
                change=None if value is None or previous is None else value - previous,
            )
        )
    with kz.session() as session:
        summary.voices = _count(session, workspace, start, end)
        summary.voices_before = _count(session, workspace, before, start - dt.timedelta(1))
        summary.delighted = _quotes(
            session, workspace, start, end, FeedbackAnalysis.delight.desc(), delighted=True
        )
        summary.angriest = _quotes(
            session, workspace, start, end, FeedbackAnalysis.sentiment_score.asc(), delighted=False
        )
    return summary


def _count(session: Session, workspace: Workspace, start: dt.date, end: dt.date) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Feedback.workspace_id == workspace.id,
                Feedback.received_on >= start,
                Feedback.received_on <= end,
            )
        )
        or 0
    )


def _quotes(
    session: Session,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    order: Any,
    *,
    delighted: bool,
) -> list[str]:
    query = (
        select(Feedback.text)
        .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
        .where(
            Feedback.workspace_id == workspace.id,
            FeedbackAnalysis.workspace_id == workspace.id,
            Feedback.received_on >= start,
            Feedback.received_on <= end,
            Feedback.text.is_not(None),
        )
        .order_by(order, Feedback.id)
        .limit(NOTABLE)
    )
    if delighted:
        query = query.where(FeedbackAnalysis.delight >= 0.5)
    else:
        query = query.where(FeedbackAnalysis.sentiment == "negative")
    return [_quote(text) for text in session.scalars(query) if text]


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "…"


def send_weekly_reports(kz: Kizuna, workspace: Workspace, now: dt.datetime | None = None) -> int:
    """Put last week's summary in the outbox for every subscriber; how many were queued."""
    from kizuna.mail.service import send_mail

    start = week_of(now or utcnow(), workspace.timezone)
    with kz.session() as session:
        subscribers = [(s.email, s.language) for s in list_subscriptions(session, workspace)]
    if not subscribers:
        return 0
    summary = weekly_summary(kz, workspace, start)
    if summary.voices == 0:
        return 0
    with kz.session() as session:
        for email, language in subscribers:
            send_mail(
                session,
                kz.settings,
                workspace_id=workspace.id,
                key=f"reports.weekly:{start.isoformat()}:{email}",
                to=email,
                template="weekly_report",
                context=_context(kz, summary),
                language=language,
                category="transactional",
            )
    return len(subscribers)


def _context(kz: Kizuna, summary: WeeklySummary) -> dict[str, Any]:
    names = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
    lines = []
    for line in summary.metrics:
        lines.append(
            {
                "name": names[line.metric],
                "n": line.n,
                "value": _number(line.value, line.metric),
                "interval": (
                    f"{_number(line.ci_low, line.metric)} – {_number(line.ci_high, line.metric)}"
                    if line.ci_low is not None and line.ci_high is not None
                    else ""
                ),
                "change": _signed(line.change, line.metric),
            }
        )
    return {
        "workspace": summary.workspace.name,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "voices": summary.voices,
        "voices_before": summary.voices_before,
        "metrics": lines,
        "delighted": summary.delighted,
        "angriest": summary.angriest,
        "dashboard_url": f"{kz.settings.public_url}/w/{summary.workspace.slug}/",
    }


def _number(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if metric == "ces" else f"{value:.1f}"


def _signed(value: float | None, metric: str) -> str:
    if value is None:
        return ""
    return f"{value:+.2f}" if metric == "ces" else f"{value:+.1f}"


@job_handler(WeeklyReport)
def run_weekly_report(kz: Kizuna, job: Job, payload: WeeklyReport) -> None:
    if job.workspace_id is None:
        return
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is None:
            return
        session.expunge(workspace)
    send_weekly_reports(kz, workspace, now=job.run_after)
