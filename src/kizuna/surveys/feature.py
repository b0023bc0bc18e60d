"""The surveys feature: build, distribute and answer surveys; every answer a voice at once."""

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
SENDERS = ("owner", "admin", "analyst", "agent")

FEATURE = Feature(
    name="surveys",
    package="kizuna.surveys",
    api=("kizuna.surveys.api:router",),
    pages=("kizuna.surveys.pages:router", "kizuna.surveys.public:router"),
    nav=(NavEntry("surveys", "Surveys", "surveys", "surveys.read", 25),),
    commands=(
        Command(
            "surveys",
            "kizuna.surveys.cli:app",
            "Surveys: create, publish, invite, QR, widget, responses, results, export.",
        ),
    ),
    jobs=("kizuna.surveys.jobs",),
    subscriptions=(
        Subscription(
            "interaction.recorded",
            "surveys.trigger",
            "kizuna.surveys.triggers:on_interactions",
        ),
    ),
    schedules=(
        ScheduleSpec(
            "surveys.remind",
            "15 * * * *",
            "surveys.remind",
            description="Remind invitees who have not answered, when their reminder is due",
        ),
        ScheduleSpec(
            "surveys.close-partials",
            "*/10 * * * *",
            "surveys.close_partials",
            description="Turn partial answers past the time-out into voices",
        ),
    ),
    permissions=(
        Permission("surveys.read", ALL, "See surveys, their answers and results"),
        Permission("surveys.manage", ANALYSTS, "Create, edit, publish and close surveys"),
        Permission(
            "surveys.distribute",
            SENDERS,
            "Invite customers, make personal links, QR codes and the widget",
        ),
    ),
    models="kizuna.surveys.models",
    templates=True,
    migrations=True,
)
