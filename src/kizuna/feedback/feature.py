"""The feedback feature: every voice and its analysis, recorded one at a time or in batches."""

from kizuna.registry import Feature, NavEntry, Permission

ALL = ("owner", "admin", "analyst", "agent", "viewer")
STAFF = ("owner", "admin", "analyst", "agent")

FEATURE = Feature(
    name="feedback",
    package="kizuna.feedback",
    api=("kizuna.feedback.api:router", "kizuna.feedback.explorer_api:router"),
    pages=("kizuna.feedback.pages:router",),
    nav=(NavEntry("voices", "Voices", "voices", "feedback.read", 22),),
    permissions=(
        Permission("feedback.read", ALL, "Read voices and their analysis"),
        Permission("feedback.write", STAFF, "Record voices"),
    ),
    models="kizuna.feedback.models",
    templates=True,
)
