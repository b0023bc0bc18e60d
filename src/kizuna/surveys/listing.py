"""Lists for the pages, the API and the CLI: a survey's invitations and its responses.

Responses are shown as the respondent saw them: each answer by the question's text and the
choice's label from the version it was answered on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.surveys.logic import answer_text
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyResponse
from kizuna.surveys.service import definition_of, survey_versions

__all__ = ["InvitationRow", "ResponseRow", "list_invitations", "list_responses"]


@dataclass(frozen=True)
class InvitationRow:
    invitation: SurveyInvitation
    customer_name: str | None


@dataclass(frozen=True)
class ResponseRow:
    """A response and its answers as (question id, question text, answer text)."""

    response: SurveyResponse
    answers: list[tuple[str, str, str]]


def list_invitations(
    session: Session, survey: Survey, *, limit: int = 50, state: str | None = None
) -> list[InvitationRow]:
    """The newest invitations first, with the customer's name."""
    query = (
        select(SurveyInvitation, Customer.name)
        .outerjoin(Customer, Customer.id == SurveyInvitation.customer_id)
        .where(SurveyInvitation.survey_id == survey.id)
        .order_by(SurveyInvitation.id.desc())
        .limit(max(1, min(limit, 1000)))
    )
    if state:
        query = query.where(SurveyInvitation.state == state)
    return [InvitationRow(i, name) for i, name in session.execute(query).all()]


def list_responses(
    session: Session,
    survey: Survey,
    language: str = "ja",
    *,
    limit: int = 50,
    offset: int = 0,
    state: str | None = None,
    after_id: int | None = None,
) -> tuple[list[ResponseRow], bool]:
    """A page of responses, newest first (or after `after_id`, oldest first), and whether more follow."""
    limit = max(1, min(limit, 1000))
    query = select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    if state:
        query = query.where(SurveyResponse.state == state)
    if after_id is not None:
        query = query.where(SurveyResponse.id > after_id).order_by(SurveyResponse.id)
    else:
        query = query.order_by(SurveyResponse.id.desc()).offset(max(0, offset))
    found = list(session.scalars(query.limit(limit + 1)))
    versions = survey_versions(session, survey)
    definitions: dict[int, Any] = {}
    rows = []
    for response in found[:limit]:
        definition = definitions.get(response.version)
        if definition is None:
            row = versions.get(response.version)
            definition = definitions[response.version] = definition_of(survey, row)
        answers = []
        for question in definition.questions:
            value = (response.answers or {}).get(question.id)
            if value is None or value == "" or value == []:
                continue
            lang = language if language in question.text else next(iter(question.text))
            text = answer_text(
                question, value, lang, (response.answers or {}).get(f"{question.id}.other")
            )
            answers.append((question.id, question.text[lang], text))
        rows.append(ResponseRow(response, answers))
    return rows, len(found) > limit
