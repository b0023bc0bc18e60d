"""Public routes of surveys: answering pages, the widget script, assets and logos.

No login and no permission: the survey key (public link, QR code, widget) or the signed
token (personal link) is the whole proof, as for unsubscribe links. These pages never touch
the session, so a respondent gets no cookie; forms carry their response key instead of a
CSRF token (there is no ambient authority to forge: a response key only reaches its own
answers).

- GET/POST /s/{key}: a survey's public link (`?ch=qr|widget`, hidden fields in the query,
  `?embed=1` for the iframe: then frame-ancestors allows the workspace's origins only).
- GET/POST /s/i/{token}: a personal link (`?score=N` from the invitation e-mail).
- GET /s/widget.js, /s/assets/{name}, /s/{key}/logo.

A POST takes a form (one page, `save=1` for the autosave) or JSON (`{"answers": {...}}`,
every answer at once, or a page), at most 64 KiB. Answers go through the answer writer
(group commit). Problems answer 4xx with a clear message and store nothing: a form page is
shown again with each problem beside its question; JSON gets `{"error": {...}}`. A filled
honeypot field is answered like a success and stored nowhere; more submissions from one
address than the workspace allows per minute get 429.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from kizuna.errors import KizunaError
from kizuna.surveys.answering import (
    InvalidAnswer,
    MissingAnswers,
    SurveyUnavailable,
)
from kizuna.surveys.colours import readable_on_white
from kizuna.surveys.definition import LANGUAGE_NAMES
from kizuna.surveys.logic import next_page, page_path, pipe_text, visible_questions
from kizuna.surveys.service import get_policy
from kizuna.surveys.submissions import CHANNELS, Body, read_body, submission_of
from kizuna.surveys.throttle import TooManyAnswers, limited
from kizuna.surveys.tokens import LinkError
from kizuna.surveys.viewing import SurveyPage, open_personal, open_public, survey_for_page
from kizuna.surveys.writer import writer_for
from kizuna.web.i18n import parse_accept_language

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
ASSETS = {"answer.css": "text/css", "answer.js": "text/javascript", "admin.css": "text/css"}
_PRIVATE = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
}
_EMBED_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)


# --- static -------------------------------------------------------------------------------


@router.get("/s/widget.js")
def widget_script() -> Response:
    """The website widget: one script tag, served by Kizuna (no third-party requests)."""
    return Response(
        (STATIC / "widget.js").read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=3600",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/s/assets/{name}")
def survey_asset(name: str) -> Response:
    """The answering page's style sheet and script."""
    media = ASSETS.get(name)
    if media is None:
        return Response(status_code=404)
    return Response(
        (STATIC / name).read_bytes(),
        media_type=f"{media}; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/s/{key}/logo")
def survey_logo(request: Request, key: str) -> Response:
    """The survey's logo (uploaded to Kizuna, so the page asks no other server)."""
    with _kz(request).session() as session:
        survey = survey_for_page(session, key)
        if survey is None or survey.logo is None or survey.status == "draft":
            return Response(status_code=404)
        data, kind = survey.logo, survey.logo_type or "image/png"
    return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=86400"})


# --- pages --------------------------------------------------------------------------------


@router.get("/s/i/{token}")
async def personal_page(request: Request, token: str) -> Response:
    """A personal link: the survey, its score recorded when it came from the e-mail."""
    query = request.query_params
    score = query.get("score")
    try:
        page = await writer_for(_kz(request)).run_async(
            lambda batch: open_personal(batch, token, score)
        )
    except KizunaError as exc:
        return _problem_page(request, exc, query.get("lang"))
    shown = _page_to_show(page, query.get("p"), after_score=score is not None)
    return _render_answer(request, page, shown, action=f"/s/i/{token}", channel=None)


