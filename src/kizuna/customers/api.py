"""JSON routes of the customers room, per API key workspace.

Customers and interaction batches; Customer 360 (profile, timeline, context card, next best
actions, the work list) and segments. Routes only translate HTTP to the service functions of
`profile`, `context`, `actions` and `segments`; an id of another workspace is a 404 there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from kizuna.accounts.models import Workspace
from kizuna.customers import service
from kizuna.customers.actions import action_worklist, next_best_actions
from kizuna.customers.context import context_card
from kizuna.customers.profile import customer_profile, customer_timeline
from kizuna.customers.schemas import (
    ActionPublic,
    ContextCardPublic,
    CustomerCreate,
    CustomerPagePublic,
    CustomerProfilePublic,
    CustomerPublic,
    InteractionBatch,
    InteractionRecord,
    SegmentCountPublic,
    SegmentCountRequest,
    SegmentCreate,
    SegmentCustomersPublic,
    SegmentPublic,
    SegmentUpdate,
    TimelinePagePublic,
)
from kizuna.customers.segments import (
    SEGMENT_FIELDS,
    Segment,
    count_customers,
    create_segment,
    delete_segment,
    list_segments,
    segment_customer_ids,
    update_segment,
)
from kizuna.customers.segments import (
    get_segment as find_segment,
)
from kizuna.feedback.schemas import BatchResultPublic, RecordedPublic
from kizuna.ingest.batch import run_batch
from kizuna.web.deps import Caller, KizunaDep, SessionDep, api_caller, api_workspace
from kizuna.web.fields import IsoDate
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute)

CustomerReader = Annotated[Workspace, Depends(api_workspace("customers.read"))]
CustomerWriter = Annotated[Caller, Depends(api_caller("customers.write"))]
Importer = Annotated[Caller, Depends(api_caller("imports.run"))]
ActionReader = Annotated[Workspace, Depends(api_workspace("actions.read"))]
SegmentReader = Annotated[Workspace, Depends(api_workspace("segments.read"))]
SegmentWriter = Annotated[Caller, Depends(api_caller("segments.write"))]

CustomerId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Kizuna's customer id.")]
SegmentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The segment's id.")]
AsOf = Annotated[
    IsoDate | None,
    Query(description="The day to judge on (workspace time zone); today when left out."),
]


@router.post(
    "/customers",
    response_model=CustomerPublic,
    status_code=201,
    tags=["customers"],
    response_description="Created: a new customer.",
    responses={200: {"model": CustomerPublic, "description": "Updated, or unchanged: it existed."}},
)
def create_customer(
    body: CustomerCreate,
    response: Response,
    caller: CustomerWriter,
    kz: KizunaDep,
) -> CustomerPublic:
    """Create or update one customer, validated like an imported row (200 when it existed)."""
    workspace = caller.workspace
    with kz.session() as session:
        written = service.upsert_customer(
            session, workspace, body.to_record(), source=body.source, actor=caller.actor
        )
        if written.status != "inserted":
            response.status_code = 200
        return CustomerPublic.model_validate(service.get_customer(session, workspace, written.id))


@router.get("/customers", response_model=CustomerPagePublic, tags=["customers"])
def list_customers(
    workspace: CustomerReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    offset: Annotated[int | None, Query(ge=0, description="Used when no cursor is given.")] = None,
    q: Annotated[str | None, Query(description="Part of name, e-mail or external id.")] = None,
    email: Annotated[str | None, Query(description="Exact e-mail address.")] = None,
) -> CustomerPagePublic:
    """List the workspace's customers, a page at a time."""
    page = service.list_customers(
        session, workspace, limit=limit, cursor=cursor, offset=offset, q=q, email=email
    )
    return CustomerPagePublic(
        items=[CustomerPublic.model_validate(c) for c in page.items],
        next_cursor=page.next_cursor,
        limit=limit,
    )


