"""The topics feature: accept, rename, merge, split and hide topics; past voices relabelled."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec, Subscription

ALL = ("owner", "admin", "analyst", "agent", "viewer")
ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="topics",
    package="kizuna.topics",
    api=("kizuna.topics.api:router",),
    pages=("kizuna.topics.pages:router",),
    nav=(NavEntry("topics", "Topics", "topics", "topics.read", 24),),
    commands=(
        Command(
            "topics",
            "kizuna.topics.cli:app",
            "Topics: list, discover, accept, rename, merge, split.",
        ),
    ),
    jobs=("kizuna.topics.jobs",),
    subscriptions=(
        Subscription("voice.analyzed", "topics.apply", "kizuna.topics.relabel:apply_to_analyzed"),
    ),
    schedules=(
        ScheduleSpec(
            "topics.discover-weekly",
            "0 5 * * 1",
            "topics.discover",
            description="Propose new topics from last weeks' voices every Monday at 05:00",
        ),
    ),
    permissions=(
        Permission("topics.read", ALL, "See the workspace's topics, proposals and changes"),
        Permission("topics.manage", ANALYSTS, "Accept, rename, merge, split and hide topics"),
    ),
    models="kizuna.topics.models",
    templates=True,
    migrations=True,
)
