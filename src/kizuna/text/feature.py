"""The text feature: the text engine wired in (background analysis, workspace models)."""

from kizuna.registry import Command, Feature, NavEntry, Permission, Subscription

ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="text",
    package="kizuna.text",
    commands=(
        Command(
            "text", "kizuna.text.cli:app", "Text analytics: analyze, topics, train, reanalyze."
        ),
    ),
    pages=("kizuna.text.pages:router",),
    nav=(NavEntry("text-models", "Text models", "admin/text", "text.manage", 70, "admin"),),
    jobs=("kizuna.text.service",),
    subscriptions=(
        Subscription(
            "voice.recorded", "text.analyze", "kizuna.text.service:analyze_recorded_voices"
        ),
    ),
    permissions=(Permission("text.manage", ANALYSTS, "Train and switch text models, re-analyse"),),
    models="kizuna.text.models",
    templates=True,
)
