"""JSON routes of the topics room: topics with counts, discovery's proposals, changes.

Reading needs topics.read; accepting, dismissing, discovering and changing topics need
topics.manage. A change answers at once; past voices are relabelled by a job whose
progress is on the change (`relabel`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.jobs.queue import enqueue
from kizuna.topics.counts import topic_rows
from kizuna.topics.jobs import DiscoverTopics
from kizuna.topics.models import TopicChange, TopicProposal, TopicRelabel
from kizuna.topics.proposals import accept_proposal, dismiss_proposal, list_proposals
from kizuna.topics.schemas import (
    AcceptRequest,
    ChangePublic,
    ChangeRequest,
    CustomTopicRequest,
    DiscoverRequest,
    MergeRequest,
    ProposalPublic,
    ProposalState,
    QueuedPublic,
    RelabelPublic,
    RenameRequest,
    SplitRequest,
    TopicPublic,
)
from kizuna.topics.service import (
    SplitPart,
    add_custom_topic,
    hide_topic,
    list_changes,
    merge_topics,
    rename_topic,
    split_topic,
    undo_change,
)
from kizuna.web.deps import Caller, SessionDep, api_caller
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["change_public", "proposal_public", "router"]

router = APIRouter(route_class=SummaryRoute, tags=["topics"])

Reader = Annotated[Caller, Depends(api_caller("topics.read"))]
Manager = Annotated[Caller, Depends(api_caller("topics.manage"))]
ChangeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The change's id.")]
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The proposal's id.")]


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def proposal_public(proposal: TopicProposal) -> ProposalPublic:
    return ProposalPublic.model_validate(proposal, from_attributes=True)


def change_public(session: Session, change: TopicChange) -> ChangePublic:
    run = session.scalar(
        select(TopicRelabel)
        .where(TopicRelabel.change_id == change.id)
        .order_by(TopicRelabel.id.desc())
        .limit(1)
    )
    return ChangePublic(
        id=change.id,
        kind=change.kind,
        spec=dict(change.spec or {}),
        actor=change.actor,
        created_at=change.created_at,
        undone_at=change.undone_at,
        undone_by=change.undone_by,
        relabel=None if run is None else RelabelPublic.model_validate(run, from_attributes=True),
    )


@router.get("/topics", response_model=list[TopicPublic])
def get_topics(request: Request, caller: Reader, session: SessionDep) -> list[TopicPublic]:
    """The workspace's active topics with voices (last 30 days and all) and polarity."""
    lang = _lang(request)
    return [
        TopicPublic(
            key=row.topic.key,
            name=row.topic.name(lang),
            name_ja=row.topic.name_ja,
            name_en=row.topic.name_en,
            origin=row.topic.origin,
            keywords=list(row.topic.keywords),
            voices_30d=row.recent,
            voices=row.total,
            sentiments=row.sentiments,
        )
        for row in topic_rows(session, caller.workspace)
    ]


@router.get("/topics/proposals", response_model=list[ProposalPublic])
def get_proposals(
    caller: Reader,
    session: SessionDep,
    state: Annotated[ProposalState, Query(description="Which proposals.")] = "proposed",
) -> list[ProposalPublic]:
    """Topics discovery proposed from voices no topic matched, most voices first."""
    return [proposal_public(p) for p in list_proposals(session, caller.workspace, state)]


@router.post("/topics/proposals/discover", response_model=QueuedPublic, status_code=202)
def post_discover(body: DiscoverRequest, caller: Manager, session: SessionDep) -> QueuedPublic:
    """Queue a discovery over the recent voices (open proposals are replaced)."""
    job = enqueue(session, DiscoverTopics(days=body.days), workspace_id=caller.workspace.id)
    return QueuedPublic(job=job.id)


@router.post(
    "/topics/proposals/{proposal_id}/accept",
    response_model=ProposalPublic,
    responses={409: {"description": "Decided already, or the key is in use."}},
)
def post_accept(
    proposal_id: ProposalId,
    caller: Manager,
    session: SessionDep,
    body: Annotated[AcceptRequest | None, Body()] = None,
) -> ProposalPublic:
    """Make the proposal a custom topic (names and keywords editable); voices relabelled."""
    edits = body or AcceptRequest()
    proposal = accept_proposal(
        session,
        caller.workspace,
        proposal_id,
        key=edits.key,
        name_ja=edits.name_ja,
        name_en=edits.name_en,
        keywords=edits.keywords,
        actor=caller.actor,
    )
    return proposal_public(proposal)


@router.post(
    "/topics/proposals/{proposal_id}/dismiss",
    response_model=ProposalPublic,
    responses={409: {"description": "Decided already."}},
)
def post_dismiss(proposal_id: ProposalId, caller: Manager, session: SessionDep) -> ProposalPublic:
    """Set the proposal aside; its phrase is not proposed again."""
    return proposal_public(
        dismiss_proposal(session, caller.workspace, proposal_id, actor=caller.actor)
    )


@router.get("/topics/changes", response_model=list[ChangePublic])
def get_changes(caller: Reader, session: SessionDep) -> list[ChangePublic]:
    """Every change to the workspace's topics, newest first, with its relabel progress."""
    return [change_public(session, c) for c in list_changes(session, caller.workspace)]


@router.post(
    "/topics/changes",
    response_model=ChangePublic,
    status_code=201,
    responses={409: {"description": "A key in use, a merge into a source, parts alike."}},
)
def post_change(body: ChangeRequest, caller: Manager, session: SessionDep) -> ChangePublic:
    """Add a custom topic, or rename, merge, split or hide one; past voices relabelled."""
    ws, actor = caller.workspace, caller.actor
    if isinstance(body, CustomTopicRequest):
        change = add_custom_topic(
            session, ws, body.key, body.name_ja, body.name_en, body.keywords, actor=actor
        )
    elif isinstance(body, RenameRequest):
        change = rename_topic(session, ws, body.key, body.name_ja, body.name_en, actor=actor)
    elif isinstance(body, MergeRequest):
        change = merge_topics(
            session,
            ws,
            body.sources,
            body.target,
            name_ja=body.name_ja,
            name_en=body.name_en,
            actor=actor,
        )
    elif isinstance(body, SplitRequest):
        parts = [SplitPart(p.key, p.name_ja, p.name_en, tuple(p.keywords)) for p in body.parts]
        change = split_topic(session, ws, body.source, parts, actor=actor)
    else:
        change = hide_topic(session, ws, body.key, actor=actor)
    return change_public(session, change)


@router.post(
    "/topics/changes/{change_id}/undo",
    response_model=ChangePublic,
    responses={409: {"description": "Undone already."}},
)
def post_undo(change_id: ChangeId, caller: Manager, session: SessionDep) -> ChangePublic:
    """Take a change back; past voices are relabelled without it."""
    change = undo_change(session, caller.workspace, change_id, actor=caller.actor)
    return change_public(session, change)
