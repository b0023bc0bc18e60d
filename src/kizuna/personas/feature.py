"""The personas feature: clustering customers into personas, their cards and exports."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec

ALL = ("owner", "admin", "analyst", "agent", "viewer")
ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="personas",
    package="kizuna.personas",
    api=("kizuna.personas.api:router",),
    pages=("kizuna.personas.pages:router",),
    nav=(NavEntry("personas", "Personas", "personas", "personas.read", 47),),
    commands=(
        Command(
            "personas",
            "kizuna.personas.cli:app",
            "Personas: build, list, rename, export the cards.",
        ),
    ),
    jobs=("kizuna.personas.jobs",),
    schedules=(
        ScheduleSpec(
            "personas.build-weekly",
            "30 4 * * 1",
            "personas.build",
            description="Rebuild the personas every Monday at 04:30, keeping names and ids",
        ),
    ),
    permissions=(
        Permission("personas.read", ALL, "See personas and their cards"),
        Permission("personas.manage", ANALYSTS, "Build personas and rename them"),
    ),
    models="kizuna.personas.models",
    templates=True,
    migrations=True,
)
