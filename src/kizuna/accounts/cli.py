"""`kizuna init`, `kizuna workspaces`, `kizuna apikey ...`, `kizuna users ...`, `kizuna audit`.

The command line acts as the operator of the database it is pointed at (whoever holds
KIZUNA_DATABASE_URL can read every table anyway), so commands act with the owner's rights;
every change is still audited, with the operating-system login as actor (`cli:<login>`).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kizuna.command import build_app

__all__ = ["apikey_app", "audit_command", "init_command", "users_app", "workspaces_command"]

console = Console()
apikey_app = typer.Typer(help="API keys of a workspace. / APIキー", no_args_is_help=True)
users_app = typer.Typer(
    help="Members of a workspace: invite, list, change role, remove. / メンバー",
    no_args_is_help=True,
)
WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def init_command(
    workspace: Annotated[str, typer.Option(help="Workspace slug (a-z, 0-9, -).")],
    admin_email: Annotated[str, typer.Option(help="E-mail of the workspace's owner.")],
    name: Annotated[str | None, typer.Option(help="Display name of the workspace.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Owner's password; asked for when interactive, else generated."),
    ] = None,
) -> None:
    """Create a workspace, its owner and an API key. / ワークスペースを作成します。"""
    from kizuna.accounts.service import init_workspace

    if password is None and sys.stdin.isatty():
        password = typer.prompt("Password (empty: generate)", default="", hide_input=True) or None
    with build_app() as kz, kz.session() as session:
        kz.upgrade_db()
        made = init_workspace(
            session,
            workspace,
            admin_email,
            password=password,
            name=name,
            timezone=kz.settings.timezone,
        )
    console.print(f"workspace [bold]{made.workspace.slug}[/] created; owner {made.admin.email}")
    if password is None:
        console.print(f"password (shown once): [bold]{made.password}[/]")
    console.print(f"API key, role admin (shown once): [bold]{made.api_key}[/]")


def workspaces_command() -> None:
    """List workspaces. / ワークスペースの一覧"""
    from sqlalchemy import select

    from kizuna.accounts.models import Workspace

    table = Table("slug", "name", "time zone")
    with build_app() as kz, kz.session() as session:
        for ws in session.scalars(select(Workspace).order_by(Workspace.slug)):
            table.add_row(ws.slug, ws.name, ws.timezone)
    console.print(table)


@apikey_app.command("create")
def apikey_create(
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli",
    role: Annotated[
        str, typer.Option(help="admin, analyst, agent or viewer (least privilege by default).")
    ] = "viewer",
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="Only this permission (repeatable); none: the whole role."),
    ] = None,
    days: Annotated[int, typer.Option(help="Days the key is valid; 0: no expiry.")] = -1,
) -> None:
    """Create an API key for a workspace; it is shown once. / APIキーを作成します。"""
    from kizuna.accounts.audit import cli_actor
    from kizuna.accounts.keys import create_api_key
    from kizuna.errors import InvalidInput

    if role == "owner":
        raise InvalidInput(
            "An API key cannot be an owner; use admin at most.",
            "API キーをオーナーにはできません。admin までです。",
        )
    with build_app() as kz, kz.session() as session:
        valid_days = kz.settings.api_key_days if days < 0 else days
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=valid_days) if valid_days else None
        key = create_api_key(
            session,
            kz.workspace(session, workspace),
            name=name,
            role=role,
            scopes=scope or [],
            expires_at=expires,
            actor=cli_actor(),
        )
    console.print(key)


@apikey_app.command("list")
def apikey_list(workspace: WorkspaceOpt) -> None:
    """List a workspace's API keys (never the keys themselves)."""
    from kizuna.accounts.keys import list_api_keys

    table = Table("id", "name", "prefix", "role", "scopes", "expires", "last used", "revoked")
    with build_app() as kz, kz.session() as session:
        for k in list_api_keys(session, kz.workspace(session, workspace)):
            table.add_row(
                str(k.id),
                k.name,
                k.prefix + "…",
                k.role,
                ", ".join(k.scopes) or "(role)",
                f"{k.expires_at:%Y-%m-%d}" if k.expires_at else "never",
                f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
                f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else "",
            )
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(
    workspace: WorkspaceOpt, key_id: Annotated[int, typer.Argument(help="The key's id.")]
) -> None:
    """Revoke an API key at once."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.accounts.keys import revoke_api_key

    with build_app() as kz, kz.session() as session:
        revoke_api_key(session, kz.workspace(session, workspace), key_id, cli_actor())
    console.print(f"API key {key_id} revoked")


@users_app.command("invite")
def users_invite(
    workspace: WorkspaceOpt,
    email: Annotated[str, typer.Argument(help="E-mail of the person to invite.")],
    role: Annotated[str, typer.Option(help="owner, admin, analyst, agent or viewer.")] = "viewer",
) -> None:
    """Invite someone: prints the single-use link (and e-mails it when mail is set up)."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.accounts.invitations import invitation_link, send_invitation
    from kizuna.accounts.members import invite_member

    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        made = invite_member(
            session,
            ws,
            email,
            role,
            actor=cli_actor(),
            actor_role="owner",
            days=kz.settings.invitation_days,
        )
        send_invitation(kz, session, ws, made, kz.settings.language)
        link = invitation_link(kz, made)
    console.print(f"invitation for {made.invitation.email} as {role}: {link}")
    console.print("the link was queued for e-mail (`kizuna mail outbox` shows it)")


