"""JSON routes of journeys: the definition (stages, rules), stored analytics, refresh, map.

Reading needs journeys.read; changing stages or rules and asking for a refresh need
journeys.manage. Analytics are the stored snapshot of a scope and period (404 until the
first refresh has run).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from kizuna.errors import NotFound
from kizuna.journeys import definition as journey_definition
from kizuna.journeys import rules as journey_rules
from kizuna.journeys.jobs import DEFAULT_PERIOD, queue_refresh
from kizuna.journeys.journey_map import journey_map_svg, stage_name
from kizuna.journeys.schemas import (
    SCOPE_PATTERN,
    JourneyAnalyticsPublic,
    JourneyPeriod,
    JourneyPublic,
    RefreshPublic,
    RefreshRequest,
    RulePublic,
    StagePublic,
    StagesUpdate,
    TouchpointRuleCreate,
)
from kizuna.journeys.views import journey_view, map_input
from kizuna.web.deps import Caller, SessionDep, api_caller
from kizuna.web.i18n import choose_language
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute, tags=["journeys"])

Reader = Annotated[Caller, Depends(api_caller("journeys.read"))]
Manager = Annotated[Caller, Depends(api_caller("journeys.manage"))]
RuleId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The rule's id.")]
Scope = Annotated[
    str,
    Query(max_length=64, pattern=SCOPE_PATTERN, description="all, segment:<id> or persona:<id>"),
]
Period = Annotated[JourneyPeriod, Query(description="90d, 365d or all")]
NOT_COMPUTED: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not computed yet, or no such segment or persona: POST /journeys/refresh."}
}


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _public(definition: journey_definition.JourneyDefinition, lang: str) -> JourneyPublic:
    return JourneyPublic(
        id=definition.id,
        name=definition.name,
        version=definition.version,
        stages=[
            StagePublic(**s.__dict__, display_name=stage_name(s.__dict__, lang))
            for s in definition.stages
        ],
        rules=[RulePublic(**r.__dict__) for r in definition.rules],
    )


@router.get("/journeys", response_model=JourneyPublic)
def get_journey(request: Request, caller: Reader, session: SessionDep) -> JourneyPublic:
    """The workspace's journey: stages and touchpoint rules in order."""
    definition = journey_definition.load_definition(session, caller.workspace)
    return _public(definition, _lang(request))


@router.put(
    "/journeys/stages",
    response_model=JourneyPublic,
    responses={409: {"description": "Rules still place records on a stage left out."}},
)
def put_stages(
    request: Request, body: StagesUpdate, caller: Manager, session: SessionDep
) -> JourneyPublic:
    """Replace the stages (order, names, funnel steps, goals, opportunities)."""
    definition = journey_definition.save_stages(
        session,
        caller.workspace,
        [s.model_dump() for s in body.stages],
        actor=caller.actor,
    )
    return _public(definition, _lang(request))


@router.post("/journeys/rules", response_model=RulePublic, status_code=201)
def post_rule(body: TouchpointRuleCreate, caller: Manager, session: SessionDep) -> RulePublic:
    """Add a touchpoint rule (at `position`, or last)."""
    rule = journey_rules.add_rule(
        session,
        caller.workspace,
        stage=body.stage,
        match=body.match,
        applies_to=body.applies_to,
        touchpoint=body.touchpoint,
        direct=body.direct,
        position=body.position,
        actor=caller.actor,
    )
    return RulePublic(
        id=rule.id,
        applies_to=rule.applies_to,
        match=dict(rule.match),
        stage=rule.stage_code,
        touchpoint=rule.touchpoint,
        direct=rule.direct,
    )


@router.delete("/journeys/rules/{rule_id:int}", status_code=204)
def remove_rule(rule_id: RuleId, caller: Manager, session: SessionDep) -> Response:
    """Delete a touchpoint rule."""
    journey_rules.delete_rule(session, caller.workspace, rule_id, actor=caller.actor)
    return Response(status_code=204)


@router.post(
    "/journeys/rules/reset",
    response_model=JourneyPublic,
    responses={409: {"description": "A stage the default rules need is missing."}},
)
def reset_rules(request: Request, caller: Manager, session: SessionDep) -> JourneyPublic:
    """Replace every rule with the default ones."""
    journey_rules.reset_rules(session, caller.workspace, actor=caller.actor)
    definition = journey_definition.load_definition(session, caller.workspace)
    return _public(definition, _lang(request))


@router.get("/journeys/analytics", response_model=JourneyAnalyticsPublic, responses=NOT_COMPUTED)
def get_analytics(
    request: Request,
    caller: Reader,
    session: SessionDep,
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
) -> JourneyAnalyticsPublic:
    """Stored analytics of a scope and period: funnel, paths, graph, touchpoints, feelings."""
    view = journey_view(session, caller.workspace, scope, period, _lang(request))
    snapshot = view.snapshot
    if snapshot is None:
        raise NotFound(
            "Not computed yet: POST /api/v1/journeys/refresh with this scope and period, "
            "then ask again once the job has run.",
            "まだ計算されていません。この対象と期間で POST /api/v1/journeys/refresh を呼び、"
            "ジョブの完了後にもう一度取得してください。",
            scope=scope,
            period=period,
        )
    return JourneyAnalyticsPublic(
        scope=scope,
        period=period,
        start=snapshot.start,
        end=snapshot.end,
        computed_at=snapshot.computed_at,
        stale=view.stale,
        result=dict(snapshot.result),
    )


@router.post("/journeys/refresh", response_model=RefreshPublic, status_code=202)
def post_refresh(
    request: Request, body: RefreshRequest, caller: Manager, session: SessionDep
) -> RefreshPublic:
    """Queue the computation of a scope and period (the analytics appear once it has run)."""
    journey_view(session, caller.workspace, body.scope, body.period, _lang(request))
    jobs = queue_refresh(session, caller.workspace, [(body.scope, body.period)])
    return RefreshPublic(jobs=jobs)


@router.get(
    "/journeys/map",
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}, "image/svg+xml": {}}},
        **NOT_COMPUTED,
    },
)
def get_map(
    request: Request,
    caller: Reader,
    session: SessionDep,
    format: Annotated[Literal["svg", "png", "pdf"], Query()] = "pdf",
    scope: Scope = "all",
    period: Period = DEFAULT_PERIOD,
) -> Response:
    """The journey map as an A3 landscape PDF, PNG (150 dpi) or SVG, Japanese fonts embedded."""
    from kizuna.journeys.render import svg_to_pdf, svg_to_png

    svg = journey_map_svg(map_input(session, caller.workspace, scope, period, _lang(request)))
    media: dict[str, Any] = {
        "svg": (svg.encode("utf-8"), "image/svg+xml"),
        "png": (b"", "image/png"),
        "pdf": (b"", "application/pdf"),
    }
    body, media_type = media[format]
    if format == "png":
        body = svg_to_png(svg)
    elif format == "pdf":
        body = svg_to_pdf(svg)
    return Response(body, media_type=media_type)
