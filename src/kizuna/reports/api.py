"""JSON routes of the reports room: NPS, CSAT, CES and eNPS with intervals, per API key workspace."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from kizuna.web.deps import Caller, KizunaDep, api_caller
from kizuna.web.fields import IsoDate
from kizuna.web.routing import SummaryRoute

__all__ = ["MetricPublic", "router"]

router = APIRouter(tags=["metrics"], route_class=SummaryRoute)

Readers = Annotated[Caller, Depends(api_caller("metrics.read"))]

Metric = Literal["nps", "csat", "ces", "enps"]
Period = Literal["day", "week", "month"]
# kizuna.analytics.metrics: FEEDBACK_DIMENSIONS + CUSTOMER_DIMENSIONS
Dimension = Literal[
    "channel", "source", "touchpoint", "language", "age_band", "gender", "prefecture", "life_stage"
]


class MetricPublic(BaseModel):
    """A metric's rows: one per period and dimension values, with 95% intervals.

    Each record has period (when asked), the `by` columns, n, value, ci_low, ci_high and the
    metric's own counts; with a period also previous_value, change and change_significant.
    NPS and eNPS are on -100..100, CSAT is the percent of 4-5 answers, CES the mean on 1-7.
    """

    metric: Metric
    by: list[Dimension]
    period: Period | None
    start: dt.date | None
    end: dt.date | None
    records: list[dict[str, Any]]


@router.get("/metrics/{metric}", response_model=MetricPublic)
def get_metric(
    metric: Metric,
    caller: Readers,
    kz: KizunaDep,
    by: Annotated[
        list[Dimension],
        Query(description="Dimensions, each once.", json_schema_extra={"uniqueItems": True}),
    ] = [],  # noqa: B006
    period: Period | None = None,
    start: Annotated[
        IsoDate | None, Query(alias="from", description="First day (inclusive).")
    ] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last day (inclusive).")] = None,
) -> MetricPublic:
    """Compute a metric for the workspace, optionally by period and dimensions."""
    from kizuna.reports.service import compute_metric

    report = compute_metric(
        kz, caller.workspace, metric, by=by, period=period, start=start, end=end
    )
    return MetricPublic(
        metric=metric, by=by, period=period, start=start, end=end, records=report.to_records()
    )
