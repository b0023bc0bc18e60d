"""JSON routes of surveys (/api/v1/surveys), scoped to the API key's workspace and role.

surveys.read: list, get, responses, results, templates, contact rules; surveys.manage:
create, validate, update, publish, close, change the contact rules; surveys.distribute:
personal links, e-mail invitations, reminders, QR codes, widget snippets; exports.run:
CSV and Excel exports. Answers themselves are posted to the public /s/{key} routes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from kizuna.surveys import service
from kizuna.surveys.definition import InvalidSurvey, parse_definition
from kizuna.surveys.distribution import (
    create_personal_link,
    public_url,
)
from kizuna.surveys.export import export_responses
from kizuna.surveys.library import list_templates
from kizuna.surveys.listing import list_invitations
from kizuna.surveys.models import Survey, SurveyResponse
from kizuna.surveys.qr import qr_code
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.results import results_to_dict, survey_results
from kizuna.surveys.schemas import (
    InvitationPublic,
    InviteCreate,
    InviteResult,
    LinkCreate,
    LinkPublic,
    PolicyPublic,
    PolicyUpdate,
    ResponsePage,
    ResponsePublic,
    SurveyCreate,
    SurveyPublic,
    SurveyUpdate,
    TemplatePublic,
    ValidationPublic,
)
from kizuna.surveys.sending import invite_customers_now_or_later, resolve_audience
from kizuna.surveys.widget import iframe_snippet, widget_snippet
from kizuna.web.deps import Caller, KizunaDep, SessionDep, api_caller
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(tags=["surveys"], route_class=SummaryRoute)

Readers = Annotated[Caller, Depends(api_caller("surveys.read"))]
Managers = Annotated[Caller, Depends(api_caller("surveys.manage"))]
Senders = Annotated[Caller, Depends(api_caller("surveys.distribute"))]
Exporters = Annotated[Caller, Depends(api_caller("exports.run"))]


def _public(
    kz: Any, survey: Survey, *, full: bool = False, counts: tuple[int, int] = (0, 0)
) -> SurveyPublic:
    return SurveyPublic(
        id=survey.id,
        key=survey.key,
        name=survey.name,
        status=survey.status,
        source=survey.source,
        template=survey.template,
        version=survey.version,
        closes_at=survey.closes_at,
        response_cap=survey.response_cap,
        public_url=public_url(kz.settings, survey),
        completed=counts[0],
        partial=counts[1],
        definition=survey.definition if full else None,
    )


@router.get("/surveys", response_model=list[SurveyPublic])
def list_surveys(caller: Readers, session: SessionDep, kz: KizunaDep) -> list[SurveyPublic]:
    """The workspace's surveys with their answer counts, newest first."""
    return [
        _public(kz, row.survey, counts=(row.completed, row.partial))
        for row in service.list_surveys(session, caller.workspace)
    ]


@router.post("/surveys", response_model=SurveyPublic, status_code=201)
def create_survey(
    body: SurveyCreate, caller: Managers, session: SessionDep, kz: KizunaDep
) -> SurveyPublic:
    """Create a draft survey from a definition or a template."""
    survey = service.create_survey(
        session,
        caller.workspace,
        body.definition,
        template=body.template,
        name=body.name,
        actor=caller.actor,
    )
    return _public(kz, survey, full=True)


@router.post("/surveys/validate", response_model=ValidationPublic)
def validate_definition(
    request: Request, body: dict[str, Any], caller: Managers
) -> ValidationPublic:
    """Check a definition without saving it; each problem with its place and reason."""
    lang = choose_language(request, "en")
    try:
        parse_definition(body.get("definition", body))
    except InvalidSurvey as exc:
        return ValidationPublic(valid=False, problems=[p.to_dict(lang) for p in exc.problems])
    return ValidationPublic(valid=True, problems=[])


@router.get("/surveys/templates", response_model=list[TemplatePublic])
def templates(caller: Readers) -> list[TemplatePublic]:
    """The survey templates: relationship NPS, post-stay, post-purchase, post-support, eNPS, event."""
    return [
        TemplatePublic(
            code=t.code,
            title=t.definition.title,
            measures=list(t.measures),
            questions=len(t.definition.questions),
            definition=t.definition.data,
        )
        for t in list_templates()
    ]


