"""`kizuna surveys --help`: every command, in the order it has always been listed.

The commands live in several rooms (`kizuna.surveys.cli` and its `*_cli` modules) and are
registered on one app; a room registered in the wrong place would reorder the help, one
forgotten would drop its commands.
"""

from __future__ import annotations

import re

from typer.testing import CliRunner

from kizuna.cli import app

COMMANDS = [
    "create",
    "validate",
    "list",
    "show",
    "update",
    "publish",
    "close",
    "templates",
    "template",
    "link",
    "invite",
    "remind",
    "qr",
    "widget",
    "responses",
    "results",
    "export",
    "rules",
    "close-partials",
    "logo",
]


def test_the_help_lists_every_survey_command_in_order() -> None:
    shown = CliRunner().invoke(app, ["surveys", "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    listed = re.findall(r"^│ ([a-z][a-z-]*) {2,}\S", shown.output, flags=re.MULTILINE)
    assert listed == COMMANDS


def test_a_moved_command_keeps_its_options_and_help() -> None:
    shown = CliRunner().invoke(app, ["surveys", "rules", "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Show or change the contact rules shared by every survey and channel." in shown.output
    for option in ("--workspace", "--frequency-days", "--quiet", "--consent", "--origin"):
        assert option in shown.output