@router.get("/s/{key}")
async def public_page(request: Request, key: str) -> Response:
    """A survey's public link (also the QR code and the widget's iframe)."""
    query = request.query_params
    channel = str(query.get("ch")) if query.get("ch") in CHANNELS else "link"
    rk = query.get("rk")
    try:
        page = await writer_for(_kz(request)).run_async(
            lambda batch: open_public(batch, key, rk, channel)
        )
    except KizunaError as exc:
        return _problem_page(request, exc, query.get("lang"))
    if not rk:
        page.hidden = {n: str(query[n])[:100] for n in page.definition.hidden if query.get(n)}
    shown = _page_to_show(page, query.get("p"), after_score=False)
    return _render_answer(request, page, shown, action=f"/s/{key}", channel=channel)


@router.post("/s/i/{token}")
async def submit_personal(request: Request, token: str) -> Response:
    """Answer through a personal link (a form page, an autosave or JSON)."""
    return await _submit(request, key=None, token=token)


@router.post("/s/{key}")
async def submit_public(request: Request, key: str) -> Response:
    """Answer through a public link (a form page, an autosave or JSON)."""
    return await _submit(request, key=key, token=None)


# --- submitting ---------------------------------------------------------------------------


async def _submit(request: Request, *, key: str | None, token: str | None) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "") or request.headers.get(
        "content-type", ""
    ).startswith("application/json")
    try:
        body = await read_body(request)
    except KizunaError as exc:
        return (
            _json_error(request, exc, exc.status)
            if wants_json
            else _problem_page(request, exc, None)
        )
    try:
        if body.get("website"):
            return _fake_success(request, body, wants_json)
        if limited(request, key or "personal", token):
            raise TooManyAnswers()
        submission = submission_of(body, key, token)
        outcome = await writer_for(_kz(request)).run_async(
            lambda batch: batch.submit(submission), hint=submission
        )
    except (InvalidAnswer, MissingAnswers) as exc:
        if wants_json or body.is_json or body.get("save") == "1":
            return _json_error(request, exc, 422)
        return await _form_again(request, key, token, body, exc)
    except KizunaError as exc:
        status = exc.http_status if isinstance(exc, LinkError) else exc.status
        if wants_json:
            return _json_error(request, exc, status)
        return _problem_page(request, exc, None)
    if wants_json or body.is_json or submission.save_only:
        return JSONResponse(
            {
                "state": outcome.state,
                "next_page": outcome.next_page,
                "response_key": outcome.response_key,
                "response_id": outcome.response_id,
            },
            status_code=200,
            headers=_PRIVATE,
        )
    if outcome.state == "completed":
        return _render_thanks(request, outcome.definition, outcome.survey, outcome.language, body)
    params = {"p": str(outcome.next_page), "lang": outcome.language}
    if token is None:
        params["rk"] = outcome.response_key
        if body.get("ch") in CHANNELS and body.get("ch") != "link":
            params["ch"] = str(body.get("ch"))
    if body.get("embed"):
        params["embed"] = "1"
    target = f"/s/i/{token}" if token else f"/s/{key}"
    return RedirectResponse(f"{target}?{urlencode(params)}", status_code=303, headers=_PRIVATE)


def _fake_success(request: Request, body: Body, wants_json: bool) -> Response:
    """A filled honeypot: answered like a success (so the bot learns nothing), stored nowhere."""
    if wants_json or body.is_json:
        return JSONResponse({"state": "completed", "next_page": None}, headers=_PRIVATE)
    lang = _language(request, body.get("lang"), None)
    catalog = request.app.state.catalogs.gettext(lang)
    return _template(
        request,
        "surveys/message.html",
        {"heading": catalog("Thank you!"), "message": "", "problem": False},
        lang,
    )


# --- rendering ----------------------------------------------------------------------------


def _kz(request: Request) -> Any:
    return request.app.state.kz


def _language(request: Request, wanted: str | None, page: SurveyPage | None) -> str:
    languages = page.definition.languages if page is not None else ("ja", "en")
    for candidate in (wanted, page.language if page else None):
        if candidate in languages:
            return str(candidate)
    browser = parse_accept_language(request.headers.get("accept-language"))
    if browser in languages:
        return str(browser)
    return languages[0] if page is not None else _kz(request).settings.language


