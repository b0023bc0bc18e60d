"""`kizuna customers`: identity resolution, unmerge, a person's records, lifecycle stages,
scores (CLV, churn), next best actions, a profile with its context card, segments.

Thin commands over the services (`resolve`, `merges`, `lifecycle`); Kizuna's errors reach
the root command, which prints the message and next step.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from kizuna.accounts.audit import cli_actor
from kizuna.analytics.actions import load_action_rules
from kizuna.analytics.lifecycle import load_rules
from kizuna.command import build_app
from kizuna.customers.actions import action_worklist
from kizuna.customers.context import context_card
from kizuna.customers.lifecycle import lifecycle_flows, month_start, update_lifecycle
from kizuna.customers.merges import customer_group, group_merges, unmerge_customer
from kizuna.customers.models import Customer
from kizuna.customers.profile import customer_profile, customer_timeline
from kizuna.customers.resolve import resolve_identities
from kizuna.customers.scores import score_customers
from kizuna.customers.segments import (
    count_customers,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    segment_customer_ids,
)
from kizuna.errors import InvalidInput

__all__ = ["app"]

app = typer.Typer(
    help="Customers: identity resolution, lifecycle. / 顧客: 名寄せ・ライフサイクル",
    no_args_is_help=True,
)
segment_app = typer.Typer(help="Saved customer segments. / セグメント", no_args_is_help=True)
app.add_typer(segment_app, name="segment")
T = TypeVar("T")
console = Console()

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def _read_rules(load: Callable[[Path], T], path: Path | None) -> T | None:
    """A `--rules` file read with `load`; a bad file is a clear error, not a traceback."""
    if path is None:
        return None
    return load(path)  # the loaders raise InvalidInput naming the file and what to fix


@app.command("resolve")
def resolve_command(
    workspace: WorkspaceOption,
    shared_limit: Annotated[
        int,
        typer.Option(min=2, help="Skip identifiers held by more records than this."),
    ] = 20,
) -> None:
    """Merge records of the same person (e-mail, phone, LINE, source keys). / 名寄せ"""
    with build_app() as kz, kz.session() as session:
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
    with build_app() as kz, kz.session() as session:
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
    with build_app() as kz, kz.session() as session:
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
    thresholds = _read_rules(load_rules, rules)
    with build_app() as kz, kz.session() as session:
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


DateOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"], help="Date to judge on (default: the day after the latest data)."
    ),
]


@app.command("score")
def score_command(workspace: WorkspaceOption, as_of: DateOption = None) -> None:
    """Predict CLV, P(alive) and churn risk for every customer. / 予測スコア"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
    with build_app() as kz:
        report = score_customers(kz, ws, as_of=as_of.date() if as_of else None)
    table = Table("", "", title=f"scores as of {report.as_of}")
    table.add_row("customers", f"{report.customers:,}")
    table.add_row("buyers", f"{report.buyers:,}")
    table.add_row("BG/NBD", _params(report.bgnbd_params) or "(too few buyers)")
    table.add_row("Gamma-Gamma", _params(report.gamma_gamma_params or {}) or "(too few repeats)")
    auc = report.churn_auc_holdout
    table.add_row("churn AUC (later cutoff)", f"{auc:.3f}" if auc is not None else "-")
    rate = f" (churn rate {report.churn_rate:.0%})" if report.churn_rate is not None else ""
    table.add_row("churn training rows", f"{report.churn_train_rows:,}{rate}")
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)


