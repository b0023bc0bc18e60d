"""The public changelog: "お客様の声から生まれた改善", a workspace's shipped improvements,
readable without logging in (linked from every "you said, we did" e-mail). It shows titles,
descriptions, dates and how many voices asked; never a customer's words or name."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kizuna.loop.improvements import public_changelog
from kizuna.web.deps import KizunaDep, SessionDep
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/p/{slug}/changelog")
def show_changelog(request: Request, slug: str, kz: KizunaDep, session: SessionDep) -> Response:
    """Improvements born from customers' voices (public, no login)."""
    workspace = kz.workspace(session, slug)
    context = {
        "workspace": workspace,
        "items": public_changelog(session, workspace),
        "tz": workspace.timezone,
    }
    return render_page(request, "loop/changelog.html", context)
