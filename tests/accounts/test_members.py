"""Members and keys: invitations by link, roles with a kept owner, keys that expire, audit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.accounts.audit import list_audit
from kizuna.accounts.keys import authenticate_api_key, create_api_key, revoke_api_key
from kizuna.accounts.members import (
    accept_invitation,
    change_role,
    find_invitation,
    invite_member,
    list_members,
    remove_member,
)
from kizuna.accounts.models import Invitation, Membership, User
from kizuna.cli import app as cli_app
from kizuna.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from kizuna.web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def invite(
    kz: Kizuna, ws: Any, email: str, role: str = "analyst", actor_role: str = "owner"
) -> str:
    with kz.session() as session:
        made = invite_member(
            session, ws.workspace, email, role, actor="user:1", actor_role=actor_role
        )
    return made.token


def test_an_invitation_link_works_once_and_then_says_so(kz: Kizuna, ws: Any) -> None:
    token = invite(kz, ws, "Hanako.Yamada@Example.jp", "analyst")
    with kz.session() as session:
        invitation, workspace = find_invitation(session, token)
        assert (invitation.email, invitation.role, workspace.slug) == (
            "hanako.yamada@example.jp",
            "analyst",
            ws.slug,
        )
        stored = session.scalars(select(Invitation.token_hash)).all()
        assert token not in stored  # only its hash is kept
    with kz.session() as session, pytest.raises(InvalidInput) as short:
        accept_invitation(session, token, "short")
    assert "10" in short.value.message("ja")
    with kz.session() as session:
        user, workspace = accept_invitation(session, token, "a long enough password", "山田 花子")
    assert user.display_name == "山田 花子"
    with kz.session() as session:
        roles = {m.email: m.role for m in list_members(session, workspace)}
        assert roles["hanako.yamada@example.jp"] == "analyst"
        with pytest.raises(Conflict) as used:
            accept_invitation(session, token, "a long enough password")
    assert "already" in used.value.message("en")


def test_expired_revoked_and_forged_links_are_refused(kz: Kizuna, ws: Any) -> None:
    token = invite(kz, ws, "late@example.jp")
    with kz.session() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.email == "late@example.jp")
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    with kz.session() as session:
        with pytest.raises(InvalidInput) as expired:
            find_invitation(session, token)
        with pytest.raises(InvalidInput) as forged:
            find_invitation(session, token[:-2] + "xx")
    assert "expired" in expired.value.message("en") and "期限" in expired.value.message("ja")
    assert "not valid" in forged.value.message("en")


def test_only_an_owner_makes_owners_and_a_workspace_keeps_one(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session, pytest.raises(PermissionDenied):
        invite_member(
            session, ws.workspace, "boss@example.jp", "owner", actor="user:9", actor_role="admin"
        )
    with kz.session() as session:
        owner_id = session.scalar(
            select(Membership.user_id).where(
                Membership.workspace_id == ws.workspace.id, Membership.role == "owner"
            )
        )
        assert owner_id is not None
        with pytest.raises(Conflict) as last:
            change_role(
                session, ws.workspace, owner_id, "admin", actor="user:1", actor_role="owner"
            )
        assert "owner" in last.value.message("en")
        with pytest.raises(Conflict):
            remove_member(session, ws.workspace, owner_id, actor="user:1", actor_role="owner")


def test_keys_expire_and_revoke_with_a_message_saying_what_to_do(kz: Kizuna, ws: Any) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with kz.session() as session:
        key = create_api_key(session, ws.workspace, "pos", "agent", expires_at=soon, actor="user:1")
        _, row = authenticate_api_key(session, key)
        assert (row.role, row.created_by, row.last_used_at is not None) == ("agent", "user:1", True)
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with kz.session() as session, pytest.raises(AuthenticationFailed) as expired:
        authenticate_api_key(session, key)
    assert "expired" in expired.value.message(
        "en"
    ) and "kizuna apikey create" in expired.value.message("en")
    with kz.session() as session:
        other = create_api_key(session, ws.workspace, "crm")
        _, found = authenticate_api_key(session, other)
        assert found.role == "viewer"
        revoke_api_key(session, ws.workspace, found.id, "user:1")
    with kz.session() as session, pytest.raises(AuthenticationFailed):
        authenticate_api_key(session, other)
    with kz.session() as session, pytest.raises(InvalidInput):
        create_api_key(session, ws.workspace, "bad", "viewer", scopes=["everything.please"])


def test_every_change_above_is_in_the_audit_log(kz: Kizuna, ws: Any) -> None:
    token = invite(kz, ws, "audited@example.jp", "viewer")
    with kz.session() as session:
        user, _ = accept_invitation(session, token, "a long enough password")
        change_role(session, ws.workspace, user.id, "agent", actor="user:1", actor_role="owner")
        key = create_api_key(session, ws.workspace, "feed", "analyst", actor="user:1")
        _, row = authenticate_api_key(session, key)
        revoke_api_key(session, ws.workspace, row.id, "user:1")
        remove_member(session, ws.workspace, user.id, actor="user:1", actor_role="owner")
    with kz.session() as session:
        page = list_audit(session, ws.workspace, limit=50)
        actions = [e.action for e in page.items]
        roles = list_audit(session, ws.workspace, action="member.role").items
        by_actor = list_audit(session, ws.workspace, actor=f"user:{user.id}").items
    for expected in (
        "member.invite",
        "member.join",
        "member.role",
        "apikey.create",
        "apikey.revoke",
        "member.remove",
        "workspace.init",
    ):
        assert expected in actions
    assert actions.index("member.remove") < actions.index("member.invite")  # newest first
    assert roles[0].target == f"member:{user.id}"
    assert roles[0].details == {"before": "viewer", "after": "agent"}
    assert [e.action for e in by_actor] == ["member.join"]
    assert all("audited@example.jp" not in str(e.details) for e in page.items)


def test_an_invited_person_joins_through_the_pages(kz: Kizuna, ws: Any) -> None:
    settings = kz.settings.model_copy(update={"embedded_worker": False})
    web = TestClient(create_app(Kizuna(settings, engine=kz.engine)))
    owner = TestClient(create_app(Kizuna(settings, engine=kz.engine)))
    login = CSRF.search(owner.get("/login").text)
    assert login
    owner.post(
        "/login",
        data={"email": ws.admin_email, "password": ws.password, "csrf_token": login.group(1)},
    )
    members = owner.get(f"/w/{ws.slug}/admin/members")
    assert members.status_code == 200
    token = CSRF.search(members.text)
    assert token
    made = owner.post(
        f"/w/{ws.slug}/admin/members/invite",
        data={"email": "new.agent@example.jp", "role": "agent", "csrf_token": token.group(1)},
    )
    link = re.search(r"/invite/([A-Za-z0-9_\-]+)", made.text)
    assert made.status_code == 200 and link, made.text[:500]
    page = web.get(f"/invite/{link.group(1)}")
    assert page.status_code == 200 and "new.agent@example.jp" in page.text
    form = CSRF.search(page.text)
    assert form
    joined = web.post(
        f"/invite/{link.group(1)}",
        data={"password": "a long enough password", "csrf_token": form.group(1)},
        follow_redirects=False,
    )
    assert joined.status_code == 303 and joined.headers["location"] == f"/w/{ws.slug}/"
    assert web.get(f"/w/{ws.slug}/customers").status_code == 200  # logged in, as an agent
    assert web.get(f"/w/{ws.slug}/admin/members").status_code == 403
    again = web.get(f"/invite/{link.group(1)}")
    assert again.status_code == 409


def test_the_cli_invites_lists_and_changes_roles(
    kz: Kizuna, ws: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    made = runner.invoke(
        cli_app, ["users", "invite", "-w", ws.slug, "cli@example.jp", "--role", "analyst"]
    )
    assert made.exit_code == 0, made.output
    assert "/invite/" in made.output
    listed = runner.invoke(
        cli_app, ["apikey", "create", "-w", ws.slug, "--role", "agent", "--days", "30"]
    )
    assert listed.exit_code == 0 and listed.output.strip().startswith("kz_")
    keys = runner.invoke(cli_app, ["apikey", "list", "-w", ws.slug])
    assert "agent" in keys.output
    audit = runner.invoke(cli_app, ["audit", "-w", ws.slug, "--action", "member."])
    assert "member.invite" in audit.output and "cli:" in audit.output
    with kz.session() as session:
        user = session.scalars(select(User).where(User.email == "cli@example.jp")).first()
    assert user is None  # invited, not yet joined
