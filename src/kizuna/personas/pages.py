"""HTML routes of personas: the cards with how they were made, renaming, a segment per
persona, asking for a build, and the cards as PNG, PDF or SVG.

Pages read what the last build stored; a build is a job queued by a form. Reading needs
personas.read, renaming and building personas.manage; every form carries the CSRF token.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.errors import Conflict, InvalidInput, PermissionDenied
from kizuna.jobs.queue import enqueue
from kizuna.personas.jobs import BuildPersonas
from kizuna.personas.picture import cards_picture
from kizuna.personas.service import (
    get_persona,
    latest_run,
    list_personas,
    persona_name,
    rename_persona,
)
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("personas.read"))]
Managers = Annotated[Caller, Depends(page_member("personas.manage"))]


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _back(member: Caller, **query: str | int) -> Response:
    target = f"/w/{member.workspace.slug}/personas"
    if query:
        target += "?" + urlencode(query)
    return RedirectResponse(target, status_code=303)


@router.get("/w/{slug}/personas")
def show_personas(
    request: Request,
    member: Readers,
    session: SessionDep,
    queued: Annotated[int, Query(ge=0, le=1)] = 0,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Persona cards: who they are, what they need and feel, how they were found."""
    lang = _lang(request)
    personas = list_personas(session, member.workspace)
    run = latest_run(session, member.workspace)
    silhouettes = (
        sorted(((int(k), v) for k, v in (run.silhouettes or {}).items()), key=lambda kv: kv[0])
        if run
        else []
    )
    context = {
        "member": member,
        "nav_section": "personas",
        "personas": [(p, persona_name(p, lang)) for p in personas],
        "run": run,
        "silhouettes": silhouettes,
        "queued": bool(queued),
        "error": error,
        "may_manage": member.may("personas.manage"),
        "may_segment": member.may("segments.write"),
        "base": f"/w/{member.workspace.slug}/personas",
        "journeys": f"/w/{member.workspace.slug}/journeys",
        "tz": member.workspace.timezone,
    }
    return render_page(request, "personas/personas.html", context)


@router.post("/w/{slug}/personas/build")
def build_from_form(member: Managers, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """Queue a build of the personas (names and ids of matching personas are kept)."""
    enqueue(session, BuildPersonas(), workspace_id=member.workspace.id)
    return _back(member, queued=1)


@router.post("/w/{slug}/personas/{persona_id}/name")
def rename_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    persona_id: int,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give a persona the team's name (empty: the generated one again)."""
    try:
        rename_persona(session, member.workspace, persona_id, name, actor=member.actor)
    except InvalidInput as exc:
        return _back(member, error=exc.message(_lang(request)))
    return _back(member)


@router.post("/w/{slug}/personas/{persona_id}/segment")
def segment_from_form(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked, persona_id: int
) -> Response:
    """Save a segment of the persona's customers (it follows the persona across builds)."""
    from kizuna.customers.segments import create_segment

    if not member.may("segments.write"):
        raise PermissionDenied(
            "Saving a segment needs the right to change segments. Ask an admin.",
            "セグメントの保存にはセグメントを変更する権限が必要です。管理者に依頼してください。",
        )
    lang = _lang(request)
    persona = get_persona(session, member.workspace, persona_id)
    name = f"{persona_name(persona, lang)} (#{persona.id})"
    condition = [{"field": "persona", "op": "eq", "value": persona.id}]
    with suppress(Conflict):  # the persona's segment exists already: show the list
        create_segment(session, member.workspace, name, condition, actor=member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/segments", status_code=303)


@router.get("/w/{slug}/personas/cards.{fmt}")
def export_cards(
    request: Request,
    member: Readers,
    session: SessionDep,
    fmt: Literal["svg", "png", "pdf"],
) -> Response:
    """The persona cards on one A3 landscape page: PNG, PDF or SVG, Japanese fonts embedded."""
    body, media_type = cards_picture(session, member.workspace, _lang(request), fmt)
    filename = f"personas-{member.workspace.slug}.{fmt}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
