"""HTML routes of accounts for people who are not in yet: log in, log out, accept an invitation.

Every POST form carries the session's CSRF token. Login failures are rate limited per
client address and e-mail. An invitation link (`/invite/{token}`) shows whom it is for and
lets a new user choose a password; accepting it logs them in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.audit import record_audit
from kizuna.accounts.members import accept_invitation, find_invitation
from kizuna.accounts.models import User
from kizuna.accounts.service import authenticate_user, workspaces_of
from kizuna.errors import AuthenticationFailed, KizunaError
from kizuna.web.deps import CsrfChecked, SessionDep
from kizuna.web.errors import TooManyAttempts
from kizuna.web.i18n import choose_language
from kizuna.web.pages import safe_next
from kizuna.web.templating import csrf_token_of, render_page

__all__ = ["router", "start_session"]

router = APIRouter(include_in_schema=False)


def _client_key(request: Request, email: str) -> str:
    host = request.client.host if request.client else "unknown"
    return f"{host}|{email.strip().lower()}"


def start_session(request: Request, user: User) -> None:
    # A fresh session at login: a token planted before login is worth nothing after it.
    request.session.clear()
    request.session.update({"user_id": user.id, "email": user.email, "lang": user.language})
    csrf_token_of(request)


@router.get("/login")
def show_login(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render_page(request, "accounts/login.html", {"next": safe_next(next), "email": ""})


@router.post("/login")
def log_in(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the e-mail and password, start a session and go to the page asked for."""
    throttles = [
        (request.app.state.login_throttle, _client_key(request, email)),
        (request.app.state.address_throttle, "address|" + _client_key(request, "")),
    ]
    wait = max(throttle.wait_seconds(session, key) for throttle, key in throttles)
    if wait:
        raise TooManyAttempts(wait)
    try:
        user = authenticate_user(session, email, password)
    except AuthenticationFailed as exc:
        for throttle, key in throttles:
            throttle.record_failure(session, key)
        lang = choose_language(request, request.app.state.kz.settings.language)
        context = {"next": safe_next(next), "email": email, "error": exc.message(lang)}
        return render_page(request, "accounts/login.html", context, status_code=401)
    request.app.state.login_throttle.reset(session, throttles[0][1])
    start_session(request, user)
    for workspace in workspaces_of(session, user):
        record_audit(session, workspace, actor=f"user:{user.id}", action="user.login")
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def log_out(request: Request, _csrf: CsrfChecked) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _invitation_page(
    request: Request, session: SessionDep, token: str, error: str | None = None, status: int = 200
) -> Response:
    invitation, workspace = find_invitation(session, token)
    known = session.query(User.id).filter(User.email == invitation.email).first() is not None
    context = {
        "invitation": invitation,
        "workspace": workspace,
        "token": token,
        "known_user": known,
        "error": error,
    }
    return render_page(request, "accounts/invitation.html", context, status_code=status)


@router.get("/invite/{token}")
def show_invitation(request: Request, session: SessionDep, token: str) -> Response:
    """Whom the invitation is for, and a form to join (choosing a password if new)."""
    return _invitation_page(request, session, token)


@router.post("/invite/{token}")
def join_by_invitation(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    token: str,
    password: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    """Accept the invitation, log in and open the workspace."""
    try:
        with session.begin_nested():
            user, workspace = accept_invitation(session, token, password or None, display_name)
    except KizunaError as exc:
        if exc.status >= 500:
            raise
        lang = choose_language(request, request.app.state.kz.settings.language)
        return _invitation_page(request, session, token, exc.message(lang), status=exc.status)
    start_session(request, user)
    return RedirectResponse(f"/w/{workspace.slug}/", status_code=303)
