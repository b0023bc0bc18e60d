"""`kizuna worker` and the job counts command, as a person runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from jobs_handlers_fixture import COUNT_KIND, Count
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna import Kizuna
from kizuna.cli import app as kizuna_app
from kizuna.jobs.cli import jobs_command
from kizuna.jobs.models import Job
from kizuna.jobs.queue import enqueue

REPO = Path(__file__).resolve().parents[2]
KIZUNA = Path(sys.executable).parent / "kizuna"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", database_url)
    monkeypatch.setenv("KIZUNA_LANGUAGE", "en")
    return dict(os.environ)


def test_worker_once_runs_one_job_and_prints_no_payload(kz: Kizuna, ws, cli_env) -> None:  # type: ignore[no-untyped-def]
    with kz.session() as session:
        first, second = (
            enqueue(session, Count(customer="hanako@example.jp"), workspace_id=ws.workspace.id).id
            for _ in range(2)
        )
    result = CliRunner().invoke(kizuna_app, ["worker", "--once", "--kind", COUNT_KIND])
    assert result.exit_code == 0, result.output
    assert f"done  {COUNT_KIND} #{first} attempt 1/5" in result.output
    assert "stopped after 1 job(s)" in result.output
    assert "hanako" not in result.output
    with kz.session() as session:
        states = dict(
            session.execute(select(Job.id, Job.state).where(Job.id.in_([first, second]))).all()
        )
    assert states == {first: "done", second: "queued"}


def test_jobs_command_counts_a_workspaces_jobs(kz: Kizuna, ws, cli_env) -> None:  # type: ignore[no-untyped-def]
    with kz.session() as session:
        for _ in range(3):
            enqueue(session, Count(), workspace_id=ws.workspace.id)
    app = typer.Typer()
    app.command()(jobs_command)
    result = CliRunner().invoke(app, ["--workspace", ws.slug])
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.output.splitlines()
        if line.count("│") == 3
    }
    assert rows == {"queued": "3", "running": "0", "done": "0", "failed": "0", "dead": "0"}


def test_ctrl_c_stops_a_waiting_worker_cleanly(cli_env) -> None:  # type: ignore[no-untyped-def]
    worker = subprocess.Popen(
        [str(KIZUNA), "worker", "--kind", "jobs-test.none-of-these", "--name", "ctrl-c"],
        cwd=REPO,
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert worker.stdout is not None
    assert "worker ctrl-c started" in worker.stdout.readline()
    worker.send_signal(signal.SIGINT)
    output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "worker ctrl-c stopped after 0 job(s)" in output
    assert "Traceback" not in output


def test_worker_explains_a_module_it_cannot_import(cli_env) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [str(KIZUNA), "worker", "--burst", "--import", "no_such_plugin.handlers"],
        cwd=REPO,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Could not import handler module 'no_such_plugin.handlers'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
