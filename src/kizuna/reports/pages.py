"""HTML routes of reports: the workspace home (NPS, CSAT and CES with intervals, charts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kizuna.accounts.service import workspaces_of
from kizuna.app import Kizuna
from kizuna.reports.home import METRIC_SPECS, WINDOWS, build_chart_data, build_home
from kizuna.web.deps import Caller, KizunaDep, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewers = Annotated[Caller, Depends(page_member("dashboard.read"))]


def _home_context(request: Request, kz: Kizuna, member: Caller, months: int) -> dict[str, Any]:
    view = build_home(kz, member.workspace, months)
    lang = choose_language(request, kz.settings.language)
    _ = request.app.state.catalogs.gettext(lang)
    return {
        "view": view,
        "member": member,
        "nav_section": "home",
        "windows": WINDOWS,
        "metric_specs": METRIC_SPECS,
        "charts": build_chart_data(view, lang, _),
    }


@router.get("/w/{slug}/")
def show_home(
    request: Request,
    member: Viewers,
    session: SessionDep,
    kz: KizunaDep,
    months: Annotated[int, Query()] = 12,
) -> Response:
    """The workspace's home: NPS, CSAT and CES with intervals, monthly NPS, volume by channel."""
    context = _home_context(request, kz, member, months)
    assert member.user is not None
    context["workspaces"] = workspaces_of(session, member.user)
    return render_page(request, "reports/home.html", context)


@router.get("/w/{slug}/partials/metrics")
def show_home_metrics(
    request: Request,
    member: Viewers,
    kz: KizunaDep,
    months: Annotated[int, Query()] = 12,
) -> Response:
    """The home page's figures alone, for HTMX to swap in when the window changes."""
    context = _home_context(request, kz, member, months)
    return render_page(request, "reports/_metrics.html", context)
