"""HTML routes of reports: the dashboard (the workspace home), its widgets as CSV files and
the targets form.

Every route reads the same filter from the query string (`from`, `to` or `months`, and
channel, touchpoint, language, source, survey, store, segment, persona), so links and
downloads keep it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.service import workspaces_of
from kizuna.app import Kizuna
from kizuna.errors import InvalidInput
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_csv import widget_csv
from kizuna.reports.dashboard_text import MEASURES, text_of
from kizuna.reports.home import (
    METRIC_SPECS,
    WIDGETS,
    WINDOWS,
    HomeView,
    build_chart_data,
    build_home,
    choose_filter,
)
from kizuna.reports.targets import TARGET_RANGES, set_target
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewers = Annotated[Caller, Depends(page_member("dashboard.read"))]
Managers = Annotated[Caller, Depends(page_member("dashboard.manage"))]
Text = Annotated[str | None, Query(max_length=100)]


class Wanted:
    """The dashboard's query string: the period and the dimension filters."""

    def __init__(
        self,
        months: Annotated[int, Query()] = 12,
        start: Annotated[dt.date | None, Query(alias="from")] = None,
        end: Annotated[dt.date | None, Query(alias="to")] = None,
        channel: Text = None,
        touchpoint: Text = None,
        language: Text = None,
        source: Text = None,
        survey: Text = None,
        store: Text = None,
        segment: Annotated[str | None, Query(max_length=20)] = None,
        persona: Annotated[str | None, Query(max_length=20)] = None,
    ) -> None:
        self.months, self.start, self.end = months, start, end
        self.segment, self.persona = _group_id("segment", segment), _group_id("persona", persona)
        self.dimensions = {
            "channel": channel,
            "touchpoint": touchpoint,
            "language": language,
            "source": source,
            "survey": survey,
            "store": store,
        }

    def choose(self, member: Caller) -> tuple[DashboardFilter, int, bool]:
        return choose_filter(
            member.workspace,
            self.months,
            self.start,
            self.end,
            self.segment,
            self.persona,
            **self.dimensions,
        )


def _group_id(name: str, text: str | None) -> int | None:
    """A segment or persona id from the query string ("" is none chosen)."""
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit():
        raise InvalidInput(
            f"The {name} '{text}' is not an id; choose one from the {name} filter.",
            f"{'セグメント' if name == 'segment' else 'ペルソナ'}「{text}」は ID ではありません。"
            "絞り込みの一覧から選んでください。",
            **{name: text},
        )
    return int(text)


WantedDep = Annotated[Wanted, Depends()]


def _query_of(view: HomeView) -> dict[str, str]:
    assert view.chosen is not None
    if view.custom:
        return view.chosen.as_query()
    return {"months": str(view.months), **view.chosen.filters()}


def _home_context(
    request: Request,
    kz: Kizuna,
    member: Caller,
    wanted: Wanted,
    widgets: tuple[str, ...] = WIDGETS,
) -> dict[str, Any]:
    chosen, months, custom = wanted.choose(member)
    lang = choose_language(request, kz.settings.language)
    view = build_home(kz, member.workspace, months, chosen, custom, widgets, lang)
    _ = request.app.state.catalogs.gettext(lang)
    query = _query_of(view)
    return {
        "view": view,
        "member": member,
        "nav_section": "home",
        "windows": WINDOWS,
        "metric_specs": METRIC_SPECS,
        "charts": build_chart_data(view, lang, _),
        "query": query,
        "query_string": urlencode(query),
        "dimension_query": urlencode(chosen.filters()),
        "t": text_of(lang),
        "measures": MEASURES,
        "explorer_query": urlencode(chosen.explorer_query()),
        "may_manage": member.may("dashboard.manage"),
        "target_ranges": TARGET_RANGES,
    }


@router.get("/w/{slug}/")
def show_home(
    request: Request,
    member: Viewers,
    session: SessionDep,
    kz: KizunaDep,
    wanted: WantedDep,
) -> Response:
    """The dashboard: metrics with intervals and targets, trends, topics, drivers, voices."""
    context = _home_context(request, kz, member, wanted)
    assert member.user is not None
    context["workspaces"] = workspaces_of(session, member.user)
    return render_page(request, "reports/home.html", context)


@router.get("/w/{slug}/partials/metrics")
def show_home_metrics(
    request: Request,
    member: Viewers,
    kz: KizunaDep,
    wanted: WantedDep,
) -> Response:
    """The dashboard's figures alone, for HTMX to swap in when the window changes."""
    context = _home_context(request, kz, member, wanted)
    return render_page(request, "reports/_metrics.html", context)


@router.get("/w/{slug}/dashboard/{widget}.csv")
def download_widget(
    request: Request,
    widget: str,
    member: Viewers,
    kz: KizunaDep,
    wanted: WantedDep,
) -> Response:
    """One widget's figures, for the same filter, as a CSV file."""
    chosen, months, custom = wanted.choose(member)
    needs = {
        "topics": ("topics",),
        "drivers": ("drivers",),
        "voices": ("voices",),
        "value": ("value",),
    }
    view = build_home(kz, member.workspace, months, chosen, custom, needs.get(widget, ()))
    body = widget_csv(view, widget)
    name = f"{member.workspace.slug}-{widget}-{chosen.start}-{chosen.end}.csv"
    return Response(
        "\ufeff" + body,  # a BOM, so Excel reads the Japanese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _target_value(text: str, metric: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(
            f"The {metric.upper()} target '{text}' is not a number; enter one such as 40.",
            f"{metric.upper()} の目標「{text}」は数値ではありません。40 のように入力してください。",
            metric=metric,
        ) from None


@router.post("/w/{slug}/dashboard/targets")
def save_targets(
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    nps: Annotated[str, Form(max_length=16)] = "",
    csat: Annotated[str, Form(max_length=16)] = "",
    ces: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Set the targets of NPS, CSAT and CES (a blank field clears that target)."""
    for metric, text in (("nps", nps), ("csat", csat), ("ces", ces)):
        set_target(session, member.workspace, metric, _target_value(text, metric), member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/#targets", status_code=303)
