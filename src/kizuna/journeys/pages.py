"""HTML routes of journeys: the journey, a touchpoint's voices, two scopes compared, the map
(with its SVG, PNG and PDF exports) and the journey's settings (stages and rules).

Pages read stored snapshots (`kizuna.journeys.views`); a refresh is a job queued by a
form, never a recount in the request. Reading needs journeys.read, changing stages, rules
or asking for a refresh journeys.manage; every form carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.journeys import definition as journey_definition
from kizuna.journeys import rules as journey_rules
from kizuna.journeys.data import PERIODS
from kizuna.journeys.jobs import DEFAULT_PERIOD, queue_refresh
from kizuna.journeys.journey_map import journey_map_svg, stage_name
from kizuna.journeys.views import (
    GRAPH_FILTERS,
    JourneyView,
    filter_graph,
    improvements_by_topic,
    journey_view,
    map_input,
)
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("journeys.read"))]
Managers = Annotated[Caller, Depends(page_member("journeys.manage"))]
Scope = Annotated[str, Query(max_length=64)]
Period = Annotated[str, Query(max_length=16)]
MEDIA = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
}


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _stage_names(view: JourneyView, lang: str) -> dict[str, str]:
    stages = view.result.get("stages") or [s.__dict__ for s in view.definition.stages]
    names = {s["code"]: stage_name(s, lang) for s in stages}
    for stage in view.definition.stages:
        names.setdefault(stage.code, stage_name(stage.__dict__, lang))
    return names


def _context(request: Request, member: Caller, view: JourneyView, **extra: Any) -> dict[str, Any]:
    lang = _lang(request)
    return {
        "member": member,
        "nav_section": "journeys",
        "view": view,
        "result": view.result,
        "stage_names": _stage_names(view, lang),
        "periods": list(PERIODS),
        "may_manage": member.may("journeys.manage"),
        "base": f"/w/{member.workspace.slug}/journeys",
        "query": urlencode({"scope": view.scope, "period": view.period}),
        "tz": member.workspace.timezone,
        **extra,
    }


def _chart_data(view: JourneyView, names: dict[str, str], graph: dict[str, Any]) -> dict[str, Any]:
    """What journeys.js draws: funnel, emotion curve and the directly-follows graph."""
    result = view.result
    return {
        "funnel": [
            {"stage": names.get(r["stage"], r["stage"]), "reached": r["reached"]}
            for r in result.get("funnel", [])
        ],
        "curve": [
            {
                "stage": names.get(r["stage"], r["stage"]),
                "mean": r.get("mean"),
                "low": r.get("ci_low"),
                "high": r.get("ci_high"),
                "n": r.get("n"),
            }
            for r in result.get("emotion_curve", [])
        ],
        "graph": {
            "nodes": [
                {
                    "name": n["touchpoint"],
                    "value": n["interactions"],
                    "stage": names.get(n["stage"], n["stage"]),
                    "direct": bool(n.get("direct", True)),
                }
                for n in graph["nodes"]
            ],
            "edges": [
                {"source": e["source"], "target": e["target"], "value": e["count"]}
                for e in graph["edges"]
            ],
            "stages": list(names.values()),
        },
    }


@router.get("/w/{slug}/journeys")
def show_journey(
    request: Request,
    member: Readers,
    session: SessionDep,
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
    min_share: Annotated[float, Query(ge=0, le=1)] = 0.01,
    queued: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """The journey of a scope over a period: funnel, paths, graph, touchpoints, feelings."""
    lang = _lang(request)
    view = journey_view(session, member.workspace, scope, period, lang)
    graph = filter_graph(view.result, min_share)
    names = _stage_names(view, lang)
    context = _context(
        request,
        member,
        view,
        graph=graph,
        min_share=min_share,
        graph_filters=GRAPH_FILTERS,
        charts=_chart_data(view, names, graph),
        queued=bool(queued),
        biggest_drop=_biggest_drop(view.result),
    )
    return render_page(request, "journeys/journey.html", context)


def _biggest_drop(result: dict[str, Any]) -> str | None:
    steps = [r for r in result.get("funnel", []) if r.get("conversion") is not None]
    if not steps:
        return None
    return str(min(steps, key=lambda r: (r["conversion"], r["step"]))["stage"])


@router.get("/w/{slug}/journeys/touchpoint")
def show_touchpoint(
    request: Request,
    member: Readers,
    session: SessionDep,
    name: Annotated[str, Query(min_length=1, max_length=100)],
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
) -> Response:
    """One touchpoint: its volume, scores with intervals, feelings, topics and quotes."""
    lang = _lang(request)
    view = journey_view(session, member.workspace, scope, period, lang)
    found = next((t for t in view.result.get("touchpoints", []) if t["touchpoint"] == name), None)
    if found is None:
        raise NotFound(
            "This touchpoint has no records in this scope and period. Pick one on the journey page.",
            "この対象と期間には、このタッチポイントの記録がありません。ジャーニーのページから選んでください。",
            touchpoint=name,
        )
    edges = (view.result.get("graph") or {}).get("edges", [])
    context = _context(
        request,
        member,
        view,
        touchpoint=found,
        came_from=[e for e in edges if e["target"] == name and e["source"] != name][:6],
        went_to=[e for e in edges if e["source"] == name and e["target"] != name][:6],
        pains=[p for p in view.result.get("pain_points", []) if p["touchpoint"] == name],
    )
    return render_page(request, "journeys/touchpoint.html", context)


@router.get("/w/{slug}/journeys/compare")
def show_compare(
    request: Request,
    member: Readers,
    session: SessionDep,
    a: Scope = "all",
    b: Scope = "",
    period: Period = DEFAULT_PERIOD,
) -> Response:
    """Two scopes (segments or personas) side by side over one period."""
    lang = _lang(request)
    left = journey_view(session, member.workspace, a, period, lang)
    other = b or next((o.value for o in left.options if o.value != a), a)
    right = journey_view(session, member.workspace, other, period, lang)
    names = _stage_names(left, lang)
    shared = _shared_touchpoints(left.result, right.result)
    context = _context(
        request,
        member,
        left,
        left=left,
        right=right,
        names=names,
        shared=shared,
        charts={
            "curves": [
                {
                    "name": side.label,
                    "points": _chart_data(side, names, {"nodes": [], "edges": []})["curve"],
                }
                for side in (left, right)
            ]
        },
    )
    return render_page(request, "journeys/compare.html", context)


def _shared_touchpoints(left: dict[str, Any], right: dict[str, Any]) -> list[dict[str, Any]]:
    theirs = {t["touchpoint"]: t for t in right.get("touchpoints", [])}
    rows = []
    for mine in left.get("touchpoints", []):
        other = theirs.get(mine["touchpoint"])
        if other is not None and (mine.get("voices") or other.get("voices")):
            rows.append({"touchpoint": mine["touchpoint"], "a": mine, "b": other})
    return rows[:12]


@router.get("/w/{slug}/journeys/map")
def show_map(
    request: Request,
    member: Readers,
    session: SessionDep,
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
) -> Response:
    """The journey map on a page, with its SVG, PNG and PDF exports (A3 landscape)."""
    lang = _lang(request)
    view = journey_view(session, member.workspace, scope, period, lang)
    topics = {p["topic"] for p in view.result.get("pain_points", [])}
    context = _context(
        request,
        member,
        view,
        improvements=improvements_by_topic(session, member.workspace, topics),
    )
    return render_page(request, "journeys/map.html", context)


@router.get("/w/{slug}/journeys/map.{fmt}")
def export_map(
    request: Request,
    member: Readers,
    session: SessionDep,
    fmt: Literal["svg", "png", "pdf"],
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
) -> Response:
    """The journey map as an A3 landscape SVG, PNG (150 dpi) or PDF with Japanese fonts."""
    from kizuna.journeys.render import svg_to_pdf, svg_to_png

    lang = _lang(request)
    svg = journey_map_svg(map_input(session, member.workspace, scope, period, lang))
    body: bytes
    if fmt == "svg":
        body = svg.encode("utf-8")
    elif fmt == "png":
        body = svg_to_png(svg, dpi=150)
    else:
        body = svg_to_pdf(svg)
    filename = f"journey-map-{member.workspace.slug}-{scope.replace(':', '-')}-{period}.{fmt}"
    disposition = "inline" if request.query_params.get("inline") == "1" else "attachment"
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@router.get("/w/{slug}/journeys/settings")
def show_settings(
    request: Request,
    member: Readers,
    session: SessionDep,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The journey's stages and touchpoint rules (changed by analysts and admins)."""
    lang = _lang(request)
    view = journey_view(session, member.workspace, "all", DEFAULT_PERIOD, lang)
    return render_page(
        request, "journeys/settings.html", _settings_context(request, member, view, error)
    )


