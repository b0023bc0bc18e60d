"""`kizuna surveys link|invite|remind|qr|widget`: getting a survey to people from the terminal.

Thin commands over the distribution services; `kizuna.surveys.cli` registers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.surveys import service
from kizuna.surveys.cli_options import SurveyArgument, WorkspaceOption, console
from kizuna.surveys.distribution import create_personal_link
from kizuna.surveys.qr import qr_code
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.sending import invite_customers_now_or_later, resolve_audience
from kizuna.surveys.widget import iframe_snippet, widget_snippet

__all__ = ["app"]

# Registered on `kizuna.surveys.cli.app` (in the order `kizuna surveys --help` lists them).
app = typer.Typer()


def _pairs(values: list[str] | None) -> dict[str, str]:
    found = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(
                f"Write a hidden field as name=value (got {item!r}).",
                f"隠しフィールドは name=value の形で書いてください({item!r})。",
            )
        found[name.strip()] = value.strip()
    return found


@app.command("link")
def link_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    customer: Annotated[int | None, typer.Option(help="Customer id the link is bound to.")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint the link is bound to.")] = None,
    days: Annotated[int | None, typer.Option(help="Days the link works.")] = None,
    hidden: Annotated[list[str] | None, typer.Option(help="Hidden field name=value.")] = None,
) -> None:
    """Make a personal link: signed, single use, expiring. / 個別リンク"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.get_survey(session, ws, survey_id)
        invitation, url = create_personal_link(
            session,
            kz.settings,
            ws,
            survey,
            customer_id=customer,
            touchpoint=touchpoint,
            hidden=_pairs(hidden),
            days=days,
            actor=cli_actor(),
        )
        reason, expires = invitation.skip_reason, invitation.expires_at
    if url is None:
        console.print(f"no link: the contact rules skipped this customer ({reason})")
        raise typer.Exit(1)
    console.print(f"{url}\n(expires {expires:%Y-%m-%d %H:%M} UTC)")


@app.command("invite")
def invite_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    customers: Annotated[str | None, typer.Option(help="Customer ids, e.g. 1,2,3.")] = None,
    segment: Annotated[int | None, typer.Option(help="A saved segment's id.")] = None,
    consented: Annotated[bool, typer.Option(help="Everyone who agreed to e-mail.")] = False,
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint of the invitations.")] = None,
) -> None:
    """E-mail invitations with the first question inside, under the contact rules. / 招待"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.get_survey(session, ws, survey_id)
        if consented:
            ids = resolve_audience(session, ws, "consented")
        elif segment is not None:
            ids = resolve_audience(session, ws, "segment", segment_id=segment)
        else:
            ids = resolve_audience(session, ws, "ids", customers or "")
        report, jobs = invite_customers_now_or_later(
            session, kz.settings, ws, survey, ids, touchpoint=touchpoint, actor=cli_actor()
        )
    if jobs:
        console.print(
            f"{len(ids):,} invitations queued in {jobs} jobs (`kizuna worker` sends them)"
        )
        return
    skipped = ", ".join(f"{k} {v}" for k, v in report.skipped.items()) or "none"
    console.print(
        f"sent {report.sent}, scheduled {report.scheduled}, already invited {report.already}, "
        f"skipped {sum(report.skipped.values())} ({skipped})"
    )


@app.command("remind")
def remind_command(
    workspace: WorkspaceOption,
    survey_id: Annotated[int | None, typer.Argument(help="Only this survey.")] = None,
) -> None:
    """Send the reminders due now to those who have not answered. / リマインド"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        sent = send_reminders(session, kz.settings, ws, survey_id=survey_id, actor=cli_actor())
    console.print(f"{sent} reminders sent")


@app.command("qr")
def qr_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.png or .svg).")],
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint the code carries.")] = None,
    format: Annotated[
        str | None, typer.Option(help="png or svg (default: from the file name).")
    ] = None,
) -> None:
    """A QR code for receipts, rooms and counters, carrying the touchpoint. / QRコード"""
    fmt = format or output.suffix.lstrip(".").lower() or "png"
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        data = qr_code(kz.settings, survey, fmt, touchpoint=touchpoint)
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data):,} bytes)")


@app.command("widget")
def widget_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    delay: Annotated[int, typer.Option(help="Seconds before it shows.")] = 10,
    event: Annotated[str | None, typer.Option(help="Show on this page event instead.")] = None,
) -> None:
    """The website widget's script tag (and the iframe variant). / ウィジェット"""
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        script = widget_snippet(kz.settings, survey, delay=delay, event=event)
        frame = iframe_snippet(kz.settings, survey)
    print(script)
    print(frame)
