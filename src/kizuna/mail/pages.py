"""Public unsubscribe pages: `/u/{token}`, the link every customer e-mail carries.

No login and no permission: the signed token is the proof (`kizuna.mail.unsubscribe`).
GET only shows a confirmation with a button, because mail scanners and link previews
fetch every link in a message and must not unsubscribe anyone. POST unsubscribes; it is
also what a mail client sends for RFC 8058 one-click unsubscribe (body
`List-Unsubscribe=One-Click`), which is why it takes no CSRF token: the client cannot have one,
and a forger would need the token, which only the recipient's mail holds. Pages are in the
mail's language (carried by the token); a broken token gets a friendly 400 page in the
browser's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from kizuna.accounts.models import Workspace
from kizuna.mail.errors import InvalidUnsubscribeLink
from kizuna.mail.unsubscribe import (
    UnsubscribeTarget,
    is_digest_suppressed,
    read_unsubscribe_token,
    suppress_digest,
)
from kizuna.web.deps import SessionDep
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# Personal links: not cached, not indexed.
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@router.get("/u/{token}")
def confirm_unsubscribe(request: Request, session: SessionDep, token: str) -> Response:
    """Ask the recipient to confirm they want no more customer e-mail."""
    target = _target(request, token)
    if target is None:
        return _invalid(request)
    workspace = session.get(Workspace, target.workspace_id)
    already = workspace is not None and is_digest_suppressed(
        session, workspace_id=target.workspace_id, digest=target.address_digest
    )
    view = "done" if workspace is None or already else "confirm"
    return _page(request, target, view, workspace)


@router.post("/u/{token}")
def unsubscribe(
    request: Request,
    session: SessionDep,
    token: str,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe")] = None,
) -> Response:
    """Stop customer e-mail to the link's address (also RFC 8058 one-click)."""
    target = _target(request, token)
    if target is None:
        return _invalid(request)
    workspace = session.get(Workspace, target.workspace_id)
    if workspace is not None:  # a deleted workspace sends nothing any more anyway
        suppress_digest(
            session,
            workspace_id=target.workspace_id,
            digest=target.address_digest,
            reason="one_click" if one_click == "One-Click" else "link",
        )
    return _page(request, target, "done", workspace)


def _target(request: Request, token: str) -> UnsubscribeTarget | None:
    try:
        return read_unsubscribe_token(request.app.state.kz.settings, token)
    except InvalidUnsubscribeLink:
        return None


def _page(
    request: Request, target: UnsubscribeTarget, view: str, workspace: Workspace | None
) -> Response:
    lang = target.language
    context = {
        "view": view,
        "lang": lang,
        "_": request.app.state.catalogs.gettext(lang),
        "workspace_name": workspace.name if workspace is not None else "",
        "token_path": request.url.path,
    }
    return render_page(request, "mail/unsubscribe.html", context, headers=_HEADERS)


def _invalid(request: Request) -> Response:
    lang = choose_language(request, request.app.state.kz.settings.language)
    error = InvalidUnsubscribeLink()
    context = {"view": "invalid", "lang": lang, "message": error.message(lang)}
    return render_page(
        request, "mail/unsubscribe.html", context, status_code=error.status, headers=_HEADERS
    )
