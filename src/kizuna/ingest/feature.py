"""The ingest feature: files and API batches into customers, interactions and voices."""

from kizuna.registry import Command, Feature, Permission

ANALYSTS = ("owner", "admin", "analyst")

FEATURE = Feature(
    name="ingest",
    package="kizuna.ingest",
    commands=(
        Command(
            "import",
            "kizuna.ingest.cli:app",
            "Import customers, interactions or feedback from a file.",
        ),
    ),
    permissions=(Permission("imports.run", ANALYSTS, "Import files and API batches"),),
    models="kizuna.ingest.models",
    migrations=True,
)
