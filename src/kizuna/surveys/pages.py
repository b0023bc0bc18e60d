"""HTML routes of surveys for the CX team: the list, results, builder, distribution, answers.

Pages need a logged-in member whose role holds the route's permission (surveys.read to see,
surveys.manage to build, publish and close and to set the contact rules, surveys.distribute
to invite and make links, QR codes and the widget, exports.run to download answers). Every
POST carries the session's CSRF token. The builder edits the stored definition and saves it
through the service, so a form and a YAML file are checked by the same rules; problems come
back with their place and reason.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from kizuna.errors import InvalidInput, KizunaError
from kizuna.surveys import builder, service
from kizuna.surveys.definition import InvalidSurvey
from kizuna.surveys.distribution import create_personal_link, public_url
from kizuna.surveys.export import export_responses
from kizuna.surveys.library import TEMPLATES, list_templates, template_text
from kizuna.surveys.listing import list_invitations, list_responses
from kizuna.surveys.qr import qr_code, qr_url
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.results import survey_results
from kizuna.surveys.sending import invite_customers_now_or_later, resolve_audience
from kizuna.surveys.widget import iframe_snippet, widget_snippet
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("surveys.read"))]
Managers = Annotated[Caller, Depends(page_member("surveys.manage"))]
Senders = Annotated[Caller, Depends(page_member("surveys.distribute"))]
Exporters = Annotated[Caller, Depends(page_member("exports.run"))]
ADMIN_CSS = "/s/assets/admin.css"
REPORT_KEYS = ("sent", "scheduled", "already", "skipped", "queued", "reminded", "link_skipped")


def _base(member: Caller) -> str:
    return f"/w/{member.workspace.slug}/surveys"


def _page(
    request: Request,
    name: str,
    member: Caller,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    values = {
        "member": member,
        "nav_section": "surveys",
        "tz": member.workspace.timezone,
        "base": _base(member),
        "admin_css": ADMIN_CSS,
        **context,
    }
    return render_page(request, name, values, status_code=status_code)


def _problems(request: Request, exc: KizunaError) -> list[str]:
    lang = choose_language(request, request.app.state.kz.settings.language)
    if isinstance(exc, InvalidSurvey):
        return [f"{p.place}: {p.ja if lang == 'ja' else p.en}" for p in exc.problems]
    return [exc.message(lang)]


# --- list and create ----------------------------------------------------------------------


@router.get("/w/{slug}/surveys")
def surveys_home(request: Request, member: Readers, session: SessionDep) -> Response:
    """The workspace's surveys, and new ones from a template or a definition."""
    rows = service.list_surveys(session, member.workspace)
    return _page(
        request,
        "surveys/list.html",
        member,
        {"rows": rows, "templates": list_templates(), "draft": "", "problems": []},
    )


