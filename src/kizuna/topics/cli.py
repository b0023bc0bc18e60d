"""`kizuna topics`: list the workspace's topics, discover new ones, accept a proposal, rename,
merge, split, and relabel past voices now.

Thin commands over `kizuna.topics.service`; a change relabels past voices right away
here (the same run a worker would do), printing its progress. Errors reach the root
command, which prints the message and the next step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["app"]

app = typer.Typer(
    help="Topics: list, discover, accept, rename, merge, split. / トピック", no_args_is_help=True
)
console = Console()
WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
Language = Annotated[str, typer.Option(help="ja or en.")]


def _words(values: list[str]) -> list[str]:
    return [w.strip() for v in values for w in v.replace("、", ",").split(",") if w.strip()]


def _relabel_now(kz: Kizuna, workspace_id: int) -> None:
    """Run the relabel the change queued, printing done/total."""
    from kizuna.topics.relabel import latest_relabel, run_relabel

    with kz.session() as session:
        run = latest_relabel(session, workspace_id)
        run_id = None if run is None or run.state not in ("queued", "running") else run.id
    if run_id is None:
        return
    done = run_relabel(kz, run_id)
    if done is not None:
        console.print(
            f"relabelled {done.done:,}/{done.total or 0:,} analyses; {done.changed:,} changed"
        )


@app.command("list")
def list_command(workspace: WorkspaceOption, language: Language = "ja") -> None:
    """The topics with voices (30 days, all) and polarity. / 一覧"""
    from kizuna.command import build_app
    from kizuna.topics.counts import topic_rows

    with build_app() as kz, kz.session() as session:
        rows = topic_rows(session, kz.workspace(session, workspace))
    table = Table("key", "name", "origin", "30 days", "all", "+", "0", "-")
    for r in rows:
        s = r.sentiments
        table.add_row(
            r.topic.key,
            r.topic.name(language),
            r.topic.origin,
            f"{r.recent:,}",
            f"{r.total:,}",
            str(s.get("positive", 0)),
            str(s.get("neutral", 0)),
            str(s.get("negative", 0)),
        )
    console.print(table)


@app.command("discover")
def discover_command(
    workspace: WorkspaceOption,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Voices of the last N days.")] = 90,
) -> None:
    """Propose new topics from voices no topic matched. / 新しいトピックの候補"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.topics.proposals import discover_proposals

    with build_app() as kz, kz.session() as session:
        found = discover_proposals(
            session, kz.workspace(session, workspace), days=days, actor=cli_actor()
        )
        table = Table("id", "phrase", "voices", "share", "sample")
        for p in found:
            table.add_row(
                str(p.id), p.phrase, f"{p.count:,}", f"{p.share:.0%}", (p.samples or [""])[0]
            )
    console.print(table)


@app.command("accept")
def accept_command(
    workspace: WorkspaceOption,
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id (kizuna topics discover).")],
    key: Annotated[
        str | None, typer.Option(help="The topic's key (default: from the phrase).")
    ] = None,
    name_ja: Annotated[str | None, typer.Option(help="Japanese name.")] = None,
    name_en: Annotated[str | None, typer.Option(help="English name.")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Keyword (repeat, or a,b).")] = None,
) -> None:
    """Make a proposal a topic; past voices are relabelled. / 候補の採用"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.topics.proposals import accept_proposal

    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            proposal = accept_proposal(
                session,
                ws,
                proposal_id,
                key=key,
                name_ja=name_ja,
                name_en=name_en,
                keywords=_words(keyword or []) or None,
                actor=cli_actor(),
            )
            console.print(f"proposal {proposal.id} accepted: change {proposal.change_id}")
            ws_id = ws.id
        _relabel_now(kz, ws_id)


@app.command("rename")
def rename_command(
    workspace: WorkspaceOption,
    key: Annotated[str, typer.Argument(help="The topic's key.")],
    name_ja: Annotated[str | None, typer.Option(help="New Japanese name.")] = None,
    name_en: Annotated[str | None, typer.Option(help="New English name.")] = None,
) -> None:
    """Give a topic new names (nothing to relabel). / 名前の変更"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.topics.service import rename_topic

    with build_app() as kz, kz.session() as session:
        change = rename_topic(
            session, kz.workspace(session, workspace), key, name_ja, name_en, actor=cli_actor()
        )
        console.print(f"change {change.id}: {change.spec['name_ja']} / {change.spec['name_en']}")


@app.command("merge")
def merge_command(
    workspace: WorkspaceOption,
    sources: Annotated[list[str], typer.Argument(help="Keys of the topics to merge.")],
    into: Annotated[str, typer.Option("--into", help="Target key (existing or new).")],
    name_ja: Annotated[str | None, typer.Option(help="Japanese name of the target.")] = None,
    name_en: Annotated[str | None, typer.Option(help="English name of the target.")] = None,
) -> None:
    """Merge topics into one; past voices are relabelled. / 統合"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.topics.service import merge_topics

    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            change = merge_topics(
                session, ws, sources, into, name_ja=name_ja, name_en=name_en, actor=cli_actor()
            )
            console.print(f"change {change.id}: {', '.join(sources)} -> {into}")
            ws_id = ws.id
        _relabel_now(kz, ws_id)


@app.command("split")
def split_command(
    workspace: WorkspaceOption,
    source: Annotated[str, typer.Argument(help="Key of the topic to split.")],
    part: Annotated[
        list[str],
        typer.Option(help="KEY=keyword,keyword[:name_ja[:name_en]] (at least two)."),
    ],
) -> None:
    """Split a topic by keywords; past voices are relabelled. / 分割"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.topics.service import SplitPart, split_topic

    parts = []
    for spec in part:
        key, _, rest = spec.partition("=")
        words, _, names = rest.partition(":")
        name_ja, _, name_en = names.partition(":")
        parts.append(SplitPart(key.strip(), name_ja, name_en, tuple(_words([words]))))
    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            change = split_topic(session, ws, source, parts, actor=cli_actor())
            console.print(f"change {change.id}: {source} -> {', '.join(p.key for p in parts)}")
            ws_id = ws.id
        _relabel_now(kz, ws_id)
