"""JSON routes of the feedback room: one voice, or a batch, into the API key's workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from kizuna.feedback.schemas import BatchResultPublic, FeedbackBatch, RecordedPublic, VoiceCreate
from kizuna.feedback.service import record_voice
from kizuna.ingest.batch import run_batch
from kizuna.web.deps import Caller, KizunaDep, SessionDep, api_caller
from kizuna.web.i18n import choose_language
from kizuna.web.model_body import ModelBodyRoute
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(tags=["feedback"], route_class=SummaryRoute)

Importer = Annotated[Caller, Depends(api_caller("imports.run"))]
Writer = Annotated[Caller, Depends(api_caller("feedback.write"))]


async def import_feedback(
    body: FeedbackBatch, request: Request, caller: Importer, kz: KizunaDep
) -> Response:
    """Import up to 5,000 feedback records; one result per record, as a file import would give."""
    # Every record has every field (None when absent): one plan, converted field by field.
    # The body is validated straight from its bytes (ModelBodyRoute); the dependencies run on
    # the event loop, so the batch's database work is the call's one worker-thread hop.
    language = choose_language(request, kz.settings.language)
    answer = await run_in_threadpool(
        run_batch,
        kz,
        caller.workspace,
        "feedback",
        body.records,
        language,
        body.source,
        caller.actor,
    )
    # Already JSON in BatchResultPublic's shape: not validated and serialised again.
    return Response(answer.body, media_type="application/json")


router.add_api_route(
    "/feedback/batch",
    import_feedback,
    methods=["POST"],
    response_model=BatchResultPublic,
    route_class_override=ModelBodyRoute,
)


@router.post(
    "/feedback",
    response_model=RecordedPublic,
    status_code=201,
    response_description="Created: a new voice.",
    responses={200: {"model": RecordedPublic, "description": "The same key was already stored."}},
)
def record_one_voice(
    body: VoiceCreate, response: Response, caller: Writer, session: SessionDep
) -> RecordedPublic:
    """Record one voice now (201; 200 when the same key was already stored).

    Validated like an imported row; it is analysed in the background like any other voice.
    """
    record = body.model_dump(exclude={"source"})
    written = record_voice(
        session, caller.workspace, record, source=body.source, actor=caller.actor
    )
    if written.status != "inserted":
        response.status_code = 200
    return RecordedPublic(id=written.id, status=written.status, external_id=written.external_id)