@router.post("/w/{slug}/surveys")
def create_survey_page(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    template: Annotated[str, Form()] = "",
    definition: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    """Create a draft survey from a template or a YAML/JSON definition."""
    try:
        if definition.strip():
            survey = service.create_survey(
                session,
                member.workspace,
                builder.read_text(definition),
                name=name or None,
                actor=member.actor,
            )
        elif template in TEMPLATES:
            survey = service.create_survey(
                session, member.workspace, template=template, name=name or None, actor=member.actor
            )
        else:
            raise InvalidInput(
                "Choose a template or paste a definition.",
                "テンプレートを選ぶか、定義を貼り付けてください。",
            )
    except KizunaError as exc:
        # Nothing was written: the services check everything before they write.
        rows = service.list_surveys(session, member.workspace)
        context = {
            "rows": rows,
            "templates": list_templates(),
            "draft": definition,
            "problems": _problems(request, exc),
        }
        return _page(request, "surveys/list.html", member, context, status_code=422)
    return RedirectResponse(f"{_base(member)}/{survey.id}/edit", status_code=303)


# --- contact rules ------------------------------------------------------------------------


@router.get("/w/{slug}/surveys/settings")
def policy_page(request: Request, member: Managers, session: SessionDep) -> Response:
    """The contact rules every channel shares, and the widget's allowed sites."""
    policy = service.get_policy(session, member.workspace)
    return _page(request, "surveys/settings.html", member, {"policy": policy, "problems": []})


@router.post("/w/{slug}/surveys/settings")
def save_policy(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    frequency_days: Annotated[int, Form()],
    quiet_start: Annotated[str, Form()],
    quiet_end: Annotated[str, Form()],
    link_days: Annotated[int, Form()],
    partial_timeout_minutes: Annotated[int, Form()],
    rate_limit_per_minute: Annotated[int, Form()],
    allowed_origins: Annotated[str, Form()] = "",
    require_consent: Annotated[str | None, Form()] = None,
) -> Response:
    """Save the contact rules."""
    try:
        service.update_policy(
            session,
            member.workspace,
            actor=member.actor,
            frequency_days=frequency_days,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            link_days=link_days,
            partial_timeout_minutes=partial_timeout_minutes,
            rate_limit_per_minute=rate_limit_per_minute,
            allowed_origins=allowed_origins.split(),
            require_consent=require_consent is not None,
        )
    except KizunaError as exc:
        # Nothing was written: the services check everything before they write.
        policy = service.get_policy(session, member.workspace)
        context = {"policy": policy, "problems": _problems(request, exc)}
        return _page(request, "surveys/settings.html", member, context, status_code=422)
    return RedirectResponse(f"{_base(member)}/settings?saved=1", status_code=303)


# --- one survey ---------------------------------------------------------------------------


@router.get("/w/{slug}/surveys/{survey_id}")
def results_page(
    request: Request, member: Readers, session: SessionDep, survey_id: int
) -> Response:
    """Results: the funnel by channel, scores with intervals, distributions, comments."""
    survey = service.get_survey(session, member.workspace, survey_id)
    lang = choose_language(request, request.app.state.kz.settings.language)
    results = survey_results(session, survey, lang)
    return _page(
        request,
        "surveys/results.html",
        member,
        {"survey": survey, "results": results, "tab": "results"},
    )


@router.post("/w/{slug}/surveys/{survey_id}/publish")
def publish_page(
    member: Managers, session: SessionDep, _csrf: CsrfChecked, survey_id: int
) -> Response:
    """Open the survey for answers."""
    service.publish_survey(session, member.workspace, survey_id, actor=member.actor)
    return RedirectResponse(f"{_base(member)}/{survey_id}/distribute", status_code=303)


@router.post("/w/{slug}/surveys/{survey_id}/close")
def close_page(
    member: Managers, session: SessionDep, _csrf: CsrfChecked, survey_id: int
) -> Response:
    """Stop taking answers."""
    service.close_survey(session, member.workspace, survey_id, actor=member.actor)
    return RedirectResponse(f"{_base(member)}/{survey_id}", status_code=303)


@router.get("/w/{slug}/surveys/{survey_id}/edit")
def builder_page(
    request: Request, member: Managers, session: SessionDep, survey_id: int
) -> Response:
    """The builder: questions, logic and texts in both languages, or the whole YAML."""
    survey = service.get_survey(session, member.workspace, survey_id)
    return _page(request, "surveys/builder.html", member, builder.builder_context(survey, []))


@router.post("/w/{slug}/surveys/{survey_id}/edit")
async def builder_save(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked, survey_id: int
) -> Response:
    """Apply one builder action (add, change, move or delete a question; texts; YAML)."""
    survey = service.get_survey(session, member.workspace, survey_id)
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        raw, name = builder.apply_action(survey, fields)
        service.update_survey(
            session, member.workspace, survey.id, raw, name=name, actor=member.actor
        )
    except KizunaError as exc:
        # Nothing was written: the services check everything before they write.
        survey = service.get_survey(session, member.workspace, survey_id)
        context = builder.builder_context(survey, _problems(request, exc), fields)
        return _page(request, "surveys/builder.html", member, context, status_code=422)
    anchor = f"#q-{fields['question']}" if fields.get("question") else ""
    return RedirectResponse(f"{_base(member)}/{survey_id}/edit?saved=1{anchor}", status_code=303)


@router.post("/w/{slug}/surveys/{survey_id}/logo")
async def upload_logo(
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    survey_id: int,
    logo: UploadFile | None = None,
    remove: Annotated[str | None, Form()] = None,
) -> Response:
    """Upload (or remove) the logo of the answering page."""
    data = None if remove or logo is None else await logo.read(service.LOGO_MAX_BYTES + 1)
    service.set_logo(session, member.workspace, survey_id, data or None, actor=member.actor)
    return RedirectResponse(f"{_base(member)}/{survey_id}/edit?saved=1", status_code=303)


@router.get("/w/{slug}/surveys/{survey_id}/distribute")
def distribute_page(
    request: Request,
    member: Senders,
    session: SessionDep,
    kz: KizunaDep,
    survey_id: int,
    touchpoint: str = "",
) -> Response:
    """Links, QR codes, the widget, e-mail invitations, reminders and what happened to each."""
    survey = service.get_survey(session, member.workspace, survey_id)
    from kizuna.customers.segments import list_segments

    context = {
        "survey": survey,
        "tab": "distribute",
        "public_link": public_url(kz.settings, survey),
        "touchpoint": touchpoint,
        "qr_link": qr_url(kz.settings, survey, touchpoint or None),
        "widget": widget_snippet(kz.settings, survey),
        "iframe": iframe_snippet(kz.settings, survey),
        "policy": service.get_policy(session, member.workspace),
        "segments": list_segments(session, member.workspace),
        "invitations": list_invitations(session, survey, limit=50),
        "made_link": request.query_params.get("link"),
        "report": {k: v for k, v in request.query_params.items() if k in REPORT_KEYS},
    }
    return _page(request, "surveys/distribute.html", member, context)


@router.post("/w/{slug}/surveys/{survey_id}/links")
def make_link(
    request: Request,
    member: Senders,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    survey_id: int,
    customer_id: Annotated[str, Form()] = "",
    touchpoint: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
) -> Response:
    """Make a personal link (signed, single use) for a customer and a touchpoint."""
    survey = service.get_survey(session, member.workspace, survey_id)
    invitation, url = create_personal_link(
        session,
        kz.settings,
        member.workspace,
        survey,
        customer_id=int(customer_id) if customer_id.strip().isdigit() else None,
        touchpoint=touchpoint.strip() or None,
        days=int(days) if days.strip().isdigit() else None,
        actor=member.actor,
    )
    query = urlencode({"link": url} if url else {"link_skipped": invitation.skip_reason or ""})
    return RedirectResponse(
        f"{_base(member)}/{survey_id}/distribute?{query}#links", status_code=303
    )


@router.post("/w/{slug}/surveys/{survey_id}/invite")
def invite_page(
    member: Senders,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    survey_id: int,
    audience: Annotated[str, Form()] = "ids",
    customer_ids: Annotated[str, Form()] = "",
    segment_id: Annotated[str, Form()] = "",
    touchpoint: Annotated[str, Form()] = "",
) -> Response:
    """E-mail invitations to customers (listed ids, a segment, or everyone who consented)."""
    survey = service.get_survey(session, member.workspace, survey_id)
    ids = resolve_audience(session, member.workspace, audience, customer_ids, segment_id)
    report, jobs = invite_customers_now_or_later(
        session,
        kz.settings,
        member.workspace,
        survey,
        ids,
        touchpoint=touchpoint or None,
        actor=member.actor,
    )
    counts = {
        "sent": report.sent,
        "scheduled": report.scheduled,
        "already": report.already,
        "skipped": sum(report.skipped.values()),
        "queued": len(ids) if jobs else 0,
    }
    query = urlencode(counts)
    return RedirectResponse(
        f"{_base(member)}/{survey_id}/distribute?{query}#invite", status_code=303
    )


@router.post("/w/{slug}/surveys/{survey_id}/remind")
def remind_page(
    member: Senders, session: SessionDep, kz: KizunaDep, _csrf: CsrfChecked, survey_id: int
) -> Response:
    """Send the reminders that are due now."""
    survey = service.get_survey(session, member.workspace, survey_id)
    sent = send_reminders(
        session, kz.settings, member.workspace, survey_id=survey.id, actor=member.actor
    )
    return RedirectResponse(
        f"{_base(member)}/{survey_id}/distribute?reminded={sent}#invite", status_code=303
    )


@router.get("/w/{slug}/surveys/{survey_id}/qr.{fmt}")
def qr_image(
    member: Senders,
    session: SessionDep,
    kz: KizunaDep,
    survey_id: int,
    fmt: str,
    touchpoint: Annotated[str, Query(max_length=100)] = "",
    download: bool = False,
) -> Response:
    """The QR code (PNG or SVG) of the survey's link for a touchpoint."""
    survey = service.get_survey(session, member.workspace, survey_id)
    data = qr_code(kz.settings, survey, fmt, touchpoint=touchpoint or None)
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    headers = {"Cache-Control": "private, max-age=300"}
    if download:
        suffix = f"-{touchpoint}" if touchpoint else ""
        headers["Content-Disposition"] = f'attachment; filename="survey-{survey.id}{suffix}.{fmt}"'
    return Response(data, media_type=media, headers=headers)


@router.get("/w/{slug}/surveys/{survey_id}/responses")
def responses_page(
    request: Request,
    member: Readers,
    session: SessionDep,
    survey_id: int,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every response: state, channel, time, and the answers as the respondent saw them."""
    survey = service.get_survey(session, member.workspace, survey_id)
    lang = choose_language(request, request.app.state.kz.settings.language)
    rows, more = list_responses(session, survey, lang, limit=25, offset=(page - 1) * 25)
    context = {
        "survey": survey,
        "tab": "responses",
        "rows": rows,
        "page_number": page,
        "more": more,
    }
    return _page(request, "surveys/responses.html", member, context)


@router.get("/w/{slug}/surveys/{survey_id}/export.{fmt}")
def export_page(
    request: Request, member: Exporters, session: SessionDep, survey_id: int, fmt: str
) -> Response:
    """Download the responses as CSV (opens in Japanese Excel) or an Excel workbook."""
    survey = service.get_survey(session, member.workspace, survey_id)
    lang = choose_language(request, request.app.state.kz.settings.language)
    data = export_responses(session, survey, fmt, lang)
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}.{fmt}"'},
    )


@router.get("/w/{slug}/surveys/templates/{code}.yaml")
def template_download(member: Readers, code: str) -> Response:
    """A template's YAML, to start a definition from."""
    return Response(template_text(code), media_type="text/yaml; charset=utf-8")