def _settings_context(
    request: Request, member: Caller, view: JourneyView, error: str | None
) -> dict[str, Any]:
    from kizuna.journeys.definition import APPLIES_TO, MATCH_FIELDS

    return _context(
        request,
        member,
        view,
        error=error,
        applies_to=APPLIES_TO,
        match_fields=MATCH_FIELDS,
        unplaced=(view.result.get("counts") or {}),
    )


def _back_to_settings(member: Caller, error: str | None = None) -> Response:
    target = f"/w/{member.workspace.slug}/journeys/settings"
    if error:
        target += "?" + urlencode({"error": error})
    return RedirectResponse(target, status_code=303)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("、", ",").split(",") if p.strip()]


@router.post("/w/{slug}/journeys/stages")
def save_stages_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    code: Annotated[list[str] | None, Form()] = None,
    name: Annotated[list[str] | None, Form()] = None,
    goal: Annotated[list[str] | None, Form()] = None,
    opportunity: Annotated[list[str] | None, Form()] = None,
    funnel: Annotated[list[str] | None, Form()] = None,
    remove: Annotated[list[str] | None, Form()] = None,
    new_stage: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Rename, describe, reorder, add or remove stages."""
    codes, names = code or [], name or []
    goals, opportunities = goal or [], opportunity or []
    in_funnel, dropped = set(funnel or []), set(remove or [])
    stages = [
        {
            "code": c,
            "name": (names[i] if i < len(names) else "").strip() or None,
            "goal": goals[i] if i < len(goals) else None,
            "opportunity": opportunities[i] if i < len(opportunities) else None,
            "in_funnel": c in in_funnel,
        }
        for i, c in enumerate(codes)
        if c not in dropped
    ]
    if new_stage.strip():
        stages.append({"name": new_stage.strip(), "in_funnel": True})
    try:
        journey_definition.save_stages(session, member.workspace, stages, actor=member.actor)
    except (InvalidInput, Conflict) as exc:
        return _back_to_settings(member, exc.message(_lang(request)))
    return _back_to_settings(member)


@router.post("/w/{slug}/journeys/rules")
def add_rule_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    stage: Annotated[str, Form(max_length=64)] = "",
    applies_to: Annotated[str, Form(max_length=16)] = "interaction",
    channel: Annotated[str, Form(max_length=500)] = "",
    kind: Annotated[str, Form(max_length=500)] = "",
    touchpoint: Annotated[str, Form(max_length=500)] = "",
    source: Annotated[str, Form(max_length=500)] = "",
    property_key: Annotated[str, Form(max_length=64)] = "",
    property_value: Annotated[str, Form(max_length=200)] = "",
    touchpoint_name: Annotated[str, Form(max_length=100)] = "",
    direct: Annotated[str, Form(max_length=8)] = "",
    first: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add a touchpoint rule (first, so it wins over the others, when asked)."""
    match: dict[str, Any] = {
        field: _split(value)
        for field, value in (
            ("channel", channel),
            ("kind", kind),
            ("touchpoint", touchpoint),
            ("source", source),
        )
        if _split(value)
    }
    if property_key.strip():
        match["properties"] = {property_key.strip(): property_value.strip()}
    try:
        journey_rules.add_rule(
            session,
            member.workspace,
            stage=stage,
            match=match,
            applies_to=applies_to,
            touchpoint=touchpoint_name or None,
            direct={"true": True, "false": False}.get(direct),
            position=0 if first else None,
            actor=member.actor,
        )
    except (InvalidInput, Conflict) as exc:
        return _back_to_settings(member, exc.message(_lang(request)))
    return _back_to_settings(member)