def _policy(policy: Any) -> PolicyPublic:
    return PolicyPublic(
        frequency_days=policy.frequency_days,
        quiet_start=policy.quiet_start,
        quiet_end=policy.quiet_end,
        require_consent=policy.require_consent,
        link_days=policy.link_days,
        partial_timeout_minutes=policy.partial_timeout_minutes,
        rate_limit_per_minute=policy.rate_limit_per_minute,
        allowed_origins=list(policy.allowed_origins or []),
    )


@router.get("/surveys/policy", response_model=PolicyPublic)
def get_policy(caller: Readers, session: SessionDep) -> PolicyPublic:
    """The contact rules every survey and channel shares."""
    return _policy(service.get_policy(session, caller.workspace))


@router.put("/surveys/policy", response_model=PolicyPublic)
def update_policy(body: PolicyUpdate, caller: Managers, session: SessionDep) -> PolicyPublic:
    """Change the contact rules (only the fields sent)."""
    values = body.model_dump(exclude_none=True)
    return _policy(service.update_policy(session, caller.workspace, actor=caller.actor, **values))


@router.get("/surveys/{survey_id:int}", response_model=SurveyPublic)
def get_survey(survey_id: int, caller: Readers, session: SessionDep, kz: KizunaDep) -> SurveyPublic:
    """One survey with its current definition."""
    return _public(kz, service.get_survey(session, caller.workspace, survey_id), full=True)


@router.put(
    "/surveys/{survey_id:int}",
    response_model=SurveyPublic,
    responses={409: {"description": "Answers exist: the source cannot change."}},
)
def update_survey(
    survey_id: int, body: SurveyUpdate, caller: Managers, session: SessionDep, kz: KizunaDep
) -> SurveyPublic:
    """Replace the definition (a new version once answers exist)."""
    survey = service.update_survey(
        session, caller.workspace, survey_id, body.definition, name=body.name, actor=caller.actor
    )
    return _public(kz, survey, full=True)


@router.post(
    "/surveys/{survey_id}/publish",
    response_model=SurveyPublic,
    responses={409: {"description": "The close date has passed: set a later closes_at."}},
)
def publish(survey_id: int, caller: Managers, session: SessionDep, kz: KizunaDep) -> SurveyPublic:
    """Open the survey for answers."""
    return _public(
        kz, service.publish_survey(session, caller.workspace, survey_id, actor=caller.actor)
    )


@router.post("/surveys/{survey_id}/close", response_model=SurveyPublic)
def close(survey_id: int, caller: Managers, session: SessionDep, kz: KizunaDep) -> SurveyPublic:
    """Stop taking answers."""
    return _public(
        kz, service.close_survey(session, caller.workspace, survey_id, actor=caller.actor)
    )


@router.post("/surveys/{survey_id}/links", response_model=LinkPublic, status_code=201)
def make_link(
    survey_id: int, body: LinkCreate, caller: Senders, session: SessionDep, kz: KizunaDep
) -> LinkPublic:
    """A personal link: signed, single use, bound to a customer and a touchpoint, expiring."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    invitation, url = create_personal_link(
        session,
        kz.settings,
        caller.workspace,
        survey,
        customer_id=body.customer_id,
        touchpoint=body.touchpoint,
        hidden=body.hidden,
        days=body.days,
        language=body.language,
        actor=caller.actor,
    )
    return LinkPublic(
        invitation_id=invitation.id,
        url=url,
        state=invitation.state,
        skip_reason=invitation.skip_reason,
        expires_at=invitation.expires_at,
    )


@router.post("/surveys/{survey_id}/invitations", response_model=InviteResult)
def invite(
    survey_id: int, body: InviteCreate, caller: Senders, session: SessionDep, kz: KizunaDep
) -> InviteResult:
    """E-mail invitations with the first question inside, under the contact rules."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    if body.consented:
        ids = resolve_audience(session, caller.workspace, "consented")
    elif body.segment_id is not None:
        ids = resolve_audience(session, caller.workspace, "segment", segment_id=body.segment_id)
    else:
        ids = resolve_audience(session, caller.workspace, "ids", body.customer_ids)
    report, jobs = invite_customers_now_or_later(
        session,
        kz.settings,
        caller.workspace,
        survey,
        ids,
        touchpoint=body.touchpoint,
        actor=caller.actor,
    )
    return InviteResult(
        sent=report.sent,
        scheduled=report.scheduled,
        already_invited=report.already,
        skipped=dict(report.skipped),
        queued=len(ids) if jobs else 0,
    )