@router.get("/customers/{customer_id}", response_model=CustomerPublic, tags=["customers"])
def get_customer(
    customer_id: CustomerId, workspace: CustomerReader, session: SessionDep
) -> CustomerPublic:
    """Get one customer of the workspace."""
    return CustomerPublic.model_validate(service.get_customer(session, workspace, customer_id))


@router.post("/interactions/batch", response_model=BatchResultPublic, tags=["interactions"])
def import_interactions(
    body: InteractionBatch, request: Request, caller: Importer, kz: KizunaDep
) -> Response:
    """Import up to 5,000 interactions; one result per record, as a file import would give."""
    # Every record has every field (None when absent): one plan, converted field by field.
    language = choose_language(request, kz.settings.language)
    answer = run_batch(
        kz, caller.workspace, "interactions", body.records, language, body.source, caller.actor
    )
    # Already JSON in BatchResultPublic's shape: not validated and serialised again.
    return Response(answer.body, media_type="application/json")


@router.post(
    "/interactions",
    response_model=RecordedPublic,
    status_code=201,
    tags=["interactions"],
    response_description="Created: a new interaction.",
    responses={200: {"model": RecordedPublic, "description": "The same key was already stored."}},
)
def record_one_interaction(
    body: InteractionRecord, response: Response, caller: CustomerWriter, session: SessionDep
) -> RecordedPublic:
    """Record one interaction now (201; 200 when the same key was already stored)."""
    record = body.model_dump(exclude={"source"})
    written = service.record_interaction(
        session, caller.workspace, record, source=body.source, actor=caller.actor
    )
    if written.status != "inserted":
        response.status_code = 200
    return RecordedPublic(id=written.id, status=written.status, external_id=written.external_id)


@router.get(
    "/customers/{customer_id}/profile", response_model=CustomerProfilePublic, tags=["customer 360"]
)
def get_customer_profile(
    customer_id: CustomerId, workspace: CustomerReader, session: SessionDep
) -> CustomerProfilePublic:
    """Get one person: records of the group, identities with sources, scores and stage.

    A merged record's id gives its surviving customer's profile.
    """
    profile = customer_profile(session, workspace, customer_id)
    return CustomerProfilePublic.model_validate(profile)


