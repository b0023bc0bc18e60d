"""The reports feature: the dashboard (workspace home), metrics with intervals, exports."""

from kizuna.registry import (
    Command,
    Feature,
    NavEntry,
    Permission,
    ScheduleSpec,
    Subscription,
)

ALL = ("owner", "admin", "analyst", "agent", "viewer")
ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="reports",
    package="kizuna.reports",
    api=("kizuna.reports.api:router",),
    pages=("kizuna.reports.pages:router",),
    nav=(NavEntry("home", "Home", "", "dashboard.read", 10),),
    commands=(
        Command(
            "metrics",
            "kizuna.reports.cli:metrics_app",
            "NPS, CSAT, CES and eNPS with 95% intervals.",
        ),
        Command(
            "export", "kizuna.reports.cli:export_command", "Export a workspace to Parquet files."
        ),
        Command(
            "drivers",
            "kizuna.reports.drivers_cli:drivers_command",
            "Key drivers of NPS or CSAT in a file of answers: what to fix first.",
        ),
        Command(
            "reports", "kizuna.reports.weekly_cli:app", "Reports by e-mail: the weekly summary."
        ),
        Command(
            "dashboard",
            "kizuna.reports.dashboard_cli:app",
            "The dashboard's daily rollups: rebuild or refresh them.",
        ),
    ),
    jobs=("kizuna.reports.weekly",),
    subscriptions=(
        Subscription(
            "voice.recorded",
            "reports.dashboard-voices",
            "kizuna.reports.rollups:on_voices_recorded",
        ),
        Subscription(
            "voice.analyzed",
            "reports.dashboard-analyses",
            "kizuna.reports.rollups:on_voices_analysed",
        ),
        Subscription(
            "voice.relabelled",
            "reports.dashboard-relabelled",
            "kizuna.reports.rollups:on_voices_relabelled",
        ),
        Subscription(
            "interaction.recorded",
            "reports.dashboard-interactions",
            "kizuna.reports.customer_days:on_interactions_recorded",
        ),
    ),
    schedules=(
        ScheduleSpec(
            "reports.weekly",
            "0 8 * * 1",
            "reports.weekly",
            description="E-mail last week's summary to its subscribers, Mondays 08:00.",
        ),
    ),
    permissions=(
        Permission("dashboard.read", ALL, "See the workspace home and its charts"),
        Permission("dashboard.manage", ANALYSTS, "Set the dashboard's targets"),
        Permission("metrics.read", ALL, "Read metrics"),
        Permission("exports.run", ANALYSTS, "Export the workspace's data"),
    ),
    models="kizuna.reports.models",
    templates=True,
    migrations=True,
)
