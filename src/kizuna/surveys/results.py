"""A survey's results: how far invitations got, what people answered, what they wrote.

- The funnel per channel: e-mail and personal links count invitations sent, delivered (the
  SMTP server took the e-mail), opened (the link was followed), started and completed;
  public links, QR codes and the widget count views, started and completed. The response
  rate is completed / sent, or completed / views where nobody was invited.
- The median time to complete.
- Each question's distribution (every answer given, completed or partial), with the mean
  of scores; NPS, CSAT and CES with 95% intervals by the house's formulas
  (`kizuna.analytics.intervals`: adjusted Wald for NPS, Wilson for CSAT's top-2-box, Student
  t for CES's mean). Beside NPS the full 0-10 distribution with top-box (10) and top-2-box
  (9-10): Japanese respondents avoid the ends of a scale, so NPS alone reads low.
- The latest comments with their analysis (sentiment, topics) from the text engine.

Questions are those of the current version; answers to questions an edit removed are kept
under "earlier versions" (their text from the version that asked them).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.analytics.intervals import nps_interval, t_interval, wilson_interval
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.mail.models import MailMessage
from kizuna.surveys.definition import Definition, Question
from kizuna.surveys.logic import answer_text, nps_group
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyResponse, SurveyView
from kizuna.surveys.service import definition_of, survey_versions

__all__ = [
    "ChannelFunnel",
    "Comment",
    "QuestionResult",
    "ScoreSummary",
    "SurveyResults",
    "results_to_dict",
    "survey_results",
]

PERSONAL_CHANNELS = ("email", "personal")
PUBLIC_CHANNELS = ("link", "qr", "widget", "api")


@dataclass
class ChannelFunnel:
    """One channel's steps; `invited` is None for public channels (they count `views`)."""

    channel: str
    invited: int | None = None
    delivered: int | None = None
    opened: int = 0
    started: int = 0
    completed: int = 0

    @property
    def rate(self) -> float | None:
        base = self.invited if self.invited is not None else self.opened
        return self.completed / base if base else None


@dataclass
class ScoreSummary:
    """NPS (-100..100), CSAT (% of 4-5) or CES (mean 1-7) with its 95% interval."""

    metric: str
    n: int
    value: float | None
    low: float | None
    high: float | None
    top_box: float | None = None
    top2_box: float | None = None
    promoters: float | None = None
    passives: float | None = None
    detractors: float | None = None
    share_easy: float | None = None


@dataclass
class QuestionResult:
    """One question's answers: counts per value (in scale or option order)."""

    question: Question
    n: int
    counts: list[tuple[str, str, int]]  # (value, label, count)
    mean: float | None = None
    score: ScoreSummary | None = None
    earlier: bool = False

    def share(self, count: int) -> float:
        return count / self.n if self.n else 0.0


@dataclass
class Comment:
    response_id: int
    question_id: str
    text: str
    group: str | None
    sentiment: str | None
    topics: list[str]
    completed: bool


@dataclass
class SurveyResults:
    survey: Survey
    definition: Definition
    funnel: list[ChannelFunnel]
    completed: int
    partial: int
    median_seconds: float | None
    questions: list[QuestionResult]
    comments: list[Comment]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def totals(self) -> ChannelFunnel:
        total = ChannelFunnel("all", invited=0, delivered=0)
        for row in self.funnel:
            total.invited = (total.invited or 0) + (row.invited or 0)
            total.delivered = (total.delivered or 0) + (row.delivered or 0)
            total.opened += row.opened
            total.started += row.started
            total.completed += row.completed
        return total

    def scores(self) -> list[ScoreSummary]:
        return [q.score for q in self.questions if q.score is not None and not q.earlier]


def survey_results(
    session: Session, survey: Survey, language: str = "ja", comments: int = 50
) -> SurveyResults:
    """Everything the results page and the API show for one survey."""
    definition = definition_of(survey)
    rows: list[Any] = list(
        session.execute(
            select(
                SurveyResponse.id,
                SurveyResponse.version,
                SurveyResponse.state,
                SurveyResponse.channel,
                SurveyResponse.answers,
                SurveyResponse.seconds,
                SurveyResponse.feedback_id,
            ).where(SurveyResponse.survey_id == survey.id)
        )
    )
    completed = sum(1 for r in rows if r.state == "completed")
    seconds = [r.seconds for r in rows if r.state == "completed" and r.seconds is not None]
    questions = _questions(session, survey, definition, [r.answers or {} for r in rows], language)
    return SurveyResults(
        survey=survey,
        definition=definition,
        funnel=_funnel(session, survey, rows),
        completed=completed,
        partial=len(rows) - completed,
        median_seconds=statistics.median(seconds) if seconds else None,
        questions=questions,
        comments=_comments(session, survey, definition, rows, comments),
        skipped=_skipped(session, survey),
    )


