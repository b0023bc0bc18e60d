"""JSON routes of personas: the cards, renaming, the latest build, asking for a build.

Reading needs personas.read; renaming and building need personas.manage. A build is a
job; the personas change once it has run.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from kizuna.errors import NotFound
from kizuna.jobs.queue import enqueue
from kizuna.personas.jobs import BuildPersonas
from kizuna.personas.models import Persona
from kizuna.personas.picture import cards_picture
from kizuna.personas.schemas import (
    BuildRequest,
    PersonaPublic,
    PersonaRename,
    QueuedPublic,
    RunPublic,
)
from kizuna.personas.service import (
    get_persona,
    latest_run,
    list_personas,
    persona_name,
    rename_persona,
)
from kizuna.web.deps import Caller, SessionDep, api_caller
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute, tags=["personas"])

Reader = Annotated[Caller, Depends(api_caller("personas.read"))]
Manager = Annotated[Caller, Depends(api_caller("personas.manage"))]
PersonaId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The persona's id.")]


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _public(persona: Persona, lang: str) -> PersonaPublic:
    return PersonaPublic(
        id=persona.id,
        number=persona.number,
        name=persona.name,
        display_name=persona_name(persona, lang),
        generated_name=dict(persona.generated_name or {}),
        description=dict(persona.description or {}),
        size=persona.size,
        share=persona.share,
        card=dict(persona.card or {}),
    )


@router.get("/personas", response_model=list[PersonaPublic])
def get_personas(request: Request, caller: Reader, session: SessionDep) -> list[PersonaPublic]:
    """The active personas with their cards, largest first."""
    return [_public(p, _lang(request)) for p in list_personas(session, caller.workspace)]


@router.get(
    "/personas/run",
    response_model=RunPublic,
    responses={404: {"description": "No personas yet: POST /personas/build."}},
)
def get_run(caller: Reader, session: SessionDep) -> RunPublic:
    """The latest build: method, silhouette of each candidate number, the criterion."""
    run = latest_run(session, caller.workspace)
    if run is None:
        raise NotFound(
            "No personas yet: POST /api/v1/personas/build, then ask again once the job has run.",
            "まだペルソナがありません。POST /api/v1/personas/build を呼び、ジョブの完了後に取得してください。",
        )
    return RunPublic.model_validate(run, from_attributes=True)


@router.get(
    "/personas/cards",
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/svg+xml": {}}}},
    include_in_schema=True,
)
def get_cards_picture(
    request: Request,
    caller: Reader,
    session: SessionDep,
    format: Annotated[Literal["svg", "png", "pdf"], Query()] = "pdf",
) -> Response:
    """The persona cards on one A3 landscape PDF, PNG or SVG (Japanese fonts embedded)."""
    body, media_type = cards_picture(session, caller.workspace, _lang(request), format)
    return Response(body, media_type=media_type)


@router.get("/personas/{persona_id:int}", response_model=PersonaPublic)
def get_one(
    request: Request, persona_id: PersonaId, caller: Reader, session: SessionDep
) -> PersonaPublic:
    """One persona and its card."""
    return _public(get_persona(session, caller.workspace, persona_id), _lang(request))


@router.patch("/personas/{persona_id:int}", response_model=PersonaPublic)
def patch_persona(
    request: Request,
    persona_id: PersonaId,
    body: PersonaRename,
    caller: Manager,
    session: SessionDep,
) -> PersonaPublic:
    """Give a persona the team's own name (kept across builds)."""
    persona = rename_persona(session, caller.workspace, persona_id, body.name, actor=caller.actor)
    return _public(persona, _lang(request))


@router.post("/personas/build", response_model=QueuedPublic, status_code=202)
def post_build(body: BuildRequest, caller: Manager, session: SessionDep) -> QueuedPublic:
    """Queue a build (ids and names of matching personas are kept)."""
    job = enqueue(
        session,
        BuildPersonas(seed=body.seed, n_personas=body.n_personas),
        workspace_id=caller.workspace.id,
    )
    return QueuedPublic(job=job.id)
