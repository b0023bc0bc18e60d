"""JSON routes of the feedback room: feedback batches into the API key's workspace."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kizuna.feedback.schemas import BatchResultPublic, FeedbackBatch
from kizuna.web.batch import run_batch
from kizuna.web.deps import ApiWorkspace, KizunaDep
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(tags=["feedback"], route_class=SummaryRoute)


@router.post("/feedback/batch", response_model=BatchResultPublic)
def import_feedback(
    body: FeedbackBatch, request: Request, workspace: ApiWorkspace, kz: KizunaDep
) -> BatchResultPublic:
    """Import up to 5,000 feedback records; one result per record, as a file import would give."""
    # Every record has every key (None when absent): one header, one plan in the ingest room.
    records = [record.model_dump() for record in body.records]
    language = choose_language(request, kz.settings.language)
    return run_batch(kz, workspace, "feedback", records, language, body.source)
