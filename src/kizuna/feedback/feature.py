"""The feedback feature: every voice and its analysis, recorded one at a time or in batches;
the voice explorer with its full-text search and tags."""

from kizuna.registry import Command, Feature, NavEntry, Permission, Subscription

ALL = ("owner", "admin", "analyst", "agent", "viewer")
STAFF = ("owner", "admin", "analyst", "agent")
ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="feedback",
    package="kizuna.feedback",
    api=(
        "kizuna.feedback.api:router",
        "kizuna.feedback.explorer_api:router",
        "kizuna.feedback.tags_api:router",
    ),
    pages=("kizuna.feedback.pages:router", "kizuna.feedback.tags_pages:router"),
    nav=(NavEntry("voices", "Voices", "voices", "feedback.read", 22),),
    commands=(
        Command(
            "voices",
            "kizuna.feedback.cli:app",
            "Voices: search, export, and the search index. / 声の検索・書き出し",
        ),
    ),
    jobs=("kizuna.feedback.tags",),
    subscriptions=(
        Subscription(
            "voice.recorded",
            "feedback.search_index",
            "kizuna.feedback.search:index_recorded_voices",
        ),
    ),
    permissions=(
        Permission("feedback.read", ALL, "Read voices and their analysis"),
        Permission("feedback.write", STAFF, "Record voices"),
        Permission("feedback.tag", ANALYSTS, "Tag voices, one or every voice of a filter"),
    ),
    models="kizuna.feedback.models",
    templates=True,
    migrations=True,
)
