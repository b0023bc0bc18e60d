"""The demo feature: `kizuna demo` builds a realistic workspace and starts the server."""

from kizuna.registry import Command, Feature

FEATURE = Feature(
    name="demo",
    package="kizuna.demo",
    commands=(
        Command(
            "demo", "kizuna.demo.cli:demo_command", "Build the demo workspace and start Kizuna."
        ),
    ),
)