def _funnel(session: Session, survey: Survey, rows: list[Any]) -> list[ChannelFunnel]:
    by_channel: dict[str, ChannelFunnel] = {}
    for channel in PERSONAL_CHANNELS:
        by_channel[channel] = ChannelFunnel(channel, invited=0, delivered=0)
    invitations = session.execute(
        select(
            SurveyInvitation.channel,
            func.count(),
            func.count(SurveyInvitation.opened_at),
        )
        .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.state == "sent")
        .group_by(SurveyInvitation.channel)
    ).all()
    for channel, sent, opened in invitations:
        row = by_channel["email" if channel in ("email", "trigger") else "personal"]
        row.invited = (row.invited or 0) + int(sent)
        row.opened += int(opened)
    delivered = session.scalar(
        select(func.count())
        .select_from(SurveyInvitation)
        .join(
            MailMessage,
            (MailMessage.workspace_id == SurveyInvitation.workspace_id)
            & (MailMessage.key == SurveyInvitation.mail_key),
        )
        .where(SurveyInvitation.survey_id == survey.id, MailMessage.state == "sent")
    )
    by_channel["email"].delivered = int(delivered or 0)
    by_channel["personal"].delivered = by_channel["personal"].invited
    for channel, views in session.execute(
        select(SurveyView.channel, func.sum(SurveyView.views))
        .where(SurveyView.survey_id == survey.id)
        .group_by(SurveyView.channel)
    ):
        by_channel.setdefault(channel, ChannelFunnel(channel)).opened += int(views or 0)
    for row in rows:
        funnel = by_channel.setdefault(row.channel, ChannelFunnel(row.channel))
        funnel.started += 1
        funnel.completed += row.state == "completed"
    for channel in PUBLIC_CHANNELS:
        found = by_channel.get(channel)
        if found is not None and found.opened < found.started:
            found.opened = found.started  # answers through the JSON API have no page view
    order = {c: i for i, c in enumerate((*PERSONAL_CHANNELS, *PUBLIC_CHANNELS))}
    return sorted(
        (f for f in by_channel.values() if f.invited or f.opened or f.started),
        key=lambda f: order.get(f.channel, 99),
    )


def _skipped(session: Session, survey: Survey) -> dict[str, int]:
    return {
        str(reason): int(n)
        for reason, n in session.execute(
            select(SurveyInvitation.skip_reason, func.count())
            .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.state == "skipped")
            .group_by(SurveyInvitation.skip_reason)
        )
    }


def _questions(
    session: Session,
    survey: Survey,
    definition: Definition,
    answers: list[Mapping[str, Any]],
    language: str,
) -> list[QuestionResult]:
    asked: list[tuple[Question, bool]] = [(q, False) for q in definition.questions]
    known = {q.id for q in definition.questions}
    seen = {key for a in answers for key in a if "." not in key}
    if seen - known:
        for _, row in sorted(survey_versions(session, survey).items(), reverse=True):
            for question in definition_of(survey, row).questions:
                if question.id in seen and question.id not in known:
                    asked.append((question, True))
                    known.add(question.id)
    return [_question(q, answers, language, earlier) for q, earlier in asked]


def _question(
    question: Question, answers: list[Mapping[str, Any]], language: str, earlier: bool
) -> QuestionResult:
    values = [a[question.id] for a in answers if a.get(question.id) not in (None, "", [])]
    if question.type == "text":
        return QuestionResult(question, len(values), [], earlier=earlier)
    counter: Counter[str] = Counter()
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            counter[str(item).lower() if isinstance(item, bool) else str(item)] += 1
    counts: list[tuple[str, str, int]]
    if question.is_score:
        counts = [
            (str(v), str(v), counter.get(str(v), 0)) for v in range(question.min, question.max + 1)
        ]
    elif question.type == "consent":
        counts = [
            (code, answer_text(question, code == "true", language), counter.get(code, 0))
            for code in ("true", "false")
        ]
    else:
        codes = [o.id for o in question.options] + (["other"] if question.other else [])
        counts = [(c, answer_text(question, c, language), counter.get(c, 0)) for c in codes]
    result = QuestionResult(question, len(values), counts, earlier=earlier)
    if question.is_score and values:
        numbers = [float(v) for v in values]
        result.mean = sum(numbers) / len(numbers)
        result.score = _score(question, [int(v) for v in values])
    return result


