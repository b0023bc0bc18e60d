"""The loop feature: rules raise cases, departments work them to an SLA on the Japanese
business calendar, and customers whose voice led to a change hear "you said, we did"."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec, Subscription

ALL = ("owner", "admin", "analyst", "agent", "viewer")
STAFF = ("owner", "admin", "analyst", "agent")
ANALYSTS = ("owner", "admin", "analyst")
ADMINS = ("owner", "admin")

FEATURE = Feature(
    name="loop",
    package="kizuna.loop",
    api=("kizuna.loop.api:router",),
    pages=(
        "kizuna.loop.pages_cases:router",
        "kizuna.loop.pages_rules:router",
        "kizuna.loop.pages_loop:router",
        "kizuna.loop.pages_admin:router",
        "kizuna.loop.public:router",
    ),
    nav=(
        NavEntry("cases", "Cases", "cases", "cases.read", 50),
        NavEntry("improvements", "Improvements", "improvements", "improvements.read", 60),
        NavEntry("praise", "Praise", "praise", "praise.read", 70),
        NavEntry("loop", "Closed loop", "loop", "loop.read", 80),
        NavEntry("rules", "Rules", "rules", "rules.read", 90),
        NavEntry("loop-settings", "Departments and SLA", "admin/loop", "cases.manage", 60, "admin"),
    ),
    commands=(
        Command(
            "loop",
            "kizuna.loop.cli:app",
            "Close the loop: departments, rules, cases, SLA, improvements, praise, webhooks.",
        ),
    ),
    jobs=("kizuna.loop.jobs",),
    subscriptions=(
        Subscription("voice.analyzed", "loop.rules", "kizuna.loop.engine:run_rules_on_voices"),
        Subscription(
            "improvement.shipped", "loop.you-said-we-did", "kizuna.loop.jobs:queue_shipped_notices"
        ),
        Subscription("case.opened", "loop.webhooks.case-opened", "kizuna.loop.webhooks:on_event"),
        Subscription("case.changed", "loop.webhooks.case-changed", "kizuna.loop.webhooks:on_event"),
        Subscription(
            "improvement.shipped",
            "loop.webhooks.improvement-shipped",
            "kizuna.loop.webhooks:on_event",
        ),
    ),
    schedules=(
        ScheduleSpec(
            "loop.sla-check",
            "*/5 * * * *",
            "loop.sla_check",
            description="Warn before an SLA breach and escalate to the department lead at breach.",
        ),
        ScheduleSpec(
            "loop.timed-rules",
            "15 * * * *",
            "loop.timed_rules",
            description="Rules on time: voices with no answer within N days.",
        ),
        ScheduleSpec(
            "loop.praise-digest",
            "0 9 * * 1",
            "loop.praise_digest",
            description="Monday 09:00: the week's praise to each team that asked for it.",
        ),
    ),
    permissions=(
        Permission("cases.read", ALL, "See cases (agents: their departments' cases)"),
        Permission(
            "cases.read_all",
            ("owner", "admin", "analyst", "viewer"),
            "See every department's cases",
        ),
        Permission("cases.work", STAFF, "Work cases: assign, comment, hand off, reply, resolve"),
        Permission(
            "cases.manage", ADMINS, "Departments, SLA, business calendar, root causes, webhooks"
        ),
        Permission("rules.read", ALL, "See rules and what they matched"),
        Permission("rules.manage", ANALYSTS, "Create, test, switch on and off rules"),
        Permission("improvements.read", ALL, "See improvements and their voices"),
        Permission("improvements.manage", ANALYSTS, "Create improvements, link voices, ship them"),
        Permission("praise.read", ALL, "See the praise feed"),
        Permission("loop.read", ALL, "See closed-loop metrics"),
    ),
    models="kizuna.loop.models",
    templates=True,
    migrations=True,
)
