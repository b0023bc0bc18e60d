"""The reports feature: the workspace home, metrics with intervals, exports."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec

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
    ),
    jobs=("kizuna.reports.weekly",),
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
        Permission("metrics.read", ALL, "Read metrics"),
        Permission("exports.run", ANALYSTS, "Export the workspace's data"),
    ),
    models="kizuna.reports.models",
    templates=True,
    migrations=True,
)