@users_app.command("list")
def users_list(workspace: WorkspaceOpt) -> None:
    """List members and their roles."""
    from kizuna.accounts.members import list_members

    table = Table("user id", "e-mail", "name", "role", "active")
    with build_app() as kz, kz.session() as session:
        for m in list_members(session, kz.workspace(session, workspace)):
            table.add_row(
                str(m.user_id), m.email, m.display_name, m.role, "yes" if m.is_active else "no"
            )
    console.print(table)


@users_app.command("role")
def users_role(
    workspace: WorkspaceOpt,
    user_id: Annotated[int, typer.Argument(help="The member's user id (`kizuna users list`).")],
    role: Annotated[str, typer.Argument(help="owner, admin, analyst, agent or viewer.")],
) -> None:
    """Change a member's role."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.accounts.members import change_role

    with build_app() as kz, kz.session() as session:
        change_role(
            session,
            kz.workspace(session, workspace),
            user_id,
            role,
            actor=cli_actor(),
            actor_role="owner",
        )
    console.print(f"user {user_id} is now {role}")


@users_app.command("remove")
def users_remove(
    workspace: WorkspaceOpt,
    user_id: Annotated[int, typer.Argument(help="The member's user id (`kizuna users list`).")],
) -> None:
    """Remove a member from the workspace (the account stays)."""
    from kizuna.accounts.audit import cli_actor
    from kizuna.accounts.members import remove_member

    with build_app() as kz, kz.session() as session:
        remove_member(
            session,
            kz.workspace(session, workspace),
            user_id,
            actor=cli_actor(),
            actor_role="owner",
        )
    console.print(f"user {user_id} removed")


@users_app.command("permissions")
def users_permissions() -> None:
    """The permission table: which role may do what."""
    from kizuna.accounts.models import ROLES
    from kizuna.accounts.permissions import permission_table

    table = Table("permission", *ROLES)
    for name, holders in sorted(permission_table().items()):
        table.add_row(name, *("✓" if r in holders else "-" for r in ROLES))
    console.print(table)


def audit_command(
    workspace: WorkspaceOpt,
    actor: Annotated[str | None, typer.Option(help="Only this actor, e.g. user:3.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only actions starting so, e.g. segment.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Show the audit log, newest first. / 監査ログを表示します。"""
    from kizuna.accounts.audit import list_audit

    table = Table("when (UTC)", "actor", "action", "record", "details")
    with build_app() as kz, kz.session() as session:
        page = list_audit(
            session, kz.workspace(session, workspace), actor=actor, action=action, limit=limit
        )
        for e in page.items:
            details = ", ".join(f"{k}={v}" for k, v in sorted(e.details.items()))
            table.add_row(
                f"{e.occurred_at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.target, details
            )
    console.print(table)