def _page_to_show(page: SurveyPage, wanted: str | None, *, after_score: bool) -> int | None:
    """The page index to show: the one asked for when it is on the respondent's path, else
    where they left off (after an e-mail score: the page after the score's)."""
    path = page_path(page.definition, page.answers, page.hidden) or [0]
    if wanted is not None and wanted.isdigit() and int(wanted) in path:
        return int(wanted)
    if after_score:
        first = page.definition.first_score_question()
        if first is not None and page.answers.get(first.id) is not None:
            after = next_page(page.definition, page.answers, page.hidden, first.page)
            if after is not None and len(page.definition.pages[first.page]) == 1:
                return after
            return first.page
    if page.page is not None and page.page in path:
        return page.page
    return path[0]


def _frame_policy(page: SurveyPage) -> str:
    ancestors = " ".join(["'self'", *page.allowed_origins])
    return _EMBED_POLICY.format(ancestors=ancestors)


def _render_answer(
    request: Request,
    page: SurveyPage,
    shown: int | None,
    *,
    action: str,
    channel: str | None,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    query = request.query_params
    lang = _language(request, query.get("lang"), page)
    definition = page.definition
    index = shown if shown is not None else 0
    answers = {**page.answers, **(posted or {})}
    questions = [
        {
            "question": q,
            "text": pipe_text(q.text[lang], definition, answers, page.hidden, lang),
            "value": answers.get(q.id),
            "other": answers.get(f"{q.id}.other"),
            "error": (errors or {}).get(q.id),
        }
        for q in visible_questions(definition, index, answers, page.hidden)
    ]
    path = page_path(definition, answers, page.hidden) or [index]
    position = path.index(index) + 1 if index in path else 1
    embed = bool(query.get("embed")) or bool(posted and posted.get("_embed"))
    back = path[position - 2] if position > 1 else None
    back_url = None
    if back is not None:
        back_params = {"p": str(back), "lang": lang}
        if action.startswith("/s/") and not action.startswith("/s/i/"):
            back_params["rk"] = page.response_key
            if channel and channel != "link":
                back_params["ch"] = channel
        if embed:
            back_params["embed"] = "1"
        back_url = f"{action}?{urlencode(back_params)}"
    other_language = None
    if len(definition.languages) > 1:
        other = next(code for code in definition.languages if code != lang)
        params = dict(query)
        params["lang"] = other
        if not action.startswith("/s/i/"):
            params["rk"] = page.response_key
        params["p"] = str(index)
        params.pop("score", None)
        other_language = {
            "code": other,
            "name": LANGUAGE_NAMES[other][1] if other == "ja" else "English",
            "url": f"{request.url.path}?{urlencode(params)}",
        }
    context = {
        "title": definition.title[lang],
        "welcome": definition.welcome[lang] if definition.welcome and position == 1 else None,
        "questions": questions,
        "errors": [{"id": qid, "message": message} for qid, message in (errors or {}).items()],
        "action": action,
        "response_key": page.response_key,
        "page": index,
        "channel": channel if channel and channel != "link" else None,
        "embed": embed,
        "hidden_fields": page.hidden
        if page.state == "new" and not action.startswith("/s/i/")
        else {},
        "position": position,
        "total": len(path),
        "last": next_page(definition, answers, page.hidden, index) is None,
        "back_url": back_url,
        "other_language": other_language,
        "logo_url": f"/s/{page.survey.key}/logo" if page.has_logo else None,
        "colour": readable_on_white(definition.brand_color),
    }
    headers = dict(_PRIVATE)
    if embed:
        headers["Content-Security-Policy"] = _frame_policy(page)
    return _template(request, "surveys/answer.html", context, lang, status_code, headers)


def _render_thanks(
    request: Request, definition: Any, survey: Any, lang: str, body: Body
) -> Response:
    catalog = request.app.state.catalogs.gettext(lang)
    message = (
        definition.thank_you[lang]
        if definition.thank_you
        else catalog("Your answers have been sent. Thank you for your time.")
    )
    context = {
        "title": definition.title[lang],
        "message": message,
        "logo_url": f"/s/{survey.key}/logo" if survey.logo is not None else None,
        "colour": readable_on_white(definition.brand_color),
        "embed": bool(body.get("embed")),
    }
    headers = dict(_PRIVATE)
    if body.get("embed"):
        with _kz(request).session() as session:
            origins = list(get_policy(session, survey.workspace_id).allowed_origins or [])
        headers["Content-Security-Policy"] = _EMBED_POLICY.format(
            ancestors=" ".join(["'self'", *origins])
        )
    return _template(request, "surveys/thanks.html", context, lang, 200, headers)


async def _form_again(
    request: Request, key: str | None, token: str | None, body: Body, exc: KizunaError
) -> Response:
    """The page that was sent, again, with each problem beside its question (422)."""
    rk = body.get("rk")
    try:
        if token:
            page = await writer_for(_kz(request)).run_async(
                lambda batch: open_personal(batch, token, None)
            )
        else:
            channel = body.get("ch") if body.get("ch") in CHANNELS else "link"
            page = await writer_for(_kz(request)).run_async(
                lambda batch: open_public(batch, key or "", rk or "x" * 16, channel or "link")
            )
            page.response_key = rk or page.response_key
    except KizunaError as again:
        return _problem_page(request, again, body.get("lang"))
    if not page.hidden:
        page.hidden = {n[2:]: v[-1] for n, v in body.fields.items() if n.startswith("h.")}
    lang = _language(request, body.get("lang"), page)
    errors: dict[str, str] = {}
    if isinstance(exc, MissingAnswers):
        message = request.app.state.catalogs.translate(lang, "Please answer this question.")
        errors = dict.fromkeys(exc.questions, message)
    elif isinstance(exc, InvalidAnswer):
        errors = {exc.question.split(".")[0]: exc.reason_ja if lang == "ja" else exc.reason_en}
    posted: dict[str, Any] = {}
    for name, values in body.fields.items():
        if name.startswith("q."):
            posted[name[2:]] = values if len(values) > 1 else values[-1]
    if body.get("embed"):
        posted["_embed"] = True
    shown = int(body.get("p") or 0)
    return _render_answer(
        request,
        page,
        shown,
        action=f"/s/i/{token}" if token else f"/s/{key}",
        channel=body.get("ch"),
        errors=errors,
        posted=posted,
        status_code=422,
    )


def _problem_page(request: Request, exc: KizunaError, wanted: str | None) -> Response:
    """A friendly page for a link that cannot be used, in the respondent's language."""
    lang = _language(request, wanted, None)
    catalog = request.app.state.catalogs.gettext(lang)
    if isinstance(exc, LinkError):
        status = exc.http_status
        heading = {
            "used": catalog("Thank you!"),
            "closed": catalog("This survey is closed"),
            "expired": catalog("This link has expired"),
        }.get(exc.reason, catalog("This link does not work"))
    elif isinstance(exc, SurveyUnavailable):
        status, heading = 404, catalog("This survey is not available")
    else:
        status, heading = exc.status, catalog("This link does not work")
    context = {"heading": heading, "message": exc.message(lang), "problem": True}
    return _template(request, "surveys/message.html", context, lang, status, dict(_PRIVATE))


def _json_error(request: Request, exc: KizunaError, status: int) -> Response:
    lang = _language(request, None, None)
    return JSONResponse(exc.to_dict(lang), status_code=status, headers=_PRIVATE)


def _template(
    request: Request,
    name: str,
    context: dict[str, Any],
    lang: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    values = {
        "lang": lang,
        "_": request.app.state.catalogs.gettext(lang),
        "colour": readable_on_white(None),
        "embed": False,
        **context,
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers or dict(_PRIVATE)
    )
    return response