@router.get("/surveys/{survey_id}/invitations", response_model=list[InvitationPublic])
def invitations(
    survey_id: int,
    caller: Senders,
    session: SessionDep,
    state: Literal["scheduled", "sent", "skipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[InvitationPublic]:
    """The newest invitations, with why any was skipped or put off."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    return [
        InvitationPublic(
            id=i.id,
            customer_id=i.customer_id,
            channel=i.channel,
            state=i.state,
            skip_reason=i.skip_reason,
            deferred_reason=i.deferred_reason,
            touchpoint=i.touchpoint,
            send_after=i.send_after,
            sent_at=i.sent_at,
            opened_at=i.opened_at,
            completed_at=i.completed_at,
            reminders=i.reminders,
        )
        for i in (
            row.invitation for row in list_invitations(session, survey, limit=limit, state=state)
        )
    ]


@router.post("/surveys/{survey_id}/reminders")
def remind(survey_id: int, caller: Senders, session: SessionDep, kz: KizunaDep) -> dict[str, int]:
    """Send the reminders that are due now to those who have not answered."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    sent = send_reminders(
        session, kz.settings, caller.workspace, survey_id=survey.id, actor=caller.actor
    )
    return {"reminders": sent}


@router.get("/surveys/{survey_id}/responses", response_model=ResponsePage)
def responses(
    survey_id: int,
    caller: Readers,
    session: SessionDep,
    after: int | None = None,
    state: Literal["partial", "completed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ResponsePage:
    """Responses oldest first, `limit` at a time (pass `next_after` back as `after`)."""
    from sqlalchemy import select

    survey = service.get_survey(session, caller.workspace, survey_id)
    query = select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    if after is not None:
        query = query.where(SurveyResponse.id > after)
    if state is not None:
        query = query.where(SurveyResponse.state == state)
    found = list(session.scalars(query.order_by(SurveyResponse.id).limit(limit + 1)))
    items = [
        ResponsePublic(
            id=r.id,
            state=r.state,
            version=r.version,
            channel=r.channel,
            language=r.language,
            customer_id=r.customer_id,
            customer_ref=r.customer_ref,
            touchpoint=r.touchpoint,
            hidden=dict(r.hidden or {}),
            answers=dict(r.answers or {}),
            started_at=r.started_at,
            completed_at=r.completed_at,
            seconds=r.seconds,
            feedback_id=r.feedback_id,
        )
        for r in found[:limit]
    ]
    return ResponsePage(items=items, next_after=items[-1].id if len(found) > limit else None)


@router.get("/surveys/{survey_id}/results")
def results(
    request: Request, survey_id: int, caller: Readers, session: SessionDep
) -> dict[str, Any]:
    """The funnel by channel, each question's distribution, NPS/CSAT/CES with intervals, comments."""
    lang = choose_language(request, "ja")
    survey = service.get_survey(session, caller.workspace, survey_id)
    return results_to_dict(survey_results(session, survey, lang), lang)


@router.get("/surveys/{survey_id}/export")
def export(
    request: Request,
    survey_id: int,
    caller: Exporters,
    session: SessionDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """Every response as CSV (UTF-8 with BOM, opens in Japanese Excel) or an Excel workbook."""
    lang = choose_language(request, "ja")
    survey = service.get_survey(session, caller.workspace, survey_id)
    data = export_responses(session, survey, format, lang)
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}.{format}"'},
    )


@router.get("/surveys/{survey_id}/qr.{fmt}")
def qr(
    survey_id: int,
    fmt: Literal["png", "svg"],
    caller: Senders,
    session: SessionDep,
    kz: KizunaDep,
    touchpoint: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The QR code (PNG or SVG) of the survey's link for a touchpoint."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    data = qr_code(kz.settings, survey, fmt, touchpoint=touchpoint)
    return Response(data, media_type="image/svg+xml" if fmt == "svg" else "image/png")


@router.get("/surveys/{survey_id}/widget")
def widget(survey_id: int, caller: Senders, session: SessionDep, kz: KizunaDep) -> dict[str, str]:
    """The website widget's script tag and the iframe variant."""
    survey = service.get_survey(session, caller.workspace, survey_id)
    return {
        "script": widget_snippet(kz.settings, survey),
        "iframe": iframe_snippet(kz.settings, survey),
    }
