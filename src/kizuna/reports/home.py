"""What the dashboard (the workspace home) shows, for a period and a filter.

NPS, CSAT and CES with 95% intervals and targets, value and engagement (CLV, repeat rate,
revenue of promoters and detractors, active customers, participation), monthly NPS,
sentiment and delight over time, volume by channel and response rate, topics rising and
falling, key drivers and notable voices. Voice figures come from the daily rollups
(`kizuna.reports.rollups`, refreshed here before reading) through `kizuna.reports.dashboard`
(a segment's from its voices, `dashboard_segment`); customer figures from
`dashboard_value` and invitations from `dashboard_responses`. This module picks the window
(whole months in the workspace's time zone, or the days asked for) and shapes the figures
for the template and the charts (names from kizuna.i18n.vocabulary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError

from kizuna.accounts.models import Workspace
from kizuna.analytics.metrics import Period
from kizuna.app import Kizuna
from kizuna.i18n.vocabulary import label
from kizuna.reports.dashboard import (
    DASHBOARD_METRICS,
    DashboardFilter,
    dimension_choices,
    metric_report,
    number,
    sentiment_trend,
    volume_by,
    volume_series,
)
from kizuna.reports.dashboard_cache import cached, rollup_version
from kizuna.reports.dashboard_responses import ResponseRate, response_rate
from kizuna.reports.dashboard_segment import group_choices
from kizuna.reports.dashboard_topics import DriverResult, TopicRow, key_drivers, topic_table
from kizuna.reports.dashboard_value import ValueMeasures, value_measures
from kizuna.reports.dashboard_voices import NotableVoice, notable_voices
from kizuna.reports.rollups import refresh_rollups
from kizuna.reports.targets import TargetProgress, list_targets, progress_of
from kizuna.web.templating import format_month

__all__ = [
    "METRIC_SPECS",
    "WINDOWS",
    "HomeView",
    "MetricCard",
    "build_chart_data",
    "build_home",
    "choose_filter",
    "month_window",
    "trend_period",
]

WINDOWS = (3, 6, 12, 24)
WIDGETS = ("metrics", "value", "topics", "drivers", "voices")

# How each headline is shown; the scales are the reports room's (ARCHITECTURE.md metrics).
METRIC_SPECS: dict[str, dict[str, Any]] = {
    "nps": {
        "title": "NPS",
        "hint": "Promoters (9-10) minus detractors (0-6), in points",
        "digits": 1,
        "signed": True,
        "unit": "",
        "change_unit": "",
    },
    "csat": {
        "title": "CSAT",
        "hint": "Share of satisfied answers (4-5 of 5)",
        "digits": 1,
        "signed": False,
        "unit": "%",
        "change_unit": "pt",
    },
    "ces": {
        "title": "CES",
        "hint": "Ease of getting things done, mean of 1-7",
        "digits": 2,
        "signed": False,
        "unit": "/7",
        "change_unit": "",
    },
}


@dataclass(frozen=True)
class MetricCard:
    """One headline figure of the window, and the latest month against the one before."""

    metric: str
    n: int = 0
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    latest_period: str | None = None
    latest_change: float | None = None
    latest_significant: bool | None = None
    target: TargetProgress | None = None


@dataclass
class HomeView:
    workspace: Workspace
    months: int
    start: dt.date
    end: dt.date
    now: dt.datetime
    chosen: DashboardFilter | None = None
    custom: bool = False
    cards: list[MetricCard] = field(default_factory=list)
    nps_series: list[dict[str, Any]] = field(default_factory=list)
    channels: list[tuple[str, int]] = field(default_factory=list)
    channels_split: bool = True
    trend: list[dict[str, Any]] = field(default_factory=list)
    volume: list[dict[str, Any]] = field(default_factory=list)
    topics: list[TopicRow] = field(default_factory=list)
    drivers: DriverResult | None = None
    notable: dict[str, list[NotableVoice]] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    value: ValueMeasures | None = None
    responses: ResponseRate | None = None
    targets: dict[str, float] = field(default_factory=dict)
    unavailable: str | None = None

    @property
    def total(self) -> int:
        if self.volume or not self.channels:
            return sum(int(row["voices"]) for row in self.volume)
        return sum(n for _, n in self.channels)

    @property
    def rising(self) -> list[TopicRow]:
        return [t for t in self.topics if t.trend == "rising"]

    @property
    def falling(self) -> list[TopicRow]:
        return [t for t in self.topics if t.trend == "falling"]


def month_window(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first day of the month `months - 1` before today's, and today."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def today_in(workspace: Workspace) -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(ZoneInfo(workspace.timezone)).date()


def choose_filter(
    workspace: Workspace,
    months: int = 12,
    start: dt.date | None = None,
    end: dt.date | None = None,
    segment: int | None = None,
    persona: int | None = None,
    **dimensions: str | None,
) -> tuple[DashboardFilter, int, bool]:
    """The filter a request asks for: `from`/`to` when given, else the last `months` months.

    Returns the filter, the months window shown on the switch and whether days were given.
    """
    months = months if months in WINDOWS else 12
    first, last = month_window(today_in(workspace), months)
    custom = start is not None or end is not None
    given: dict[str, Any] = {k: (v.strip() or None) if v else None for k, v in dimensions.items()}
    chosen = DashboardFilter(
        start=start or first, end=end or last, segment=segment, persona=persona, **given
    )
    return chosen, months, custom


def trend_period(chosen: DashboardFilter) -> Period:
    """Weeks for up to three months, months beyond."""
    return "week" if chosen.days <= 92 else "month"


def _card(metric: str, overall: list[dict[str, Any]], monthly: list[dict[str, Any]]) -> MetricCard:
    total = overall[0] if overall else {}
    latest = monthly[-1] if monthly else {}
    significant = latest.get("change_significant")
    return MetricCard(
        metric=metric,
        n=int(total.get("n") or 0),
        value=number(total.get("value")),
        ci_low=number(total.get("ci_low")),
        ci_high=number(total.get("ci_high")),
        latest_period=str(latest["period"])[:10] if latest.get("period") else None,
        latest_change=number(latest.get("change")),
        latest_significant=None if significant is None else bool(significant),
    )


def _records(frame: Any) -> list[dict[str, Any]]:
    from kizuna.reports.service import MetricReport

    return MetricReport(metric="nps", frame=frame).to_records()


def refresh(kz: Kizuna, workspace_id: int) -> None:
    """Bring the rollups up to date (cheap when nothing changed)."""
    try:
        with kz.session() as session:
            refresh_rollups(session, workspace_id)
    except (IntegrityError, OperationalError):
        pass  # another request or the worker is counting the same days; its rows will do


def build_home(
    kz: Kizuna,
    workspace: Workspace,
    months: int = 12,
    chosen: DashboardFilter | None = None,
    custom: bool = False,
    widgets: tuple[str, ...] = WIDGETS,
    lang: str = "ja",
) -> HomeView:
    """Gather the dashboard's figures for the filter (default: the last `months` months)."""
    if chosen is None:
        chosen, months, custom = choose_filter(workspace, months)
    now = dt.datetime.now(dt.UTC)
    view = HomeView(
        workspace=workspace,
        months=months,
        start=chosen.start,
        end=chosen.end,
        now=now,
        chosen=chosen,
        custom=custom,
    )
    refresh(kz, workspace.id)
    ws = workspace.id
    with kz.session() as session:
        view.targets = list_targets(session, workspace)
        channels = volume_by(session, ws, chosen, "channel")
        view.channels, view.channels_split = channels or [], channels is not None
        view.choices = dimension_choices(session, ws)
        view.groups = group_choices(session, ws, lang)
        for metric in DASHBOARD_METRICS:
            overall = _records(metric_report(session, ws, chosen, metric))
            monthly = _records(metric_report(session, ws, chosen, metric, "month"))
            card = _card(metric, overall, monthly)
            if metric in view.targets:
                card = _with_target(card, view.targets[metric])
            view.cards.append(card)
            if metric == "nps":
                view.nps_series = [
                    {
                        "period": str(row["period"])[:10],
                        "n": int(row.get("n") or 0),
                        "value": number(row.get("value")),
                        "ci_low": number(row.get("ci_low")),
                        "ci_high": number(row.get("ci_high")),
                    }
                    for row in monthly
                ]
        period = trend_period(chosen)
        view.trend = sentiment_trend(session, ws, chosen, period)
        view.volume = volume_series(session, ws, chosen, period)
        view.responses = response_rate(session, workspace, chosen, view.total)
        if "value" in widgets:
            view.value = value_measures(session, ws, chosen)
        if "topics" in widgets or "drivers" in widgets:
            view.topics = topic_table(session, ws, chosen)
        version = rollup_version(session, ws)
        topics = view.topics
        if "drivers" in widgets:
            view.drivers = cached(
                ("drivers", ws, chosen, version),
                lambda: key_drivers(session, ws, chosen, topics),
            )
        if "voices" in widgets:
            view.notable = cached(
                ("voices", ws, chosen, version), lambda: notable_voices(session, ws, chosen)
            )
    return view


