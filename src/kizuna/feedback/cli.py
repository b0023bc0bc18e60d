"""`kizuna voices ...`: the voice explorer on the terminal.

    kizuna voices search -w demo 待ち時間 --sentiment negative
    kizuna voices export -w demo --topic room --format xlsx -o room.xlsx
    kizuna voices export -w demo -q 朝食 -o breakfast.csv     # CSV with BOM for Japanese Excel
    kizuna voices reindex -w demo                              # rebuild the search index

The same filters as the page and `/api/v1/voices`; errors are KizunaError, printed by
`kizuna.cli.main` as a message with the next step.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kizuna.command import build_app

__all__ = ["app"]

app = typer.Typer(
    help="Voices: search, export and the search index. / 声の検索・書き出し・検索索引",
    no_args_is_help=True,
)

Workspace = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
Q = Annotated[str | None, typer.Option("--q", "-q", help="Words in the text (all must hold).")]
Sentiment = Annotated[str | None, typer.Option(help="positive, neutral, negative or mixed.")]
Expectation = Annotated[str | None, typer.Option(help="exceeded, met, below or unknown.")]
MinDelight = Annotated[float | None, typer.Option(help="Delight at least (0-1).")]
Emotion = Annotated[str | None, typer.Option(help="joy, trust, surprise, anger, ...")]
Topic = Annotated[str | None, typer.Option(help="A topic code, e.g. room.")]
TopicSentiment = Annotated[str | None, typer.Option(help="The topic's own polarity.")]
ExperienceValue = Annotated[str | None, typer.Option(help="sense, feel, think, act or relate.")]
Language = Annotated[str | None, typer.Option(help="ja, en, ...")]
Channel = Annotated[str | None, typer.Option(help="A channel code, e.g. web.")]
Touchpoint = Annotated[str | None, typer.Option(help="A touchpoint.")]
MinNps = Annotated[int | None, typer.Option(help="NPS at least (0-10).")]
MaxNps = Annotated[int | None, typer.Option(help="NPS at most (0-10).")]
Since = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="From this day.")]
Until = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="To this day.")]
CustomerAttribute = Annotated[
    str | None, typer.Option(help="The customer's field:value, e.g. prefecture:東京都.")
]
SegmentId = Annotated[int | None, typer.Option(help="A segment's id.")]
Tag = Annotated[str | None, typer.Option(help="A tag's name.")]


def _filter(values: dict[str, Any]) -> Any:
    from kizuna.feedback.explorer_filter import VoiceFilter

    given = {k: v for k, v in values.items() if v is not None and k != "workspace"}
    for day in ("since", "until"):
        if day in given:
            given[day] = given[day].date()
    return VoiceFilter(**given)


@app.command("search")
def search_command(
    workspace: Workspace,
    query: Annotated[str, typer.Argument(help="Words in the text, e.g. 待ち時間.")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many voices.")] = 20,
    sentiment: Sentiment = None,
    topic: Topic = None,
    channel: Channel = None,
    language: Language = None,
    tag: Tag = None,
    segment: SegmentId = None,
    customer_attribute: CustomerAttribute = None,
) -> None:
    """The newest voices holding the words. / 語を含む声を新しい順に表示"""
    wanted = _filter({**locals(), "q": query, "query": None, "limit": None})
    from kizuna.feedback.explorer import search_voices

    with build_app() as kz, kz.session() as session:
        page = search_voices(session, kz.workspace(session, workspace), wanted, limit=limit)
    table = Table("id", "received", "channel", "sentiment", "text", "tags")
    for voice in page.voices:
        table.add_row(
            str(voice.id),
            voice.received_at.date().isoformat(),
            voice.channel,
            voice.sentiment or "",
            voice.text or "",
            ", ".join(voice.tags),
        )
    console = Console()
    console.print(table)
    more = " (more: narrow the words or use the page)" if page.next_cursor else ""
    console.print(f"{len(page.voices)} voices{more}")


@app.command("export")
def export_command(
    workspace: Workspace,
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    q: Q = None,
    sentiment: Sentiment = None,
    expectation: Expectation = None,
    min_delight: MinDelight = None,
    emotion: Emotion = None,
    topic: Topic = None,
    topic_sentiment: TopicSentiment = None,
    experience_value: ExperienceValue = None,
    language: Language = None,
    channel: Channel = None,
    touchpoint: Touchpoint = None,
    min_nps: MinNps = None,
    max_nps: MaxNps = None,
    since: Since = None,
    until: Until = None,
    customer_attribute: CustomerAttribute = None,
    segment: SegmentId = None,
    tag: Tag = None,
) -> None:
    """The filtered voices with every analysis column, to CSV or Excel. / 声を書き出す"""
    wanted = _filter({**locals(), "output": None, "format": None})  # the options given
    from kizuna.feedback.explorer_export import write_voices

    started = time.perf_counter()
    partial = output.with_name(output.name + ".partial")
    try:
        with build_app() as kz, kz.session() as session, partial.open("wb") as out:
            rows = write_voices(session, kz.workspace(session, workspace), wanted, format, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)  # a file that is there is whole
    took = time.perf_counter() - started
    Console().print(f"{rows:,} voices → {output} ({format}, {took:.1f} s)")


@app.command("reindex")
def reindex_command(workspace: Workspace) -> None:
    """Rebuild the workspace's search index from the stored voices. / 検索索引の再構築"""
    from kizuna.feedback.search import reindex_workspace

    started = time.perf_counter()
    with build_app() as kz:
        with kz.session() as session:
            workspace_id = kz.workspace(session, workspace).id
        with kz.engine.begin() as conn:
            done = reindex_workspace(conn, workspace_id)
    took = time.perf_counter() - started
    Console().print(f"{done:,} voices indexed in {workspace} ({took:.1f} s)")