@router.post("/w/{slug}/journeys/rules/{rule_id}/delete")
def delete_rule_from_form(
    member: Managers, session: SessionDep, _csrf: CsrfChecked, rule_id: int
) -> Response:
    """Delete a touchpoint rule."""
    journey_rules.delete_rule(session, member.workspace, rule_id, actor=member.actor)
    return _back_to_settings(member)


@router.post("/w/{slug}/journeys/rules/reset")
def reset_rules_from_form(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked
) -> Response:
    """Put the default touchpoint rules back."""
    try:
        journey_rules.reset_rules(session, member.workspace, actor=member.actor)
    except Conflict as exc:
        return _back_to_settings(member, exc.message(_lang(request)))
    return _back_to_settings(member)


@router.post("/w/{slug}/journeys/refresh")
def refresh_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    scope: Annotated[str, Form(max_length=64)] = "all",
    period: Annotated[str, Form(max_length=16)] = DEFAULT_PERIOD,
) -> Response:
    """Queue the computation of this scope and period; the page shows it once done."""
    journey_view(session, member.workspace, scope, period, _lang(request))  # checks both
    queue_refresh(session, member.workspace, [(scope, period)])
    query = urlencode({"scope": scope, "period": period, "queued": 1})
    return RedirectResponse(f"/w/{member.workspace.slug}/journeys?{query}", status_code=303)
