"""`kizuna worker` runs a job worker process; `jobs_command` shows the queue by state.

Lines printed per job name the kind, id and outcome only: payloads and error messages may
hold personal data, so they stay in the database (`job.last_error`).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from kizuna.app import Kizuna
from kizuna.command import build_app
from kizuna.db import require_current
from kizuna.errors import InvalidInput
from kizuna.jobs.queue import job_counts, registered_kinds
from kizuna.jobs.worker import JobOutcome, Worker

__all__ = ["import_handler_modules", "jobs_app", "jobs_command", "worker_command"]

console = Console(highlight=False, soft_wrap=True)


def import_handler_modules(modules: list[str]) -> None:
    """Import modules that register job handlers (plugins), from the current folder too."""
    # Like `python -m` and uvicorn's --app-dir: the current folder is importable.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise InvalidInput(
                f"Could not import handler module '{module}' ({type(exc).__name__}: {exc}). "
                "Check its dotted name and run from the folder that holds it.",
                f"処理モジュール「{module}」を読み込めません({type(exc).__name__})。"
                "ドット区切りの名前と、実行しているフォルダを確認してください。",
                module=module,
            ) from None


def print_outcome(outcome: JobOutcome) -> None:
    """One line per job: outcome, kind, id, attempt and time; never the payload."""
    colour = {"done": "green", "retry": "yellow", "dead": "red"}[outcome.outcome]
    line = (
        f"[{colour}]{outcome.outcome:<5}[/] {outcome.kind} #{outcome.job_id} "
        f"attempt {outcome.attempt}/{outcome.max_attempts} {outcome.seconds:.2f}s"
    )
    if outcome.error_type:
        line += f" {outcome.error_type}"
    if outcome.retry_at is not None:
        line += f" retry at {outcome.retry_at:%Y-%m-%d %H:%M:%S}Z"
    console.print(line)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First Ctrl+C (or SIGTERM) finishes the current job, then stops; a second one aborts."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        console.print("stopping after the current job (Ctrl+C again to abort it)")

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Run at most one job, then exit.")] = False,
    burst: Annotated[
        bool, typer.Option("--burst", help="Run until no job is ready, then exit.")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="Worker name shown in job.locked_by (default host:pid).")
    ] = None,
    imports: Annotated[
        list[str] | None,
        typer.Option("--import", help="Module that registers job handlers (repeatable)."),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only run jobs of this kind (repeatable; default: all)."),
    ] = None,
) -> None:
    """Run a job worker until Ctrl+C. / ジョブワーカーを起動します(Ctrl+C で停止)。"""
    import_handler_modules(imports or [])
    known = ", ".join(registered_kinds()) or "none"
    stop = threading.Event()
    with build_app() as kz:
        require_current(kz.engine)
        worker = Worker(kz, name, kinds=kinds or None, on_outcome=print_outcome)
        try:
            with stop_on_signals(stop):
                console.print(f"worker {worker.name} started; handlers: {known}")
                if once:
                    worker.requeue_stale()
                    worker.run_once()
                elif burst:
                    worker.run_burst(stop)
                else:
                    worker.run(stop)
        except KeyboardInterrupt:
            console.print("aborted; the current job was handed back to the queue")
            raise typer.Exit(130) from None
    console.print(f"worker {worker.name} stopped after {worker.processed} job(s)")


jobs_app = typer.Typer(
    help="The job queue: counts, failures, schedules, retry. / ジョブ", invoke_without_command=True
)
WorkspaceOpt = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Only this workspace's jobs (slug).")
]


def _workspace_id(kz: Kizuna, session: Session, slug: str | None) -> int | None:
    return kz.workspace(session, slug).id if slug else None


@jobs_app.callback()
def jobs_command(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """Count jobs by state. / 状態ごとのジョブ数を表示します。"""
    if ctx.invoked_subcommand is not None:
        return
    with build_app() as kz, kz.session() as session:
        counts = job_counts(session, _workspace_id(kz, session, workspace))
    table = Table("state", "jobs")
    for state, count in counts.items():
        table.add_row(state, str(count))
    console.print(table)


@jobs_app.command("failures")
def failures_command(
    workspace: WorkspaceOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
) -> None:
    """Failed and dead jobs with their last error (never their payload)."""
    from kizuna.jobs.admin import list_jobs

    table = Table("id", "kind", "state", "attempts", "last error")
    with build_app() as kz, kz.session() as session:
        for job in list_jobs(session, _workspace_id(kz, session, workspace), limit=limit):
            table.add_row(
                str(job.id), job.kind, job.state, str(job.attempts), (job.last_error or "")[:120]
            )
    console.print(table)


@jobs_app.command("retry")
def retry_command(
    job_ids: Annotated[list[int] | None, typer.Argument(help="Job ids to retry.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Retry every dead job.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Queue failed or dead jobs again, with a fresh attempt budget."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.jobs.admin import list_jobs, retry_jobs

    with build_app() as kz, kz.session() as session:
        workspace_id = _workspace_id(kz, session, workspace)
        ids = list(job_ids or [])
        if all_dead:
            ids += [j.id for j in list_jobs(session, workspace_id, ("dead",), limit=200)]
        if not ids:
            raise InvalidInput(
                "Name the jobs to retry (ids from `kizuna jobs failures`) or pass --all-dead.",
                "再試行するジョブの ID(`kizuna jobs failures`)を指定するか --all-dead を付けてください。",
            )
        count = retry_jobs(session, ids, workspace_id=workspace_id, actor=cli_actor())
    console.print(f"{count} job(s) queued again")


@jobs_app.command("schedules")
def schedules_command(workspace: WorkspaceOpt = None) -> None:
    """Recurring jobs: their cron line, time zone, next run and switch."""
    from kizuna.jobs.admin import list_schedules

    table = Table("id", "workspace", "name", "cron", "time zone", "next run (UTC)", "on")
    with build_app() as kz, kz.session() as session:
        for s in list_schedules(session, _workspace_id(kz, session, workspace)):
            table.add_row(
                str(s.id),
                str(s.workspace_id or "-"),
                s.name,
                s.cron,
                s.timezone,
                f"{s.next_run_at:%Y-%m-%d %H:%M}",
                "yes" if s.enabled else "no",
            )
    console.print(table)


@jobs_app.command("schedule")
def schedule_switch_command(
    schedule_id: Annotated[
        int, typer.Argument(help="The schedule's id (`kizuna jobs schedules`).")
    ],
    on: Annotated[bool, typer.Option("--on/--off", help="Switch it on or off.")] = True,
) -> None:
    """Switch a recurring job on or off."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.jobs.admin import set_schedule_enabled

    with build_app() as kz, kz.session() as session:
        set_schedule_enabled(session, schedule_id, on, workspace_id=None, actor=cli_actor())
    console.print(f"schedule {schedule_id} {'on' if on else 'off'}")