def _with_target(card: MetricCard, target: float) -> MetricCard:
    from dataclasses import replace

    return replace(card, target=progress_of(card.metric, target, card.value))


def format_week(value: str, lang: str, translate: Callable[..., str]) -> str:
    """A week by its Monday, short ("12月1日の週", "Week of Dec 1")."""
    from babel.dates import format_skeleton

    day = dt.date.fromisoformat(value[:10])
    return translate("Week of {day}", day=str(format_skeleton("MMMd", day, locale=lang)))


def build_chart_data(
    view: HomeView, lang: str, translate: Callable[..., str]
) -> dict[str, dict[str, Any]]:
    """ECharts inputs, labels already in the page's language (the browser formats nothing)."""
    series = view.nps_series
    monthly = view.chosen is not None and trend_period(view.chosen) == "month"
    labels_of_period = [
        format_month(row["period"], lang)
        if monthly
        else format_week(row["period"], lang, translate)
        for row in view.trend
    ]
    charts: dict[str, dict[str, Any]] = {
        "nps": {
            "labels": [format_month(row["period"], lang) for row in series],
            "value": [row["value"] for row in series],
            "low": [row["ci_low"] for row in series],
            "high": [row["ci_high"] for row in series],
            "n": [row["n"] for row in series],
            "names": {
                "value": translate("NPS"),
                "band": translate("95% interval"),
                "n": translate("Responses"),
                "empty": translate("No answers in this period."),
            },
        },
        "channels": {
            "labels": [label("channel", code, lang) for code, _ in view.channels],
            "values": [n for _, n in view.channels],
            "names": {
                "value": translate("Feedback"),
                "empty": translate("No answers in this period."),
            },
        },
        "sentiment": {
            "labels": labels_of_period,
            "sentiment": [row["sentiment"] for row in view.trend],
            "delight": [row["delight"] for row in view.trend],
            "exceeded": [row["exceeded"] for row in view.trend],
            "below": [row["below"] for row in view.trend],
            "n": [row["analysed"] for row in view.trend],
            "names": {
                "sentiment": translate("Mean sentiment (-1 to 1)"),
                "delight": translate("Mean delight (0 to 1)"),
                "exceeded": translate("Expectation exceeded (%)"),
                "below": translate("Expectation missed (%)"),
                "n": translate("Voices analysed"),
                "empty": translate("No analysed voices in this period."),
            },
        },
    }
    if view.drivers is not None and view.drivers.rows:
        charts["drivers"] = {
            "points": [
                {
                    "name": label("topic", row["driver"], lang),
                    "importance": round(row["share"], 1),
                    "performance": round(row["performance"], 1),
                    "quadrant": label("driver_quadrant", row["quadrant"], lang),
                    "significant": row["significant"],
                }
                for row in view.drivers.rows
            ],
            "names": {
                "importance": translate("Importance (% of explained variance)"),
                "performance": translate("Performance (net sentiment)"),
                "significant": translate("significant"),
                "not_significant": translate("not significant"),
            },
        }
    return charts