@router.get(
    "/customers/{customer_id}/timeline", response_model=TimelinePagePublic, tags=["customer 360"]
)
def get_customer_timeline(
    customer_id: CustomerId,
    workspace: CustomerReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> TimelinePagePublic:
    """List the person's interactions and feedback, newest first, a page at a time."""
    page = customer_timeline(session, workspace, customer_id, limit=limit, cursor=cursor)
    return TimelinePagePublic.model_validate(page)


@router.get(
    "/customers/{customer_id}/context", response_model=ContextCardPublic, tags=["customer 360"]
)
def get_context_card(
    customer_id: CustomerId, workspace: CustomerReader, session: SessionDep, as_of: AsOf = None
) -> ContextCardPublic:
    """Get the context card frontline staff read before talking to the customer."""
    card = context_card(session, workspace, customer_id, as_of=as_of)
    return ContextCardPublic.model_validate(card)


@router.get(
    "/customers/{customer_id}/actions", response_model=list[ActionPublic], tags=["customer 360"]
)
def get_next_best_actions(
    customer_id: CustomerId, workspace: CustomerReader, session: SessionDep, as_of: AsOf = None
) -> list[ActionPublic]:
    """List the next best actions for one customer, most urgent first."""
    actions = next_best_actions(session, workspace, customer_id, as_of=as_of)
    return [ActionPublic.model_validate(action) for action in actions]


@router.get("/actions", response_model=list[ActionPublic], tags=["customer 360"])
def get_action_worklist(
    workspace: ActionReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    code: Annotated[
        list[str] | None, Query(description="Only these action codes (repeat the parameter).")
    ] = None,
    as_of: AsOf = None,
) -> list[ActionPublic]:
    """List the work list: every customer's actions, most urgent first."""
    actions = action_worklist(session, workspace, as_of=as_of, limit=limit, codes=code or None)
    return [ActionPublic.model_validate(action) for action in actions]


def _segment_public(segment: Segment, customers: int) -> SegmentPublic:
    return SegmentPublic(
        id=segment.id,
        name=segment.name,
        conditions=list(segment.conditions),
        customers=customers,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


@router.get("/segments/fields", response_model=dict[str, str], tags=["segments"])
def get_segment_fields(workspace: SegmentReader) -> dict[str, str]:
    """List the fields a condition can use, with their types."""
    return dict(SEGMENT_FIELDS)


@router.get("/segments", response_model=list[SegmentPublic], tags=["segments"])
def get_segments(workspace: SegmentReader, session: SessionDep) -> list[SegmentPublic]:
    """List the workspace's segments with live counts."""
    return [_segment_public(seg, n) for seg, n in list_segments(session, workspace)]


@router.post(
    "/segments",
    response_model=SegmentPublic,
    status_code=201,
    tags=["segments"],
    responses={409: {"description": "Another segment has this name."}},
)
def post_segment(body: SegmentCreate, caller: SegmentWriter, session: SessionDep) -> SegmentPublic:
    """Save a segment; 422 names the condition that is not valid."""
    workspace = caller.workspace
    conditions = [c.model_dump() for c in body.conditions]
    segment = create_segment(session, workspace, body.name, conditions, actor=caller.actor)
    return _segment_public(segment, count_customers(session, workspace, conditions))


@router.post("/segments/count", response_model=SegmentCountPublic, tags=["segments"])
def count_segment(
    body: SegmentCountRequest, workspace: SegmentReader, session: SessionDep
) -> SegmentCountPublic:
    """Count the customers that meet conditions, without saving (live counts while editing)."""
    conditions = [c.model_dump() for c in body.conditions]
    return SegmentCountPublic(customers=count_customers(session, workspace, conditions))


@router.get("/segments/{segment_id:int}", response_model=SegmentPublic, tags=["segments"])
def show_segment(
    segment_id: SegmentId, workspace: SegmentReader, session: SessionDep
) -> SegmentPublic:
    """Get one segment with its live count."""
    segment = find_segment(session, workspace, segment_id)
    return _segment_public(segment, count_customers(session, workspace, segment.conditions))


@router.patch(
    "/segments/{segment_id:int}",
    response_model=SegmentPublic,
    tags=["segments"],
    responses={409: {"description": "Another segment has this name."}},
)
def patch_segment(
    segment_id: SegmentId, body: SegmentUpdate, caller: SegmentWriter, session: SessionDep
) -> SegmentPublic:
    """Rename a segment or replace its conditions."""
    workspace = caller.workspace
    conditions = None if body.conditions is None else [c.model_dump() for c in body.conditions]
    segment = update_segment(
        session, workspace, segment_id, name=body.name, conditions=conditions, actor=caller.actor
    )
    return _segment_public(segment, count_customers(session, workspace, segment.conditions))


@router.delete("/segments/{segment_id:int}", status_code=204, tags=["segments"])
def remove_segment(segment_id: SegmentId, caller: SegmentWriter, session: SessionDep) -> Response:
    """Delete a segment (customers are not touched)."""
    workspace = caller.workspace
    delete_segment(session, workspace, segment_id, actor=caller.actor)
    return Response(status_code=204)


@router.get(
    "/segments/{segment_id}/customers", response_model=SegmentCustomersPublic, tags=["segments"]
)
def get_segment_customers(
    segment_id: SegmentId,
    workspace: SegmentReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SegmentCustomersPublic:
    """List a page of the segment's customers (surviving records only)."""
    segment = find_segment(session, workspace, segment_id)
    ids = segment_customer_ids(session, workspace, segment.conditions, limit=limit, offset=offset)
    found = service.get_customers_by_ids(session, workspace, ids)
    return SegmentCustomersPublic(
        segment_id=segment.id,
        items=[CustomerPublic.model_validate(found[i]) for i in ids if i in found],
        limit=limit,
        offset=offset,
    )
