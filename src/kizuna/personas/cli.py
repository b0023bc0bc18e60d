"""`kizuna personas`: build the personas, list their cards, rename one, export the cards.

Thin commands over `kizuna.personas.service`; errors reach the root command, which prints
the message and the next step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kizuna.errors import UnsupportedFile

__all__ = ["app"]

app = typer.Typer(help="Personas: build, list, rename, export. / ペルソナ", no_args_is_help=True)
console = Console()
WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("build")
def build_command(
    workspace: WorkspaceOption,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (same seed, same personas).")] = 0,
    k: Annotated[
        int | None,
        typer.Option("--k", min=2, max=12, help="Number of personas (default: by silhouette)."),
    ] = None,
) -> None:
    """Cluster the customers into personas now, keeping ids and names. / ペルソナの作成"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.personas.service import build_personas

    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            session.expunge(ws)
        report = build_personas(kz, ws, seed=seed, n_personas=k, actor=cli_actor())
    table = Table("personas", "mean silhouette", title="Silhouette on Gower distances")
    for number, value in sorted(report.silhouettes.items()):
        table.add_row(f"{number}{' (chosen)' if number == report.k else ''}", f"{value:.3f}")
    console.print(table)
    kept = "-" if report.kept is None else f"{report.kept:.1%}"
    console.print(
        f"{report.k} personas from {report.customers:,} customers ({report.criterion}); "
        f"kept their persona: {kept}; {report.seconds:.1f} s"
    )


@app.command("list")
def list_command(
    workspace: WorkspaceOption,
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """The personas with size, CLV, NPS and description. / 一覧"""
    from kizuna.command import build_app
    from kizuna.personas.service import list_personas, persona_name

    with build_app() as kz, kz.session() as session:
        personas = list_personas(session, kz.workspace(session, workspace))
        rows = [
            (
                p.id,
                persona_name(p, language),
                p.size,
                p.share,
                (p.card or {}).get("clv"),
                (p.card or {}).get("nps"),
                (p.description or {}).get(language, ""),
            )
            for p in personas
        ]
    table = Table("id", "name", "customers", "share", "CLV", "NPS", "description")
    for pid, name, size, share, clv, nps, text in rows:
        table.add_row(
            str(pid),
            name,
            f"{size:,}",
            f"{share:.0%}",
            "-" if not clv else f"{clv['mean']:,.0f}",
            "-" if not nps else f"{nps['value']:+.0f}",
            text,
        )
    console.print(table)


@app.command("rename")
def rename_command(
    workspace: WorkspaceOption,
    persona_id: Annotated[int, typer.Argument(help="The persona's id.")],
    name: Annotated[str, typer.Argument(help="The new name (empty: the generated one).")],
) -> None:
    """Give a persona the team's name; it stays across builds. / 名前の変更"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.personas.service import rename_persona

    with build_app() as kz, kz.session() as session:
        persona = rename_persona(
            session, kz.workspace(session, workspace), persona_id, name, actor=cli_actor()
        )
        console.print(f"persona {persona.id}: {persona.name or '(generated name)'}")


@app.command("export")
def export_command(
    workspace: WorkspaceOption,
    out: Annotated[Path, typer.Option(help="File to write: .pdf, .png or .svg.")],
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """The persona cards on one A3 page (PDF, PNG or SVG). / カードの書き出し"""
    from kizuna.command import build_app
    from kizuna.personas.picture import cards_picture

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png", "svg"):
        raise UnsupportedFile(
            "Write the cards to a .pdf, .png or .svg file.",
            "カードは .pdf・.png・.svg のファイルに書き出してください。",
        )
    with build_app() as kz, kz.session() as session:
        body, _ = cards_picture(session, kz.workspace(session, workspace), language, fmt)
    out.write_bytes(body)
    console.print(f"wrote {out} ({len(body):,} bytes)")
