"""The journeys feature: the journey of a workspace, its analytics and its map."""

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
    name="journeys",
    package="kizuna.journeys",
    api=("kizuna.journeys.api:router",),
    pages=("kizuna.journeys.pages:router",),
    nav=(NavEntry("journeys", "Journeys", "journeys", "journeys.read", 45),),
    commands=(
        Command(
            "journeys",
            "kizuna.journeys.cli:app",
            "Journeys: discover an event log, stages, rules, analytics, the map.",
        ),
    ),
    jobs=("kizuna.journeys.jobs",),
    subscriptions=(
        Subscription(
            "persona.built", "journeys.persona-scopes", "kizuna.journeys.jobs:refresh_personas"
        ),
    ),
    schedules=(
        ScheduleSpec(
            "journeys.refresh-nightly",
            "0 4 * * *",
            "journeys.refresh",
            description="Recompute the journey analytics of every scope at 04:00",
        ),
    ),
    permissions=(
        Permission("journeys.read", ALL, "See the journey, its analytics and the journey map"),
        Permission(
            "journeys.manage", ANALYSTS, "Change stages and touchpoint rules, refresh analytics"
        ),
    ),
    models="kizuna.journeys.models",
    templates=True,
    migrations=True,
)
