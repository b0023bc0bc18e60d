"""One error handler for the web (STYLE.md #8): JSON for /api, an HTML page for pages.

    KizunaError (kizuna.errors)       the services' errors, shown as they are
    ├── LoginRequired    401          a page needs a login: pages redirect to /login
    ├── CsrfFailed       403          a form without the session's token: reload the page
    └── TooManyAttempts  429          login rate limit

FastAPI's validation errors, unknown routes and unexpected exceptions become the same shape,
`{"error": {"code", "message", "details"}}`, in the user's language; a traceback is logged,
never shown.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match

from kizuna.errors import AuthenticationFailed, KizunaError, PermissionDenied
from kizuna.web.i18n import choose_language
from kizuna.web.templating import TEMPLATE_DIR, render_page

__all__ = [
    "CsrfFailed",
    "LoginRequired",
    "TooManyAttempts",
    "install_error_handlers",
    "wants_json",
]

log = logging.getLogger("kizuna.web")


class LoginRequired(AuthenticationFailed):
    code = "login_required"

    def __init__(self) -> None:
        super().__init__(
            "Please log in to see this page.",
            "このページを見るにはログインしてください。",
        )


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or was not sent from Kizuna. Reload the page and try again.",
            "フォームの有効期限が切れたか、Kizuna 以外から送信されました。ページを再読み込みしてもう一度お試しください。",
        )


class TooManyAttempts(KizunaError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, wait_seconds: int) -> None:
        minutes = max(1, round(wait_seconds / 60))
        super().__init__(
            f"Too many failed logins. Wait {minutes} minute(s) and try again.",
            f"ログインの失敗が続いています。{minutes} 分ほど待ってからもう一度お試しください。",
            retry_after=wait_seconds,
        )


_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: (
        "malformed_body",
        "The request body could not be read. Check that it is well formed (for the API: "
        "JSON in UTF-8) and send it again.",
        "リクエストの本文を読み取れませんでした。形式(API では UTF-8 の JSON)を確認して、"
        "もう一度送ってください。",
    ),
    404: (
        "not_found",
        "This page does not exist. Check the address, or go back to the home page.",
        "このページは存在しません。アドレスを確認するか、ホームに戻ってください。",
    ),
    413: (
        "payload_too_large",
        "The request is too large. Split it, or import large data from a file with "
        "`kizuna import`.",
        "要求が大きすぎます。分割して送るか、大きなデータは `kizuna import` でファイルから"
        "取り込んでください。",
    ),
    405: (
        "method_not_allowed",
        "This address does not accept that method. Check the API documentation at /api/docs.",
        "このアドレスはそのメソッドを受け付けません。/api/docs の API ドキュメントを確認してください。",
    ),
}


def _headers(status: int, error: dict[str, Any]) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "APIKey"}
    details = error.get("details")
    if status in (429, 503) and isinstance(details, dict) and "retry_after" in details:
        return {"Retry-After": str(int(details["retry_after"]))}  # RFC 9110 §10.2.3
    return None


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages answer HTML."""
    path = request.url.path
    return (path.startswith("/api/") and not path.startswith("/api/docs")) or path == "/healthz"


def _respond(
    request: Request, status: int, body: dict[str, Any], extra: dict[str, str] | None = None
) -> Response:
    language = choose_language(request, request.app.state.kz.settings.language)
    error = body["error"]
    if wants_json(request):
        headers = {**(_headers(status, error) or {}), **(extra or {})}
        return JSONResponse(body, status_code=status, headers=headers or None)
    if status == 401:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    name = f"{status}.html" if (TEMPLATE_DIR / f"{status}.html").is_file() else "error.html"
    if request.headers.get("hx-request"):
        name = "_error.html"
    context = {"status": status, "error": error, "lang": language}
    return render_page(request, name, context, status_code=status, headers=_headers(status, error))


async def handle_kizuna_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KizunaError)
    language = choose_language(request, request.app.state.kz.settings.language)
    return _respond(request, exc.status, exc.to_dict(language))


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    where = ".".join(details[0]["loc"]) if details else ""
    error = KizunaError(
        f"The request is not valid ({where}: {details[0]['msg'] if details else ''}). "
        "Fix the fields listed in details and send it again.",
        f"リクエストの内容が正しくありません({where})。details に示された項目を直して、もう一度送ってください。",
    )
    language = choose_language(request, request.app.state.kz.settings.language)
    body = {
        "error": {"code": "invalid_input", "message": error.message(language), "details": details}
    }
    return _respond(request, 422, body)


def _allowed_methods(request: Request) -> str:
    """Every method the address takes, over all its routes (Allow, RFC 9110 §10.2.1): Starlette
    names only those of the first route whose path matched. Each method is tried on the app's
    routes as they match any request."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        scope.pop("fastapi", None)  # routing state of the request that was answered
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, en, ja = _HTTP_MESSAGES.get(
        exc.status_code,
        (
            "http_error",
            f"The request failed ({exc.detail}).",
            f"リクエストに失敗しました({exc.detail})。",
        ),
    )
    language = choose_language(request, request.app.state.kz.settings.language)
    body = {"error": {"code": code, "message": ja if language == "ja" else en, "details": {}}}
    extra = {"Allow": _allowed_methods(request)} if exc.status_code == 405 else None
    return _respond(request, exc.status_code, body, extra)


async def handle_out_of_range(request: Request, exc: Exception) -> Response:
    """Date or number arithmetic past what Python or the database holds (`as_of=0001-01-01`
    minus a year): the input is out of range, not the server broken."""
    error = KizunaError(
        "A date or number in the request is out of range. Use dates from 1900 to 9999 and "
        "ordinary numbers, then send it again.",
        "リクエストの日付または数値が範囲外です。日付は 1900〜9999 年、数値は通常の範囲で"
        "指定して、もう一度送ってください。",
    )
    language = choose_language(request, request.app.state.kz.settings.language)
    body = {"error": {"code": "out_of_range", "message": error.message(language), "details": {}}}
    return _respond(request, 422, body)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    language = choose_language(request, request.app.state.kz.settings.language)
    en = "Something went wrong on our side. Try again; if it keeps happening, tell your administrator."
    ja = (
        "サーバー側で問題が起きました。もう一度お試しください。続く場合は管理者に連絡してください。"
    )
    body = {
        "error": {
            "code": "internal_error",
            "message": ja if language == "ja" else en,
            "details": {},
        }
    }
    return _respond(request, 500, body)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KizunaError, handle_kizuna_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(OverflowError, handle_out_of_range)
    app.add_exception_handler(Exception, handle_unexpected)
