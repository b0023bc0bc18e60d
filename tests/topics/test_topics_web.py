"""The topics page, its forms and the /api/v1/topics routes: viewers read, analysts manage,
a rename shows on the page and in the voice explorer, and `kizuna topics`."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from topics_support import build_web_app, csrf_from, explorer_count, log_in, record_voices, run_jobs
from typer.testing import CliRunner

from kizuna import Kizuna
from kizuna.accounts.keys import create_api_key
from kizuna.accounts.service import add_member, create_user
from kizuna.topics import schemas
from kizuna.topics.models import PROPOSAL_STATES, RELABEL_STATES

PASSWORD = "correct horse battery"
VOICES = [
    "スタッフの対応がとても丁寧でした。",
    "朝食がおいしかったです。",
    "駐輪場が狭くて自転車を停められませんでした。",
    "駐輪場がいつも満車で困ります。",
    "駐輪場の場所が分かりにくいです。",
    "駐輪場に屋根があると助かります。",
]


@pytest.fixture(scope="module")
def app(kz: Kizuna) -> Any:
    return build_web_app(kz)


@pytest.fixture
def team(kz: Kizuna, ws: Any) -> dict[str, Any]:
    """The workspace's voices, a logged-in member and an API key of each role."""
    record_voices(kz, ws.workspace, VOICES)
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        keys = {r: create_api_key(session, workspace, r, r) for r in ("viewer", "analyst", "agent")}
        emails = {}
        for role in ("viewer", "analyst"):
            user = create_user(session, f"{role}-{ws.slug}@example.com", PASSWORD)
            add_member(session, workspace, user, role)
            emails[role] = user.email
    return {"ws": ws, "keys": keys, "emails": emails}


def _client(app: Any, email: str) -> TestClient:
    client = TestClient(app)
    log_in(client, email, PASSWORD)
    return client


def _api(app: Any, key: str) -> TestClient:
    return TestClient(app, headers={"X-API-Key": key})


def test_viewers_read_and_analysts_manage_through_the_api(
    kz: Kizuna, app: Any, team: dict[str, Any]
) -> None:
    ws = team["ws"]
    viewer, analyst, agent = (_api(app, team["keys"][r]) for r in ("viewer", "analyst", "agent"))
    topics = viewer.get("/api/v1/topics", headers={"Accept-Language": "en"})
    assert topics.status_code == 200
    staff = next(t for t in topics.json() if t["key"] == "staff")
    assert staff["name"] == "Staff" and staff["voices"] == explorer_count(
        kz, ws.workspace, topic="staff"
    )
    assert viewer.get("/api/v1/topics/changes").json() == []
    custom = {
        "kind": "custom",
        "key": "parking",
        "name_ja": "駐輪場",
        "name_en": "Parking",
        "keywords": ["駐輪場"],
    }
    for refused in (viewer, agent):
        assert refused.post("/api/v1/topics/changes", json=custom).status_code == 403
        assert refused.post("/api/v1/topics/proposals/discover", json={}).status_code == 403
    made = analyst.post("/api/v1/topics/changes", json=custom)
    assert made.status_code == 201, made.text
    assert made.json()["relabel"]["state"] == "queued"
    assert analyst.post("/api/v1/topics/changes", json=custom).status_code == 409
    run_jobs(kz, ws.workspace.id)
    change = viewer.get("/api/v1/topics/changes").json()[0]
    assert change["relabel"]["state"] == "done"
    assert change["relabel"]["done"] == change["relabel"]["total"] == len(VOICES)
    parking = next(t for t in viewer.get("/api/v1/topics").json() if t["key"] == "parking")
    assert parking["voices"] == 4 == explorer_count(kz, ws.workspace, topic="parking")
    merge = {"kind": "merge", "sources": ["staff", "nothing_like_it"], "target": "service"}
    assert analyst.post("/api/v1/topics/changes", json=merge).status_code == 404
    undo = analyst.post(f"/api/v1/topics/changes/{change['id']}/undo")
    assert undo.status_code == 200 and undo.json()["undone_at"]
    assert analyst.post(f"/api/v1/topics/changes/{change['id']}/undo").status_code == 409
    run_jobs(kz, ws.workspace.id)
    assert explorer_count(kz, ws.workspace, topic="parking") == 0


def test_proposals_are_discovered_accepted_and_dismissed_through_the_api(
    kz: Kizuna, app: Any, team: dict[str, Any]
) -> None:
    ws = team["ws"]
    analyst = _api(app, team["keys"]["analyst"])
    queued = analyst.post("/api/v1/topics/proposals/discover", json={"days": 30})
    assert queued.status_code == 202
    run_jobs(kz, ws.workspace.id)
    proposals = _api(app, team["keys"]["viewer"]).get("/api/v1/topics/proposals").json()
    parking = next(p for p in proposals if p["phrase"] == "駐輪場")
    assert parking["count"] == 3 and len(parking["samples"]) == 3
    accepted = analyst.post(
        f"/api/v1/topics/proposals/{parking['id']}/accept",
        json={"key": "bicycle_parking", "name_en": "Bicycle parking"},
    )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert analyst.post(f"/api/v1/topics/proposals/{parking['id']}/dismiss").status_code == 409
    run_jobs(kz, ws.workspace.id)
    # The proposal counted the voices no topic matched; the topic reaches every one.
    assert explorer_count(kz, ws.workspace, topic="bicycle_parking") == 4
    others = [p for p in proposals if p["id"] != parking["id"]]
    if others:
        answer = analyst.post(f"/api/v1/topics/proposals/{others[0]['id']}/dismiss")
        assert answer.status_code == 200 and answer.json()["state"] == "dismissed"


