"""The write path of answers: save a submission, finish the response, make the voice.

    with answer_batch(kz.settings, session) as batch:
        outcome = batch.submit(Submission(survey_key="...", page=0, answers={"nps": "9"}))

`submit` checks a submission completely before it changes anything (`kizuna.surveys.answers`:
the link's signature, expiry and single use, the survey live, before its close date and
under its response cap, each answer, the required ones): a problem raises a 4xx error that
says which question and why, and nothing is stored. Then the response is saved `partial`,
or `completed` when the logic has no page left, and the invitation's steps are stamped.

A batch holds one transaction's submissions (the answer writer's group commit, or one for
tests and commands). New responses are kept as drafts and inserted together when it closes;
the completed ones become voices then, all in one pass
(`kizuna.surveys.voices.record_answer_voices`), with one `survey.answered` event per survey,
in the same transaction as the responses. `prefetch` reads the responses a group of
submissions names in one query per survey instead of one per submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.jobs.events import raise_event
from kizuna.settings import Settings
from kizuna.surveys.answers import (
    HIDDEN_MAX,
    InvalidAnswer,
    MissingAnswers,
    Submission,
    SurveyUnavailable,
    hidden_of,
    new_response_key,
    parse_answer,
    parse_answers,
    progress,
    score_link_answers,
    valid_response_key,
)
from kizuna.surveys.definition import Definition
from kizuna.surveys.events import SurveyAnswered
from kizuna.surveys.logic import clean_answers
from kizuna.surveys.models import Survey, SurveyInvitation, SurveyResponse
from kizuna.surveys.service import definition_at
from kizuna.surveys.tokens import LinkError, read_link_token
from kizuna.surveys.voices import VoiceWrite, record_answer_voices, voice_record

__all__ = [
    "AnswerBatch",
    "InvalidAnswer",
    "MissingAnswers",
    "Outcome",
    "Submission",
    "SurveyUnavailable",
    "answer_batch",
    "new_response_key",
    "parse_answer",
]

_DRAFT_FIELDS = (
    "workspace_id",
    "survey_id",
    "version",
    "response_key",
    "invitation_id",
    "channel",
    "customer_id",
    "customer_ref",
    "touchpoint",
    "hidden",
    "answers",
    "meta",
    "language",
    "state",
    "page",
    "started_at",
    "updated_at",
    "completed_at",
    "seconds",
    "feedback_id",
    "voice_at",
)


@dataclass
class Draft:
    """A response not inserted yet (the batch inserts its drafts together when it closes);
    the same fields as `SurveyResponse`, so the write path treats both alike."""

    workspace_id: int
    survey_id: int
    version: int
    response_key: str
    invitation_id: int | None
    channel: str
    customer_id: int | None
    customer_ref: str | None
    touchpoint: str | None
    hidden: dict[str, Any]
    started_at: dt.datetime
    answers: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    language: str = "ja"
    state: str = "partial"
    page: int = 0
    updated_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    seconds: int | None = None
    feedback_id: int | None = None
    voice_at: dt.datetime | None = None
    id: int | None = None

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _DRAFT_FIELDS}


Response = SurveyResponse | Draft


@dataclass
class Outcome:
    """What a submission came to: the response now, and the page to show next (None: done).
    `response_id` of a new response is known once the batch has closed."""

    survey: Survey
    definition: Definition
    response_key: str
    state: str
    next_page: int | None
    answers: dict[str, Any]
    hidden: dict[str, Any]
    language: str
    invitation_id: int | None = None
    response_id: int | None = None
    response: Response | None = field(default=None, repr=False)


class AnswerBatch:
    """One transaction's submissions; drafts, voices and events are written by `close`."""

    def __init__(self, settings: Settings, session: Session) -> None:
        self.settings = settings
        self.session = session
        self._surveys: dict[str, Survey | None] = {}
        self._workspaces: dict[int, Workspace] = {}
        self._responses: dict[tuple[int, str], Response | None] = {}
        self._drafts: list[Draft] = []
        self._outcomes: list[Outcome] = []
        self._completed: list[tuple[Survey, Definition, Response]] = []
        self._counts: dict[int, int] = {}

    # --- reading ------------------------------------------------------------------------

    def survey_by_key(self, key: str) -> Survey:
        """The live or closed survey of a public key; SurveyUnavailable for none or a draft."""
        if key not in self._surveys:
            # With its workspace, which the batch's voices need: one query, not two.
            row = self.session.execute(
                select(Survey, Workspace)
                .join(Workspace, Workspace.id == Survey.workspace_id)
                .where(Survey.key == key)
            ).first()
            self._surveys[key] = row[0] if row is not None else None
            if row is not None:
                self._workspaces.setdefault(row[1].id, row[1])
        found = self._surveys[key]
        if found is None or found.status == "draft":
            raise SurveyUnavailable()
        return found

    def workspace_of(self, workspace_id: int) -> Workspace:
        if workspace_id not in self._workspaces:
            self._workspaces[workspace_id] = self.session.get_one(Workspace, workspace_id)
        return self._workspaces[workspace_id]

    def definition(self, survey: Survey, version: int) -> Definition:
        return definition_at(self.session, survey, version)

    def prefetch(self, submissions: Iterable[Submission]) -> None:
        """Read the responses these public-link submissions name, one query per survey."""
        wanted: dict[str, set[str]] = {}
        for sub in submissions:
            if sub.survey_key and sub.response_key and not sub.token:
                wanted.setdefault(sub.survey_key, set()).add(sub.response_key)
        for key, response_keys in wanted.items():
            try:
                survey = self.survey_by_key(key)
            except SurveyUnavailable:
                continue
            unknown = [k for k in response_keys if (survey.id, k) not in self._responses]
            for chunk in (unknown[i : i + 500] for i in range(0, len(unknown), 500)):
                found = self.session.scalars(
                    select(SurveyResponse).where(
                        SurveyResponse.survey_id == survey.id,
                        SurveyResponse.response_key.in_(chunk),
                    )
                )
                for response in found:
                    self._responses[(survey.id, response.response_key)] = response
                for response_key in chunk:
                    self._responses.setdefault((survey.id, response_key), None)

    def response(self, survey_id: int, response_key: str) -> Response | None:
        """The stored or drafted response of this key (drafts of this batch included)."""
        if (survey_id, response_key) not in self._responses:
            self._responses[(survey_id, response_key)] = self.session.scalar(
                select(SurveyResponse).where(
                    SurveyResponse.survey_id == survey_id,
                    SurveyResponse.response_key == response_key,
                )
            )
        return self._responses[(survey_id, response_key)]

    def _completed_count(self, survey: Survey) -> int:
        if survey.id not in self._counts:
            self._counts[survey.id] = int(
                self.session.scalar(
                    select(func.count()).where(
                        SurveyResponse.survey_id == survey.id, SurveyResponse.state == "completed"
                    )
                )
                or 0
            )
        return self._counts[survey.id]

    def check_open(self, survey: Survey, now: dt.datetime, *, new: bool) -> None:
        """LinkError "closed" unless the survey takes answers now (a new one: under its cap)."""
        if survey.status != "live" or (survey.closes_at is not None and survey.closes_at <= now):
            raise LinkError("closed")
        if (
            new
            and survey.response_cap is not None
            and self._completed_count(survey) >= survey.response_cap
        ):
            raise LinkError("closed")

    def invitation(self, token: str, now: dt.datetime) -> SurveyInvitation:
        """The invitation of a personal link; LinkError when invalid or expired."""
        link = read_link_token(self.settings, token, now)
        found = self.session.get(SurveyInvitation, link.invitation_id)
        if found is None:
            raise LinkError("invalid")
        if found.expires_at <= now:
            raise LinkError("expired")
        return found

    # --- writing ------------------------------------------------------------------------

    def submit(self, sub: Submission, now: dt.datetime | None = None) -> Outcome:
        """Check and save one submission (see the module docstring)."""
        now = now or utcnow()
        invitation: SurveyInvitation | None = None
        if sub.token:
            invitation = self.invitation(sub.token, now)
            survey = self.session.get_one(Survey, invitation.survey_id)
            if survey.status == "draft":
                raise SurveyUnavailable()
            response_key = f"i{invitation.id}"
        else:
            survey = self.survey_by_key(sub.survey_key or "")
            response_key = sub.response_key or new_response_key()
            if not valid_response_key(response_key):
                raise InvalidInput(
                    "The response key must be 8 to 64 letters, digits, - or _.",
                    "回答キーは英数字・-・_ の 8〜64 文字にしてください。",
                )
        existing = self.response(survey.id, response_key)
        if existing is not None and existing.state == "completed":
            raise LinkError("used")
        self.check_open(survey, now, new=existing is None)
        version = existing.version if existing is not None else survey.version
        definition = self.definition(survey, version)
        if existing is not None:
            hidden = dict(existing.hidden or {})
        elif invitation is not None:
            hidden = dict(invitation.hidden or {})
            if invitation.touchpoint:
                hidden.setdefault("touchpoint", invitation.touchpoint)
        else:
            hidden = hidden_of(definition, sub.hidden)
        answers = dict(existing.answers or {}) if existing is not None else {}
        meta = dict(existing.meta or {}) if existing is not None else {}
        received = parse_answers(definition, sub)
        if sub.score_link:
            received = score_link_answers(definition, received, answers, meta, now)
        answers.update(received)
        language = self._language(definition, sub, invitation, existing)
        after, complete = progress(
            definition, sub, answers, hidden, existing.page if existing is not None else None
        )
        # Checked: from here on the submission is stored.
        if complete:
            answers = clean_answers(definition, answers, hidden)
        response = (
            existing
            if existing is not None
            else self._draft(survey, version, response_key, sub, invitation, hidden, now)
        )
        response.answers = answers
        response.meta = meta
        response.language = language
        response.updated_at = now
        if after is not None:
            response.page = after
        if complete:
            response.state = "completed"
            response.completed_at = now
            response.seconds = max(0, int((now - response.started_at).total_seconds()))
            if survey.response_cap is not None:  # counted only where a cap reads it
                self._counts[survey.id] = self._completed_count(survey) + 1
            self._completed.append((survey, definition, response))
        if invitation is not None:
            invitation.opened_at = invitation.opened_at or now
            invitation.started_at = invitation.started_at or now
            if complete:
                invitation.completed_at = now
        outcome = Outcome(
            survey=survey,
            definition=definition,
            response_key=response_key,
            state=response.state,
            next_page=None if complete else after,
            answers=answers,
            hidden=hidden,
            language=language,
            invitation_id=invitation.id if invitation is not None else None,
            response_id=response.id,
            response=response,
        )
        self._outcomes.append(outcome)
        return outcome

    def _draft(
        self,
        survey: Survey,
        version: int,
        response_key: str,
        sub: Submission,
        invitation: SurveyInvitation | None,
        hidden: dict[str, Any],
        now: dt.datetime,
    ) -> Draft:
        draft = Draft(
            workspace_id=survey.workspace_id,
            survey_id=survey.id,
            version=version,
            response_key=response_key,
            invitation_id=invitation.id if invitation is not None else None,
            channel=_channel(sub, invitation),
            customer_id=invitation.customer_id if invitation is not None else None,
            customer_ref=self._customer_ref(invitation, hidden),
            touchpoint=str(hidden.get("touchpoint") or "")[:HIDDEN_MAX] or None,
            hidden=hidden,
            started_at=now,
        )
        self._responses[(survey.id, response_key)] = draft
        self._drafts.append(draft)
        return draft

    def _language(
        self,
        definition: Definition,
        sub: Submission,
        invitation: SurveyInvitation | None,
        existing: Response | None,
    ) -> str:
        for candidate in (
            sub.language,
            existing.language if existing is not None else None,
            invitation.language if invitation is not None else None,
        ):
            if candidate in definition.languages:
                return str(candidate)
        return definition.language

    def _customer_ref(
        self, invitation: SurveyInvitation | None, hidden: dict[str, Any]
    ) -> str | None:
        if invitation is not None and invitation.customer_id is not None:
            from kizuna.customers.models import Customer

            customer = self.session.get(Customer, invitation.customer_id)
            return customer.external_id if customer is not None else None
        ref = hidden.get("customer")
        return str(ref)[:200] if ref else None

    # --- closing ------------------------------------------------------------------------

    def close(self, actor: str = "respondent") -> list[int]:
        """Write the batch: voices of the completed answers, the new responses, the changed
        ones, and a `survey.answered` event per survey. Returns the voices' ids."""
        made = self._write_voices(actor)
        self._insert_drafts()
        self.session.flush()  # the stored responses that changed, and the invitations
        for outcome in self._outcomes:
            if outcome.response is not None:
                outcome.response_id = outcome.response.id
        by_survey: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
        for survey, _, response in self._completed:
            assert response.id is not None and response.feedback_id is not None
            responses, voices = by_survey.setdefault((survey.workspace_id, survey.id), ([], []))
            responses.append(response.id)
            voices.append(response.feedback_id)
        for (workspace_id, survey_id), (responses, voices) in by_survey.items():
            raise_event(
                self.session,
                SurveyAnswered(
                    workspace_id=workspace_id,
                    survey_id=survey_id,
                    response_ids=responses,
                    feedback_ids=voices,
                ),
            )
        self._completed.clear()
        self._drafts.clear()
        self._outcomes.clear()
        return made

    def _write_voices(self, actor: str) -> list[int]:
        by_workspace: dict[int, list[tuple[Survey, Definition, Response]]] = {}
        for item in self._completed:
            by_workspace.setdefault(item[0].workspace_id, []).append(item)
        made: list[int] = []
        now = utcnow()
        for workspace_id, items in by_workspace.items():
            writes = [
                VoiceWrite(d.source, voice_record(s, d, r, partial=False), r) for s, d, r in items
            ]
            ids = record_answer_voices(
                self.session, self.workspace_of(workspace_id), writes, actor=actor
            )
            for (_, _, response), feedback_id in zip(items, ids, strict=True):
                response.feedback_id = feedback_id
                response.voice_at = now
            made += ids
        return made

    def _insert_drafts(self) -> None:
        """Insert the new responses in one statement; their ids come back in order."""
        if not self._drafts:
            return
        table = SurveyResponse.__table__
        assert isinstance(table, Table)
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        # On the session's connection: nothing of the ORM's is pending that this insert needs.
        rows = [d.row() for d in self._drafts]
        ids = self.session.connection().execute(statement, rows).scalars().all()
        for draft, response_id in zip(self._drafts, ids, strict=True):
            draft.id = int(response_id)


@contextmanager
def answer_batch(settings: Settings, session: Session) -> Iterator[AnswerBatch]:
    """A batch over the caller's session; it is written when the block ends."""
    batch = AnswerBatch(settings, session)
    yield batch
    batch.close()


def _channel(sub: Submission, invitation: SurveyInvitation | None) -> str:
    if invitation is not None:
        return "email" if invitation.channel in ("email", "trigger") else "personal"
    return sub.channel if sub.channel in ("link", "qr", "widget", "api") else "link"
