"""`kizuna demo`: build the demo workspace (a Rich progress bar), print how to log in,
then start the server unless `--no-serve`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from kizuna.app import Kizuna
from kizuna.command import build_app
from kizuna.demo.build import DEMO_SLUG, DemoSummary, ProgressFn, build_demo

__all__ = ["demo_command"]

_LABELS = {
    "generate": "generating / 生成",
    "customers": "customers / 顧客",
    "interactions": "interactions / 接点",
    "feedback": "feedback / 声",
    "analysis": "text analysis / 分析",
    "customers-360": "identities & scores / 顧客360",
}


def _build_with_bar(console: Console, build: Callable[[ProgressFn], DemoSummary]) -> DemoSummary:
    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.completed:>7,.0f}/{task.total:<7,.0f}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return build(report)


def _analyse_comments(kz: Kizuna, summary: DemoSummary, progress: ProgressFn) -> None:
    """Analyse every demo comment now, so the first page already shows what customers felt."""
    from kizuna.text.service import reanalyze_workspace

    with kz.session() as session:
        ws = kz.workspace(session, summary.slug)
    reanalyze_workspace(kz, ws, progress=lambda done, total: progress("analysis", done, total))


def _score_customers(kz: Kizuna, summary: DemoSummary, progress: ProgressFn) -> None:
    """Merge duplicate records, then score CLV, churn and lifecycle for the customer pages."""
    from kizuna.customers.resolve import resolve_identities
    from kizuna.customers.scores import score_customers

    progress("customers-360", 0, 2)
    with kz.session() as session:
        resolve_identities(session, kz.workspace(session, summary.slug))
    progress("customers-360", 1, 2)
    with kz.session() as session:
        ws = kz.workspace(session, summary.slug)
    score_customers(kz, ws)
    progress("customers-360", 2, 2)


def _print_login(console: Console, summary: DemoSummary, url: str) -> None:
    console.print(f"  URL:       [bold]{url}[/]")
    console.print(f"  e-mail:    [bold]{summary.admin_email}[/]")
    console.print(f"  password:  [bold]{summary.password}[/]  (demo only / デモ専用)")
    if summary.api_key is not None:
        console.print(f"  API key:   [bold]{summary.api_key}[/]  (shown once / 一度だけ表示)")
    else:
        console.print(
            f"  API key:   shown when the demo was built; make another with "
            f"`kizuna apikey create --workspace {summary.slug}`"
        )


def demo_command(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build only; do not start the server.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: KIZUNA_DEMO_SEED, 7).")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Delete the demo workspace's rows and build again.")
    ] = False,
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 5000,
    interactions: Annotated[int, typer.Option(help="Number of interactions.")] = 100_000,
    feedback: Annotated[
        int, typer.Option(help="Number of customer feedback items (eNPS answers come on top).")
    ] = 20_000,
    workspace: Annotated[str, typer.Option(help="Slug of the demo workspace.")] = DEMO_SLUG,
) -> None:
    """Build the demo workspace and start the server. / デモ環境を作成して起動します。"""
    console = Console()
    with build_app() as kz:
        kz.upgrade_db()

        def build(progress: ProgressFn) -> DemoSummary:
            summary = build_demo(
                kz,
                seed=kz.settings.demo_seed if seed is None else seed,
                slug=workspace,
                customers=customers,
                interactions=interactions,
                feedback=feedback,
                rebuild=rebuild,
                progress=progress,
            )
            if summary.built:
                _analyse_comments(kz, summary, progress)
                _score_customers(kz, summary, progress)
            return summary

        started = time.perf_counter()
        summary = _build_with_bar(console, build)
        # The whole build: data, text analysis, identities and scores.
        seconds = time.perf_counter() - started
        if summary.built:
            console.print(
                f"Built demo workspace [bold]{summary.slug}[/] in {seconds:.1f} s: "
                f"{summary.customers:,} customers, {summary.interactions:,} interactions, "
                f"{summary.feedback:,} feedback, {summary.employee_answers:,} eNPS answers. "
                "/ デモ用ワークスペースを作成しました。"
            )
        else:
            console.print(
                f"Demo workspace [bold]{summary.slug}[/] already exists "
                f"({summary.customers:,} customers, {summary.interactions:,} interactions, "
                f"{summary.feedback:,} feedback); not rebuilt — use --rebuild to build it again. "
                "/ デモ用ワークスペースは作成済みです。"
            )
        url = f"http://{kz.settings.host}:{kz.settings.port}/"
        _print_login(console, summary, url)
        if not no_serve:
            from kizuna.server import run_server

            run_server(kz)
