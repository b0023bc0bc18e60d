"""The dashboard's figures for a period and a filter, read from the daily rollups.

    chosen = DashboardFilter(start=..., end=..., channel="web")
    report = metric_report(session, workspace_id, chosen, "nps", period="month")

Every widget takes the same `DashboardFilter` (period plus channel, touchpoint, language,
source, survey and store, any of them at once, and a segment or persona), so they all obey it
and the URL keeps it (`as_query`). Metrics are finished by
`kizuna.analytics.metrics.finish_metric` from the rolled-up counts, the very function
`compute_metric` finishes its own counts with, so the numbers and intervals equal
`kizuna metrics` and the metrics API for the same voices.

Dimension filters read the rollups (one dimension: its own grain; several: the "full" grain's
rows matching them, read once per rollup version and summed by each widget,
`kizuna.reports.dashboard_frames`); nothing scans the voices. A segment or persona is a set
of customers that changes with their scores, so no rollup can hold it: its voices are turned
into rows by the rollups' own counting code on request and cached per rollup version
(`kizuna.reports.dashboard_segment`), and every reader below sums those rows instead.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.analytics.metrics import Metric, Period, finish_metric, shift_period, start_of_period
from kizuna.errors import InvalidInput
from kizuna.reports.models import DashboardDay
from kizuna.reports.rollups import DIMENSIONS, FULL

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FILTER_NAMES",
    "GROUP_NAMES",
    "DashboardFilter",
    "dimension_choices",
    "grain_of",
    "metric_report",
    "read_sums",
    "sentiment_trend",
    "volume_by",
    "volume_series",
]

FILTER_NAMES = DIMENSIONS
GROUP_NAMES = ("segment", "persona")
MAX_DAYS = 3 * 366
# Rolled-up column per count column of `count_metric` (kizuna.analytics.metrics).
_METRIC_COLUMNS: dict[str, dict[str, str]] = {
    "nps": {"n": "nps_n", "promoters": "promoters", "detractors": "detractors"},
    "csat": {"n": "csat_n", "top2": "csat_top2"},
    "ces": {"n": "ces_n", "total": "ces_total", "total_sq": "ces_total_sq", "easy": "ces_easy"},
}
DASHBOARD_METRICS: tuple[Metric, ...] = ("nps", "csat", "ces")


@dataclass(frozen=True)
class DashboardFilter:
    """The period (inclusive days) and the dimension values every widget obeys."""

    start: dt.date
    end: dt.date
    channel: str | None = None
    touchpoint: str | None = None
    language: str | None = None
    source: str | None = None
    survey: str | None = None
    store: str | None = None
    segment: int | None = None
    persona: int | None = None

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                f"The start date {self.start} is after the end date {self.end}; swap them.",
                f"開始日 {self.start} が終了日 {self.end} より後です。入れ替えてください。",
            )
        if (self.end - self.start).days >= MAX_DAYS:
            raise InvalidInput(
                "Choose a period of at most three years.",
                "期間は3年以内で指定してください。",
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dimensions(self) -> dict[str, str]:
        """The dimension filters given, by name."""
        return {n: v for n in DIMENSIONS if (v := getattr(self, n)) is not None}

    @property
    def grouped(self) -> bool:
        """Whether a segment or persona is chosen (figures computed from its voices)."""
        return self.segment is not None or self.persona is not None

    def groups(self) -> dict[str, str]:
        """The segment and persona filters given, as URL parameters."""
        return {n: str(v) for n in GROUP_NAMES if (v := getattr(self, n)) is not None}

    def filters(self) -> dict[str, str]:
        """Every filter but the period, as URL parameters."""
        return {**self.dimensions(), **self.groups()}

    def as_query(self) -> dict[str, str]:
        """The filter as URL parameters, for links and forms that keep it."""
        query = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        return {**query, **self.filters()}

    def explorer_query(self) -> dict[str, str]:
        """The same filter in the voice explorer's parameters (those it understands)."""
        query = {"since": self.start.isoformat(), "until": self.end.isoformat()}
        for name in ("channel", "touchpoint", "language"):
            value = getattr(self, name)
            if value is not None:
                query[name] = value
        return query

    def unsupported_in_explorer(self) -> list[str]:
        return [n for n in ("source", "survey", "store") if getattr(self, n) is not None]

    def previous(self) -> DashboardFilter:
        """The same filter over the period of the same length just before."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def without_period(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in DIMENSIONS}


def grain_of(names: set[str]) -> str:
    """The rollup grain that keeps these dimensions apart (see `kizuna.reports.models`)."""
    if not names:
        return "all"
    if len(names) == 1:
        return next(iter(names))
    return FULL


def _where(
    table: Any, workspace_id: int, chosen: DashboardFilter, by: str | None = None
) -> list[Any]:
    """Conditions for the filter's rows, on the smallest grain that holds them (`by`: a
    dimension the query also groups by)."""
    dims = chosen.dimensions()
    grain = grain_of(set(dims) | ({by} if by else set()))
    conditions = [table.workspace_id == workspace_id, table.grain == grain]
    for name, value in dims.items():
        conditions.append(getattr(table, name) == value)
    return conditions


def read_sums(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    table: Any,
    columns: dict[str, str],
    keys: tuple[str, ...],
    first: dt.date,
    last: dt.date,
) -> list[tuple[Any, ...]]:
    """Rows of `keys` and the sums of `columns` (label -> rollup column) of `table`
    (`DashboardDay` or `DashboardTopicDay`) over the filter's rows of `first`..`last`.

    From the rollups, or for a segment or persona from its voices counted the same way.
    """
    by = next((k for k in keys if k in DIMENSIONS), None)
    if chosen.grouped:
        from kizuna.reports.dashboard_segment import group_sums

        return group_sums(session, workspace_id, chosen, table, columns, keys, first, last)
    if len(chosen.dimensions()) > 1:  # several at once: the "full" rows, read once
        from kizuna.reports.dashboard_frames import full_sums

        return full_sums(session, workspace_id, chosen, table, columns, keys, first, last)
    sums = [func.sum(getattr(table, c)).label(n) for n, c in columns.items()]
    groups = [getattr(table, k) for k in keys]
    query = select(*groups, *sums).where(
        *_where(table, workspace_id, chosen, by), table.day >= first, table.day <= last
    )
    if groups:
        query = query.group_by(*groups)
    return [tuple(row) for row in session.execute(query)]


def _read_days(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    columns: dict[str, str],
    first: dt.date,
) -> list[tuple[Any, ...]]:
    rows = read_sums(
        session, workspace_id, chosen, DashboardDay, columns, ("day",), first, chosen.end
    )
    return sorted(rows, key=lambda row: row[0])


def metric_counts(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    metric: Metric,
    period: Period | None = None,
) -> pd.DataFrame:
    """The counts `count_metric` would give for these voices, from the rollups.

    With a period, the whole period before the first one is read too (as `compute_metric`
    does), so the first period shown has its change.
    """
    import pandas as pd

    columns = _METRIC_COLUMNS[metric]
    first = chosen.start
    if period is not None:
        first = shift_period(start_of_period(chosen.start, period), period, -1)
    rows = _read_days(session, workspace_id, chosen, columns, first)
    frame = pd.DataFrame(rows, columns=["day", *columns])
    for name in columns:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype("int64")
    if period is None:
        inside = frame[frame["day"] >= chosen.start]
        return pd.DataFrame({name: [int(inside[name].sum())] for name in columns})
    if period != "day":
        before = start_of_period(chosen.start, period)
        keep = (frame["day"] >= chosen.start) | (frame["day"] < before)
        frame = frame[keep]
    frame["period"] = [start_of_period(day, period) for day in frame["day"]]
    return frame.groupby("period", as_index=False)[list(columns)].sum()


def metric_report(
    session: Session,
    workspace_id: int,
    chosen: DashboardFilter,
    metric: Metric,
    period: Period | None = None,
) -> pd.DataFrame:
    """NPS, CSAT or CES with 95% intervals (and change by period), as `compute_metric` gives."""
    counts = metric_counts(session, workspace_id, chosen, metric, period)
    start = chosen.start if period is not None else None
    frame = finish_metric(counts, metric, (), period, start)
    if period is not None and len(frame):
        frame = frame[frame["period"] <= chosen.end].reset_index(drop=True)
    return frame


def _share(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


def _mean(total: float, n: float) -> float | None:
    return total / n if n else None


def sentiment_trend(
    session: Session, workspace_id: int, chosen: DashboardFilter, period: Period
) -> list[dict[str, Any]]:
    """Per period: voices analysed, mean sentiment (-1..1), mean delight (0..1), and the
    percent of analysed voices whose expectation was exceeded and missed ("below")."""
    names = (
        *("analysed", "sentiment_n", "sentiment_sum", "delight_n", "delight_sum"),
        *("exceeded", "met", "below", "positive", "negative"),
    )
    rows = _read_days(session, workspace_id, chosen, {n: n for n in names}, chosen.start)
    totals: dict[dt.date, dict[str, float]] = {}
    for day, *values in rows:
        bucket = totals.setdefault(start_of_period(day, period), dict.fromkeys(names, 0.0))
        for name, value in zip(names, values, strict=True):
            bucket[name] += float(value or 0)
    out = []
    for first in sorted(totals):
        t = totals[first]
        out.append(
            {
                "period": first.isoformat(),
                "analysed": int(t["analysed"]),
                "sentiment": _mean(t["sentiment_sum"], t["sentiment_n"]),
                "delight": _mean(t["delight_sum"], t["delight_n"]),
                "exceeded": _share(t["exceeded"], t["analysed"]),
                "below": _share(t["below"], t["analysed"]),
                "positive": _share(t["positive"], t["analysed"]),
                "negative": _share(t["negative"], t["analysed"]),
            }
        )
    return out


def volume_series(
    session: Session, workspace_id: int, chosen: DashboardFilter, period: Period
) -> list[dict[str, Any]]:
    """Voices and answers (with NPS, CSAT or CES) received per period."""
    names = {"voices": "voices", "nps": "nps_n", "csat": "csat_n", "ces": "ces_n"}
    rows = _read_days(session, workspace_id, chosen, names, chosen.start)
    totals: dict[dt.date, list[int]] = {}
    for day, *values in rows:
        bucket = totals.setdefault(start_of_period(day, period), [0] * len(names))
        for i, value in enumerate(values):
            bucket[i] += int(value or 0)
    return [
        {"period": first.isoformat(), **dict(zip(names, totals[first], strict=True))}
        for first in sorted(totals)
    ]


def volume_by(
    session: Session, workspace_id: int, chosen: DashboardFilter, dimension: str
) -> list[tuple[str, int]] | None:
    """Voices per value of one dimension (largest first); "" is a voice without one.

    With filters on other dimensions, the "full" grain splits the matching voices (a
    channel's voices by language). The return type keeps None for callers written when
    that was not possible; it is always a list now.
    """
    if dimension not in DIMENSIONS:
        raise InvalidInput(
            f"Unknown dimension '{dimension}'. Choose one of: {', '.join(DIMENSIONS)}.",
            f"分析軸「{dimension}」はありません。次から選んでください: {', '.join(DIMENSIONS)}",
        )

    def read() -> list[tuple[Any, ...]]:
        return read_sums(
            session,
            workspace_id,
            chosen,
            DashboardDay,
            {"voices": "voices"},
            (dimension,),
            chosen.start,
            chosen.end,
        )

    if grain_of(set(chosen.dimensions()) | {dimension}) == FULL and not chosen.grouped:
        # Another dimension's filter splits by the "full" rows: a long read, kept per version.
        from kizuna.reports.dashboard_cache import cached, rollup_version

        version = rollup_version(session, workspace_id)
        rows = cached(("volume-by", workspace_id, chosen, dimension, version), read)
    else:
        rows = read()
    found = [(str(value), int(n or 0)) for value, n in rows if n]
    return sorted(found, key=lambda row: (-row[1], row[0]))


def dimension_choices(session: Session, workspace_id: int) -> dict[str, list[str]]:
    """The values each filter can take in this workspace (from the rollups, one query)."""
    columns = [getattr(DashboardDay, name) for name in DIMENSIONS]
    rows = session.execute(
        select(DashboardDay.grain, *columns)
        .where(DashboardDay.workspace_id == workspace_id, DashboardDay.grain.in_(DIMENSIONS))
        .distinct()
    )
    found: dict[str, set[str]] = {name: set() for name in DIMENSIONS}
    for grain, *values in rows:
        value = dict(zip(DIMENSIONS, values, strict=True)).get(grain)
        if value:
            found[grain].add(str(value))
    return {name: sorted(values)[:200] for name, values in found.items()}


def number(value: Any) -> float | None:
    """A float for the page, None for missing or NaN."""
    if value is None:
        return None
    result = float(value)
    return None if math.isnan(result) else result