def test_a_rename_shows_on_the_page_and_in_the_explorer(
    kz: Kizuna, app: Any, team: dict[str, Any]
) -> None:
    ws = team["ws"]
    analyst = _client(app, team["emails"]["analyst"])
    page = analyst.get(f"/w/{ws.slug}/topics")
    assert page.status_code == 200 and "スタッフ・接客" in page.text
    answer = analyst.post(
        f"/w/{ws.slug}/topics/staff/rename",
        data={"csrf_token": csrf_from(page.text), "name_ja": "接客の質", "name_en": "Service"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = analyst.get(f"/w/{ws.slug}/topics")
    assert "接客の質" in page.text and "スタッフ・接客" not in page.text
    voices = analyst.get(f"/w/{ws.slug}/voices?topic=staff")
    assert voices.status_code == 200
    assert "接客の質" in voices.text and "スタッフ・接客" not in voices.text
    # Nothing needed relabelling: the change says so and no job was queued.
    assert "付け直し不要" in page.text


def test_the_page_counts_link_to_the_explorer_and_forms_need_the_right_and_the_token(
    kz: Kizuna, app: Any, team: dict[str, Any]
) -> None:
    ws = team["ws"]
    viewer = _client(app, team["emails"]["viewer"])
    page = viewer.get(f"/w/{ws.slug}/topics")
    assert page.status_code == 200
    assert 'action="/w/' not in page.text.split('id="proposals"')[0]  # no forms for viewers
    row = re.search(r'<tr data-topic="staff">.*?</tr>', page.text, re.S)
    assert row is not None
    link = re.search(r'class="count-all" href="([^"]+)">([0-9,]+)<', row.group(0))
    assert link is not None and link.group(1).endswith("/voices?topic=staff")
    assert int(link.group(2)) == explorer_count(kz, ws.workspace, topic="staff")
    token = csrf_from(page.text)
    refused = viewer.post(
        f"/w/{ws.slug}/topics/staff/hide", data={"csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403
    analyst = _client(app, team["emails"]["analyst"])
    no_token = analyst.post(f"/w/{ws.slug}/topics/staff/hide", follow_redirects=False)
    assert no_token.status_code in (400, 403)
    page = analyst.get(f"/w/{ws.slug}/topics", headers={"Accept-Language": "en"})
    merged = analyst.post(
        f"/w/{ws.slug}/topics/merge",
        data={
            "csrf_token": csrf_from(page.text),
            "sources": ["staff", "food"],
            "target": "",
            "new_key": "hospitality",
            "name_ja": "おもてなし",
            "name_en": "Hospitality",
        },
    )
    assert merged.status_code == 200 and "おもてなし" in merged.text
    run_jobs(kz, ws.workspace.id)
    page = analyst.get(f"/w/{ws.slug}/topics")
    assert f"{len(VOICES)} / {len(VOICES)}" in page.text
    bad = analyst.post(
        f"/w/{ws.slug}/topics/custom",
        data={"csrf_token": csrf_from(page.text), "key": "Bad Key", "keywords": "x"},
    )
    assert bad.status_code == 200 and "キー" in bad.text and 'role="alert"' in bad.text


def test_the_api_vocabularies_are_the_models(app: Any) -> None:
    assert get_args(schemas.ProposalState) == PROPOSAL_STATES
    assert get_args(schemas.RelabelState) == RELABEL_STATES


def test_the_cli_lists_renames_merges_and_splits(kz: Kizuna, team: dict[str, Any]) -> None:
    from kizuna.cli import app as cli_app

    ws = team["ws"]
    runner = CliRunner()
    env = {"KIZUNA_DATABASE_URL": kz.settings.database_url}

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, ["topics", *args, "-w", ws.slug], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "スタッフ・接客" in run("list")
    assert "接客" in run("rename", "staff", "--name-ja", "接客")
    merged = run("merge", "food", "price_value", "--into", "meals", "--name-en", "Meals")
    assert "relabelled" in merged
    split = run("split", "meals", "--part", "breakfast=朝食:朝食", "--part", "dinner=夕食,ディナー")
    assert f"relabelled {len(VOICES)}/{len(VOICES)}" in split
    assert explorer_count(kz, ws.workspace, topic="breakfast") == 1
    listed = run("list", "--language", "en")
    assert "Meals" in listed and "breakfast" in listed
    found = run("discover", "--days", "30")
    assert "駐輪場" in found
