"""JSON routes of improvements ("you said, we did") and praise (under /api/v1, included by
`kizuna.loop.api.router`): the voices that ask for a change and the voices that thank."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from kizuna.loop.api_annotations import (
    STALE,
    CaseManager,
    Id,
    ImprovementManager,
    ImprovementReader,
    ImprovementStatus,
    PraiseKind,
    PraiseReader,
    RefId,
)
from kizuna.loop.improvements import (
    change_improvement,
    create_improvement,
    get_improvement,
    improvement_effect,
    link_voices,
    linked_voices,
    list_improvements,
    suggest_voices,
    unlink_voice,
)
from kizuna.loop.praise import create_praise_target, list_praise, list_praise_targets
from kizuna.loop.presenters import improvement_dict
from kizuna.web.deps import SessionDep
from kizuna.web.fields import StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = [
    "ImprovementCreate",
    "ImprovementUpdate",
    "Links",
    "TargetCreate",
    "delete_link",
    "get_improvements",
    "get_one_improvement",
    "get_praise",
    "get_praise_targets",
    "get_suggestions",
    "patch_improvement",
    "post_improvement",
    "post_links",
    "post_praise_target",
    "router",
]

router = APIRouter(route_class=SummaryRoute)


class ImprovementCreate(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    department_id: RefId | None = None
    topic: str | None = None
    public: bool = True


class ImprovementUpdate(StrictBody):
    version: int | None = None
    status: ImprovementStatus | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    department_id: RefId | None = None
    topic: str | None = None
    public: bool | None = None


class Links(StrictBody):
    feedback_ids: list[RefId] = Field(min_length=1, max_length=10_000)


@router.get("/improvements", tags=["improvements"])
def get_improvements(
    caller: ImprovementReader, session: SessionDep, status: ImprovementStatus | None = None
) -> list[dict[str, Any]]:
    """Improvements with how many voices asked for each."""
    return [improvement_dict(i, n) for i, n in list_improvements(session, caller.workspace, status)]


@router.post("/improvements", status_code=201, tags=["improvements"])
def post_improvement(
    body: ImprovementCreate, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Create an improvement (as an idea)."""
    made = create_improvement(
        session,
        caller.workspace,
        body.title,
        body.description,
        department_id=body.department_id,
        topic=body.topic,
        public=body.public,
        actor=caller.actor,
    )
    return improvement_dict(made, 0)


@router.get("/improvements/{improvement_id}", tags=["improvements"])
def get_one_improvement(
    improvement_id: Id, caller: ImprovementReader, session: SessionDep
) -> dict[str, Any]:
    """An improvement, its voices and its before/after."""
    improvement = get_improvement(session, caller.workspace, improvement_id)
    voices = linked_voices(session, caller.workspace, improvement.id)
    effect = improvement_effect(session, caller.workspace, improvement.id)
    return {
        **improvement_dict(improvement, len(voices)),
        "voices": [{**v.__dict__, "received_at": v.received_at.isoformat()} for v in voices],
        "effect": effect.__dict__,
    }


@router.patch("/improvements/{improvement_id}", tags=["improvements"], responses=STALE)
def patch_improvement(
    improvement_id: Id, body: ImprovementUpdate, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Edit or move an improvement; shipped tells its contributors once."""
    changed = change_improvement(
        session,
        caller.workspace,
        improvement_id,
        version=body.version,
        status=body.status,
        title=body.title,
        description=body.description,
        department_id=body.department_id,
        topic=body.topic,
        public=body.public,
        actor=caller.actor,
    )
    return improvement_dict(changed, len(linked_voices(session, caller.workspace, changed.id)))


@router.post("/improvements/{improvement_id}/links", tags=["improvements"])
def post_links(
    improvement_id: Id, body: Links, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Link voices to an improvement."""
    added = link_voices(
        session, caller.workspace, improvement_id, body.feedback_ids, actor=caller.actor
    )
    return {"added": added}


@router.delete(
    "/improvements/{improvement_id}/links/{feedback_id}", status_code=204, tags=["improvements"]
)
def delete_link(
    improvement_id: Id, feedback_id: Id, caller: ImprovementManager, session: SessionDep
) -> None:
    """Unlink a voice."""
    unlink_voice(session, caller.workspace, improvement_id, feedback_id, actor=caller.actor)


@router.get("/improvements/{improvement_id}/suggestions", tags=["improvements"])
def get_suggestions(
    improvement_id: Id, caller: ImprovementReader, session: SessionDep
) -> list[dict[str, Any]]:
    """Voices like this improvement (same topic, similar words), with quotes."""
    return [
        {**s.__dict__, "received_at": s.received_at.isoformat()}
        for s in suggest_voices(session, caller.workspace, improvement_id)
    ]


# --- praise ----------------------------------------------------------------------------------


class TargetCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    kind: PraiseKind = "staff"
    aliases: list[str] = Field(default_factory=list)
    department_id: RefId | None = None
    digest_emails: list[str] = Field(default_factory=list)


@router.get("/praise", tags=["loop"])
def get_praise(
    caller: PraiseReader,
    session: SessionDep,
    target_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The praise feed, newest first."""
    return [
        {
            "target_id": p.target.id,
            "target": p.target.name,
            "kind": p.target.kind,
            "feedback_id": p.feedback_id,
            "text": p.text,
            "channel": p.channel,
            "received_at": p.received_at.isoformat(),
        }
        for p in list_praise(session, caller.workspace, target_id=target_id, limit=limit)
    ]


@router.get("/praise/targets", tags=["loop"])
def get_praise_targets(caller: PraiseReader, session: SessionDep) -> list[dict[str, Any]]:
    """Staff, teams, roles and stores that voices may praise."""
    return [
        {
            "id": t.id,
            "name": t.name,
            "kind": t.kind,
            "aliases": t.aliases,
            "department_id": t.department_id,
        }
        for t in list_praise_targets(session, caller.workspace)
    ]


@router.post("/praise/targets", status_code=201, tags=["loop"])
def post_praise_target(
    body: TargetCreate, caller: CaseManager, session: SessionDep
) -> dict[str, Any]:
    """Add a praise target (with the names customers use, and digest addresses)."""
    target = create_praise_target(
        session,
        caller.workspace,
        body.name,
        kind=body.kind,
        aliases=body.aliases,
        department_id=body.department_id,
        digest_emails=body.digest_emails,
        actor=caller.actor,
    )
    return {"id": target.id, "name": target.name}
