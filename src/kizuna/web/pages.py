"""HTML routes: login, logout, language switch and the workspace home page.

Pages need a logged-in user who is a member of the workspace; every POST form carries the
session's CSRF token. Login failures are rate limited per client address and e-mail.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.accounts.service import authenticate_user, record_audit, workspaces_of
from kizuna.app import Kizuna
from kizuna.errors import AuthenticationFailed, PermissionDenied
from kizuna.web.deps import CsrfChecked, KizunaDep, Member, PageMember, PageUser, SessionDep
from kizuna.web.errors import TooManyAttempts
from kizuna.web.home import METRIC_SPECS, WINDOWS, build_chart_data, build_home
from kizuna.web.i18n import LANGUAGES, choose_language
from kizuna.web.templating import csrf_token_of, render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: `//evil.example` or `https://...` would be an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _client_key(request: Request, email: str) -> str:
    host = request.client.host if request.client else "unknown"
    return f"{host}|{email.strip().lower()}"


def _start_session(request: Request, user: User) -> None:
    # A fresh session at login: a token planted before login is worth nothing after it.
    request.session.clear()
    request.session.update({"user_id": user.id, "email": user.email, "lang": user.language})
    csrf_token_of(request)


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


@router.get("/login")
def show_login(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render_page(request, "login.html", {"next": _safe_next(next), "email": ""})


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
    throttle = request.app.state.login_throttle
    key = _client_key(request, email)
    wait = throttle.wait_seconds(session, key)
    if wait:
        raise TooManyAttempts(wait)
    try:
        user = authenticate_user(session, email, password)
    except AuthenticationFailed as exc:
        throttle.record_failure(session, key)
        lang = choose_language(request, request.app.state.kz.settings.language)
        context = {"next": _safe_next(next), "email": email, "error": exc.message(lang)}
        return render_page(request, "login.html", context, status_code=401)
    throttle.reset(session, key)
    _start_session(request, user)
    for workspace in workspaces_of(session, user):
        record_audit(session, workspace, actor=f"user:{user.id}", action="user.login")
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def log_out(request: Request, _csrf: CsrfChecked) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


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
    return RedirectResponse(_safe_next(next), status_code=303)


def _home_context(request: Request, kz: Kizuna, member: Member, months: int) -> dict[str, Any]:
    view = build_home(kz, member.workspace, months)
    lang = choose_language(request, kz.settings.language)
    _ = request.app.state.catalogs.gettext(lang)
    return {
        "view": view,
        "member": member,
        "windows": WINDOWS,
        "metric_specs": METRIC_SPECS,
        "charts": build_chart_data(view, lang, _),
    }


@router.get("/w/{slug}/")
def show_home(
    request: Request,
    member: PageMember,
    user: PageUser,
    session: SessionDep,
    kz: KizunaDep,
    months: Annotated[int, Query()] = 12,
) -> Response:
    """The workspace's home: NPS, CSAT and CES with intervals, monthly NPS, volume by channel."""
    context = _home_context(request, kz, member, months)
    context["workspaces"] = workspaces_of(session, user)
    return render_page(request, "home.html", context)


@router.get("/w/{slug}/partials/metrics")
def show_home_metrics(
    request: Request, member: PageMember, kz: KizunaDep, months: Annotated[int, Query()] = 12
) -> Response:
    """The home page's figures alone, for HTMX to swap in when the window changes."""
    return render_page(request, "_home_metrics.html", _home_context(request, kz, member, months))
