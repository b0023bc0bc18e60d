"""The customers feature: customer 360, identities, interactions, scores, actions, segments."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec

ALL = ("owner", "admin", "analyst", "agent", "viewer")
STAFF = ("owner", "admin", "analyst", "agent")
ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="customers",
    package="kizuna.customers",
    api=("kizuna.customers.api:router",),
    pages=("kizuna.customers.pages:router",),
    nav=(
        NavEntry("customers", "Customers", "customers", "customers.read", 20),
        NavEntry("actions", "Actions", "actions", "actions.read", 30),
        NavEntry("segments", "Segments", "segments", "segments.read", 40),
    ),
    commands=(
        Command(
            "customers",
            "kizuna.customers.cli:app",
            "Customer 360: resolve, score, profile, segments.",
        ),
    ),
    jobs=("kizuna.customers.jobs",),
    schedules=(
        ScheduleSpec(
            "customers.score-nightly",
            "30 3 * * *",
            "customers.score",
            description="Score every customer (CLV, churn risk, lifecycle) at 03:30",
        ),
    ),
    permissions=(
        Permission("customers.read", ALL, "See customers, profiles and timelines"),
        Permission("customers.write", STAFF, "Create and update customers and interactions"),
        Permission("actions.read", ALL, "See next best actions and the work list"),
        Permission("segments.read", ALL, "See segments and count their customers"),
        Permission("segments.write", ANALYSTS, "Create, change and delete segments"),
        Permission("customers.manage", ANALYSTS, "Merge and unmerge records, run scoring"),
    ),
    models="kizuna.customers.models",
    templates=True,
    migrations=True,
)
