"""The text models admin page: which engine reads this workspace's voices, and why.

Each trained model with its figures (cross-validated macro-F1 on the workspace's scored
comments against the built-in engine's, and macro-F1 on the sentences the team labelled
against the built-in engine's: the evidence it was adopted on), which one is in use, and
a switch back to the built-in engine. A model is adopted only by `kizuna text train --sentences FILE`, on
sentence-level evidence; switching off is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.analytics.text.accurate import accurate_version
from kizuna.analytics.text.engine import ENGINE_VERSION
from kizuna.text.service import list_models, switch_off_model, training_evidence
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Managers = Annotated[Caller, Depends(page_member("text.manage"))]


@router.get("/w/{slug}/admin/text")
def show_models(request: Request, member: Managers, session: SessionDep, kz: KizunaDep) -> Response:
    """The built-in engine and the workspace's trained models, with their figures."""
    models = list_models(session, member.workspace.id)
    builtin = ENGINE_VERSION
    if kz.settings.text_tier == "accurate":  # KIZUNA_TEXT_TIER, KIZUNA_TEXT_ACCURATE_MODEL
        builtin = f"{ENGINE_VERSION}+{accurate_version(kz.settings.text_accurate_model)}"
    context = {
        "member": member,
        "nav_section": "text-models",
        "models": models,
        "evidence": training_evidence(session, member.workspace.id),
        "active": next((m for m in models if m.active), None),
        "engine_version": builtin,
    }
    return render_page(request, "text/models.html", context)


@router.post("/w/{slug}/admin/text/off")
def switch_off(member: Managers, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """Analyse new voices with the built-in engine again."""
    switch_off_model(session, member.workspace, member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/text", status_code=303)
