"""JSON routes of the customers room: customers and interaction batches, per API key workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from kizuna.customers import service
from kizuna.customers.schemas import (
    CustomerCreate,
    CustomerPagePublic,
    CustomerPublic,
    InteractionBatch,
)
from kizuna.errors import InvalidInput
from kizuna.feedback.schemas import BatchResultPublic
from kizuna.web.batch import run_batch
from kizuna.web.deps import ApiWorkspace, KizunaDep, SessionDep
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute)

CustomerId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Kizuna's customer id.")]


@router.post("/customers", response_model=CustomerPublic, status_code=201, tags=["customers"])
def create_customer(
    body: CustomerCreate,
    request: Request,
    response: Response,
    workspace: ApiWorkspace,
    kz: KizunaDep,
) -> CustomerPublic:
    """Create or update one customer, validated like an imported row."""
    language = choose_language(request, kz.settings.language)
    result = run_batch(kz, workspace, "customers", [body.to_record()], language, body.source)
    row = result.rows[0]
    if row.status == "rejected" or row.id is None:
        raise InvalidInput(
            row.reason or "The customer was rejected. Fix the fields and send it again.",
            row.reason
            or "顧客データが受け付けられませんでした。項目を直してもう一度送ってください。",
            reason_code=row.reason_code,
            line=row.line,
        )
    if row.status != "inserted":
        response.status_code = 200
    with kz.session() as session:
        return CustomerPublic.model_validate(service.get_customer(session, workspace, row.id))


@router.get("/customers", response_model=CustomerPagePublic, tags=["customers"])
def list_customers(
    workspace: ApiWorkspace,
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
    customer_id: CustomerId, workspace: ApiWorkspace, session: SessionDep
) -> CustomerPublic:
    """Get one customer of the workspace."""
    return CustomerPublic.model_validate(service.get_customer(session, workspace, customer_id))


@router.post("/interactions/batch", response_model=BatchResultPublic, tags=["interactions"])
def import_interactions(
    body: InteractionBatch, request: Request, workspace: ApiWorkspace, kz: KizunaDep
) -> BatchResultPublic:
    """Import up to 5,000 interactions; one result per record, as a file import would give."""
    # Every record has every key (None when absent): one header, one plan in the ingest room.
    records = [record.model_dump() for record in body.records]
    language = choose_language(request, kz.settings.language)
    return run_batch(kz, workspace, "interactions", records, language, body.source)
