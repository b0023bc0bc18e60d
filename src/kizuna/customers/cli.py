"""`kizuna customers`: identity resolution, unmerge, a person's records, lifecycle stages.

Thin commands over the services (`resolve`, `merges`, `lifecycle`); Kizuna's errors reach
the root command, which prints the message and next step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from kizuna.analytics.lifecycle import load_rules
from kizuna.app import Kizuna
from kizuna.customers.lifecycle import lifecycle_flows, month_start, update_lifecycle
from kizuna.customers.merges import customer_group, group_merges, unmerge_customer
from kizuna.customers.models import Customer
from kizuna.customers.resolve import resolve_identities
from kizuna.errors import InvalidInput
from kizuna.settings import Settings

__all__ = ["app"]

app = typer.Typer(
    help="Customers: identity resolution, lifecycle. / 顧客: 名寄せ・ライフサイクル",
    no_args_is_help=True,
)
console = Console()

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@contextmanager
def _kizuna() -> Iterator[Kizuna]:
    """The application for one command; its connections are closed when the command ends."""
    kz = Kizuna(Settings())
    try:
        yield kz
    finally:
        kz.close()


@app.command("resolve")
def resolve_command(
    workspace: WorkspaceOption,
    shared_limit: Annotated[
        int,
        typer.Option(min=2, help="Skip identifiers held by more records than this."),
    ] = 20,
) -> None:
    """Merge records of the same person (e-mail, phone, LINE, source keys). / 名寄せ"""
    with _kizuna() as kz, kz.session() as session:
        report = resolve_identities(
            session, kz.workspace(session, workspace), shared_limit, actor="cli"
        )
    console.print(
        f"{report.customers:,} customers; {report.identities_added:,} identity rows added; "
        f"{report.merges:,} merges ({report.records_merged:,} records) into "
        f"{report.groups:,} multi-record people"
    )
    table = Table("merged by", "merges")
    for kind, count in report.merged_by_kind.items():
        table.add_row(kind, f"{count:,}")
    if report.merged_by_kind:
        console.print(table)
    unusable = ", ".join(f"{k} {v:,}" for k, v in report.unusable.items() if v)
    if unusable:
        console.print(f"unusable values ignored: {unusable}")
    if report.skipped_shared:
        console.print(
            f"{len(report.skipped_shared)} identifiers shared by more than {shared_limit} "
            "records were not matched on:"
        )
        for shared in report.skipped_shared[:10]:
            console.print(f"  {shared.kind} {shared.value}: {shared.customers} records")
    if report.held_apart:
        console.print(f"{report.held_apart} unmerged customers held apart")


@app.command("unmerge")
def unmerge_command(
    workspace: WorkspaceOption,
    customer_id: Annotated[int, typer.Argument(help="Id of the absorbed customer record.")],
) -> None:
    """Undo the merge that absorbed a customer, restoring it. / 統合を取り消す"""
    with _kizuna() as kz, kz.session() as session:
        restored = unmerge_customer(
            session, kz.workspace(session, workspace), customer_id, actor="cli"
        )
    console.print(f"restored customer {customer_id} with records {restored}")


@app.command("group")
def group_command(
    workspace: WorkspaceOption,
    customer_id: Annotated[int, typer.Argument(help="Any customer id of the person.")],
) -> None:
    """Show every record of the person and why they were merged. / 同一人物のレコード"""
    with _kizuna() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        ids = customer_group(session, ws, customer_id)
        records = session.execute(
            select(Customer.id, Customer.source, Customer.external_id, Customer.email)
            .where(Customer.workspace_id == ws.id, Customer.id.in_(ids))
            .order_by(Customer.id)
        ).all()
        merges = group_merges(session, ws, customer_id)
        table = Table("id", "source", "external id", "e-mail", "merged into", "because")
        why = {m.absorbed_id: m for m in merges}
        for cid, source, external_id, email in records:
            m = why.get(cid)
            table.add_row(
                str(cid),
                source,
                external_id,
                email or "",
                str(m.survivor_id) if m else "(survivor)",
                f"{m.kind} {m.value_normalized} (= {m.matched_id})" if m else "",
            )
    console.print(table)


@app.command("lifecycle")
def lifecycle_command(
    workspace: WorkspaceOption,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Date to stage on (default: today)."),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="YAML file of lifecycle thresholds.", exists=True)
    ] = None,
) -> None:
    """Stage every customer (prospect ... won-back) and show flows. / ライフサイクル"""
    try:
        thresholds = load_rules(rules) if rules else None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"The rules file is not valid: {exc}. Fix the file or leave --rules out.",
            f"ルールファイルが正しくありません: {exc}。ファイルを直すか --rules を省いてください。",
        ) from None
    with _kizuna() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        result = update_lifecycle(session, ws, as_of.date() if as_of else None, thresholds)
        previous = month_start(result.month - dt.timedelta(days=1))
        flows = lifecycle_flows(session, ws, previous, result.month)
    counts = Table("stage", "customers", title=f"lifecycle on {result.as_of.isoformat()}")
    for stage, count in result.counts.items():
        counts.add_row(stage, f"{count:,}")
    console.print(counts)
    moved = [f for f in flows if f.from_stage is not None]
    if not moved:
        console.print(f"no snapshot for {previous:%Y-%m}: flows appear from next month")
        return
    table = Table("from", "to", "customers", title=f"{previous:%Y-%m} -> {result.month:%Y-%m}")
    for flow in flows:
        table.add_row(flow.from_stage or "(none)", flow.to_stage or "(gone)", f"{flow.customers:,}")
    console.print(table)