def _score(question: Question, values: list[int]) -> ScoreSummary | None:
    """The metric a score question measures, with its interval (None for plain ratings)."""
    n = len(values)
    top = sum(1 for v in values if v == question.max) / n
    top2 = sum(1 for v in values if v >= question.max - 1) / n
    if question.type == "nps":
        promoters = sum(1 for v in values if nps_group(v) == "promoter")
        detractors = sum(1 for v in values if nps_group(v) == "detractor")
        low, high = nps_interval(promoters, detractors, n)
        return ScoreSummary(
            "nps",
            n,
            100 * (promoters - detractors) / n,
            100 * float(low),
            100 * float(high),
            top_box=top,
            top2_box=top2,
            promoters=promoters / n,
            passives=(n - promoters - detractors) / n,
            detractors=detractors / n,
        )
    if question.type == "csat":
        satisfied = sum(1 for v in values if v >= 4)
        low, high = wilson_interval(satisfied, n)
        return ScoreSummary(
            "csat", n, 100 * satisfied / n, 100 * float(low), 100 * float(high), top, top2
        )
    if question.type == "ces":
        mean = sum(values) / n
        sd = statistics.stdev(values) if n > 1 else 0.0
        low, high = t_interval(mean, sd, n)
        interval = (float(low), float(high)) if n > 1 else (None, None)
        return ScoreSummary(
            "ces",
            n,
            mean,
            interval[0],
            interval[1],
            top,
            top2,
            share_easy=sum(1 for v in values if v >= 5) / n,
        )
    return None


def _comments(
    session: Session, survey: Survey, definition: Definition, rows: list[Any], limit: int
) -> list[Comment]:
    texts = [q for q in definition.questions if q.type == "text"]
    nps = next((q for q in definition.questions if q.type == "nps"), None)
    recent = sorted(
        (r for r in rows if any((r.answers or {}).get(q.id) for q in texts)),
        key=lambda r: r.id,
        reverse=True,
    )[:limit]
    feedback_ids = [r.feedback_id for r in recent if r.feedback_id]
    analysis: dict[int, tuple[str | None, list[Any]]] = {}
    if feedback_ids:
        newest = (
            select(FeedbackAnalysis.feedback_id, func.max(FeedbackAnalysis.id).label("latest"))
            .where(FeedbackAnalysis.feedback_id.in_(feedback_ids))
            .group_by(FeedbackAnalysis.feedback_id)
            .subquery()
        )
        for feedback_id, sentiment, topics in session.execute(
            select(
                FeedbackAnalysis.feedback_id, FeedbackAnalysis.sentiment, FeedbackAnalysis.topics
            )
            .join(newest, newest.c.latest == FeedbackAnalysis.id)
            .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
            .where(Feedback.workspace_id == survey.workspace_id)
        ):
            analysis[int(feedback_id)] = (sentiment, list(topics or []))
    comments = []
    for row in recent:
        answers = row.answers or {}
        sentiment, topics = analysis.get(row.feedback_id or 0, (None, []))
        for question in texts:
            text = answers.get(question.id)
            if not text:
                continue
            comments.append(
                Comment(
                    response_id=row.id,
                    question_id=question.id,
                    text=str(text),
                    group=nps_group(answers.get(nps.id)) if nps is not None else None,
                    sentiment=sentiment,
                    topics=[_topic(t) for t in topics][:5],
                    completed=row.state == "completed",
                )
            )
    return comments[:limit]


def _topic(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("topic") or value.get("code") or value.get("name") or "")
    return str(value)


def results_to_dict(results: SurveyResults, language: str = "ja") -> dict[str, Any]:
    """The results as JSON for the API and `kizuna surveys results --format json`."""

    def score(s: ScoreSummary | None) -> dict[str, Any] | None:
        return None if s is None else {k: v for k, v in s.__dict__.items()}

    return {
        "survey_id": results.survey.id,
        "completed": results.completed,
        "partial": results.partial,
        "median_seconds": results.median_seconds,
        "funnel": [
            {
                "channel": f.channel,
                "invited": f.invited,
                "delivered": f.delivered,
                "opened": f.opened,
                "started": f.started,
                "completed": f.completed,
                "response_rate": f.rate,
            }
            for f in results.funnel
        ],
        "skipped": results.skipped,
        "scores": [score(s) for s in results.scores()],
        "questions": [
            {
                "id": q.question.id,
                "type": q.question.type,
                "text": q.question.text.get(language) or next(iter(q.question.text.values())),
                "n": q.n,
                "mean": q.mean,
                "earlier_version": q.earlier,
                "distribution": [
                    {"value": value, "label": label, "count": n, "share": q.share(n)}
                    for value, label, n in q.counts
                ],
                "score": score(q.score),
            }
            for q in results.questions
        ],
        "comments": [c.__dict__ for c in results.comments],
    }
