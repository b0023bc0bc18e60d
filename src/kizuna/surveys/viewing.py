"""Opening a survey to answer it: what the answering page needs, and the "opened" steps.

`open_public` serves a public link, QR code or widget: a new respondent gets a fresh response
key and the view is counted (per day and channel, for the funnel); a returning one (`rk`)
gets their saved answers back. `open_personal` serves a personal link: the token is checked
(signature, expiry), a completed response means "already answered", the invitation is
stamped opened, and an e-mail score link records its score first. Both run inside an
`AnswerBatch` (usually the answer writer's), so their few writes share its commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.surveys.answering import (
    AnswerBatch,
    Response,
    Submission,
    SurveyUnavailable,
    new_response_key,
)
from kizuna.surveys.definition import Definition
from kizuna.surveys.models import Survey, SurveyView
from kizuna.surveys.service import definition_at, get_policy
from kizuna.surveys.tokens import LinkError

__all__ = ["SurveyPage", "count_view", "open_personal", "open_public", "survey_for_page"]


@dataclass
class SurveyPage:
    """A respondent's place in a survey: what the page shows and where the form posts."""

    survey: Survey
    definition: Definition
    response_key: str
    answers: dict[str, Any] = field(default_factory=dict)
    hidden: dict[str, Any] = field(default_factory=dict)
    page: int | None = None
    state: str = "new"
    language: str | None = None
    allowed_origins: list[str] = field(default_factory=list)
    has_logo: bool = False


def count_view(session: Session, survey: Survey, channel: str, timezone: str) -> None:
    """One more view of the survey's first page today (the workspace's day) on `channel`."""
    day = utcnow().astimezone(ZoneInfo(timezone)).date()
    values = {
        "workspace_id": survey.workspace_id,
        "survey_id": survey.id,
        "day": day,
        "channel": channel,
        "views": 1,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(SurveyView).values(**values)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(SurveyView).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["survey_id", "day", "channel"],
        set_={"views": SurveyView.views + 1},
    )
    session.execute(statement)


def _page_of(batch: AnswerBatch, survey: Survey, response: Response | None, key: str) -> SurveyPage:
    policy = get_policy(batch.session, survey.workspace_id)
    if response is None:
        definition = definition_at(batch.session, survey, survey.version)
        return SurveyPage(
            survey,
            definition,
            key,
            allowed_origins=list(policy.allowed_origins or []),
            has_logo=survey.logo is not None,
        )
    definition = definition_at(batch.session, survey, response.version)
    return SurveyPage(
        survey,
        definition,
        key,
        answers=dict(response.answers or {}),
        hidden=dict(response.hidden or {}),
        page=response.page,
        state=response.state,
        language=response.language,
        allowed_origins=list(policy.allowed_origins or []),
        has_logo=survey.logo is not None,
    )


def open_public(batch: AnswerBatch, key: str, response_key: str | None, channel: str) -> SurveyPage:
    """The page state of a public link; SurveyUnavailable or LinkError "closed"/"used"."""
    survey = batch.survey_by_key(key)
    response = batch.response(survey.id, response_key) if response_key else None
    if response is not None and response.state == "completed":
        raise LinkError("used")
    batch.check_open(survey, utcnow(), new=response is None)
    if response is None and not response_key:
        count_view(batch.session, survey, channel, batch.workspace_of(survey.workspace_id).timezone)
    return _page_of(batch, survey, response, response_key or new_response_key())


def open_personal(batch: AnswerBatch, token: str, score: str | None) -> SurveyPage:
    """The page state of a personal link, its score recorded first when it is a score link."""
    now = utcnow()
    invitation = batch.invitation(token, now)
    survey = batch.session.get_one(Survey, invitation.survey_id)
    if survey.status == "draft":
        raise SurveyUnavailable()
    key = f"i{invitation.id}"
    response = batch.response(survey.id, key)
    if response is not None and response.state == "completed":
        raise LinkError("used")
    batch.check_open(survey, now, new=response is None)
    invitation.opened_at = invitation.opened_at or now
    if score is not None:
        definition = definition_at(batch.session, survey, survey.version)
        first = definition.first_score_question()
        if first is not None:
            batch.submit(Submission(token=token, answers={first.id: score}, score_link=True), now)
            response = batch.response(survey.id, key)
    page = _page_of(batch, survey, response, key)
    if response is None:
        page.hidden = dict(invitation.hidden or {})
        if invitation.touchpoint:
            page.hidden.setdefault("touchpoint", invitation.touchpoint)
        page.language = invitation.language
    return page


def survey_for_page(session: Session, key: str) -> Survey | None:
    """The survey of a public key, whatever its state (for the logo)."""
    return session.scalar(select(Survey).where(Survey.key == key))
