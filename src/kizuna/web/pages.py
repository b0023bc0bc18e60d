"""The shell's own HTML routes: the root (to the user's workspace) and the language switch.

Feature pages (login in accounts, the home in reports, customers, ...) come from the
registry. Every POST form carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.accounts.service import workspaces_of
from kizuna.errors import PermissionDenied
from kizuna.web.deps import CsrfChecked, SessionDep
from kizuna.web.i18n import LANGUAGES

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths: `//evil.example` or `https://...` would be an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/")
def show_root(request: Request, session: SessionDep) -> Response:
    """The user's first workspace, or the login page."""
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        return RedirectResponse("/login", status_code=303)
    spaces = workspaces_of(session, user)
    if not spaces:
        raise PermissionDenied(
            "You are not a member of any workspace yet. Ask a workspace owner to add you.",
            "まだどのワークスペースにも参加していません。ワークスペースのオーナーに追加を依頼してください。",
        )
    return RedirectResponse(f"/w/{spaces[0].slug}/", status_code=303)


@router.post("/lang")
def switch_language(
    request: Request,
    _csrf: CsrfChecked,
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Show pages in another language for this session."""
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return RedirectResponse(safe_next(next), status_code=303)