def _params(params: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


@app.command("actions")
def actions_command(
    workspace: WorkspaceOption,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 20,
    code: Annotated[list[str] | None, typer.Option(help="Only these action codes.")] = None,
    rules: Annotated[
        Path | None, typer.Option(help="YAML file of action rules.", exists=True)
    ] = None,
    as_of: DateOption = None,
) -> None:
    """The work list of next best actions, most urgent first. / 次の一手"""
    chosen = _read_rules(load_action_rules, rules)
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        found = action_worklist(
            session,
            ws,
            as_of=as_of.date() if as_of else None,
            limit=limit,
            codes=code,
            rules=chosen,
        )
    table = Table("customer", "action", "due", "reason")
    for action in found:
        due = f"{action.due_within_hours} h" if action.due_within_hours else ""
        table.add_row(str(action.customer_id), action.title_ja, due, action.reason_ja)
    console.print(table if found else "no actions / 対応の提案はありません")


@app.command("profile")
def profile_command(
    workspace: WorkspaceOption,
    customer_id: Annotated[int, typer.Argument(help="Any customer id of the person.")],
    limit: Annotated[int, typer.Option(min=1, help="Timeline items to show.")] = 10,
) -> None:
    """A customer's profile, context card and latest timeline. / 顧客プロフィール"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        profile = customer_profile(session, ws, customer_id)
        card = context_card(session, ws, customer_id)
        page = customer_timeline(session, ws, customer_id, limit=limit)
    c = profile.customer
    console.print(f"[bold]{c.name or '(no name)'}[/bold]  #{c.id}  records {profile.group_ids}")
    console.print(
        f"stage {profile.lifecycle_stage or '-'}  life stage {c.life_stage or '-'}  "
        f"{c.age_band or '-'} {c.gender or '-'} {c.prefecture or '-'}  "
        f"consent e-mail {'yes' if c.consent_email else 'no'}"
    )
    for ident in profile.identities:
        console.print(f"  {ident.kind} {ident.value} ({ident.source}, #{ident.customer_id})")
    s = profile.score
    if s is not None:
        console.print(
            f"CLV 12m {_num(s.clv_12m, ',.0f')} (percentile {_num(s.clv_percentile, '.0f')})  "
            f"P(alive) {_num(s.p_alive, '.2f')}  churn {_num(s.churn_probability, '.0%')}  "
            f"next 90d {_num(s.expected_purchases_90d, '.2f')}  NPS {s.nps_last}"
        )
    console.print(card.summary_ja)
    for action in card.actions:
        console.print(f"  -> {action.title_ja}: {action.reason_ja}")
    table = Table("when", "kind", "channel", "what", "detail")
    for item in page.items:
        detail = item.text or (f"{item.amount:,.0f}" if item.amount is not None else "")
        table.add_row(
            f"{item.occurred_at:%Y-%m-%d %H:%M}",
            item.kind,
            item.channel,
            item.title,
            detail[:60] + (f" {json.dumps(item.scores)}" if item.scores else ""),
        )
    console.print(table)


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


@segment_app.command("create")
def segment_create_command(
    workspace: WorkspaceOption,
    name: Annotated[str, typer.Argument(help="Name of the segment.")],
    conditions: Annotated[
        str,
        typer.Argument(
            help='JSON list, e.g. \'[{"field": "clv_percentile", "op": "gte", "value": 90}]\''
        ),
    ],
) -> None:
    """Save a segment and show how many customers it holds. / セグメント作成"""
    try:
        parsed = json.loads(conditions)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The conditions are not valid JSON ({exc.msg}). Quote the list in single quotes.",
            f"条件がJSONとして読めません({exc.msg})。リスト全体をシングルクォートで囲んでください。",
        ) from None
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        segment = create_segment(session, ws, name, parsed, actor=cli_actor())
        count = count_customers(session, ws, list(segment.conditions))
    console.print(f"segment {segment.id} {segment.name!r}: {count:,} customers")


@segment_app.command("list")
def segment_list_command(workspace: WorkspaceOption) -> None:
    """Every segment with its live count. / セグメント一覧"""
    with build_app() as kz, kz.session() as session:
        found = list_segments(session, kz.workspace(session, workspace))
    table = Table("id", "name", "customers", "conditions")
    for segment, count in found:
        table.add_row(str(segment.id), segment.name, f"{count:,}", json.dumps(segment.conditions))
    console.print(table)


@segment_app.command("show")
def segment_show_command(
    workspace: WorkspaceOption,
    segment_id: Annotated[int, typer.Argument(help="Segment id.")],
    limit: Annotated[int, typer.Option(min=1, help="Customer ids to list.")] = 20,
) -> None:
    """A segment's conditions, count and first customers. / セグメント詳細"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        segment = get_segment(session, ws, segment_id)
        conditions = list(segment.conditions)
        count = count_customers(session, ws, conditions)
        ids = segment_customer_ids(session, ws, conditions, limit=limit)
    console.print(f"segment {segment.id} {segment.name!r}: {count:,} customers")
    console.print(json.dumps(conditions, ensure_ascii=False))
    console.print("customers: " + ", ".join(str(i) for i in ids))


@segment_app.command("delete")
def segment_delete_command(
    workspace: WorkspaceOption,
    segment_id: Annotated[int, typer.Argument(help="Segment id.")],
) -> None:
    """Delete a segment (customers are not touched). / セグメント削除"""
    with build_app() as kz, kz.session() as session:
        delete_segment(session, kz.workspace(session, workspace), segment_id, actor=cli_actor())
    console.print(f"deleted segment {segment_id}")
