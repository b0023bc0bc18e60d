"""Tags on voices: one voice and every voice of a filter (counted, confirmed, a job when
large), the tag filter, tags in the export, and who may do what (viewers read, analysts tag)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import build_web_app, csrf_from, log_in

from conftest import VOICES
from kizuna import Kizuna
from kizuna.accounts.keys import create_api_key
from kizuna.errors import Conflict
from kizuna.feedback import tags as tags_room
from kizuna.feedback.explorer import VoiceFilter, export_voices, search_voices
from kizuna.feedback.tags import add_tag, bulk_tag, list_tags, remove_tag
from kizuna.jobs.worker import Worker

TEXT = {key: text for key, _, _, _, text, _ in VOICES}


def ids_of(kz: Kizuna, ws: Any, **wanted: Any) -> dict[str, int]:
    with kz.session() as session:
        page = search_voices(session, ws.workspace, VoiceFilter(**wanted), limit=200)
    return {v.text or "": v.id for v in page.voices}


def tagged(kz: Kizuna, ws: Any, tag: str) -> list[str]:
    return list(ids_of(kz, ws, tag=tag))


def keys(kz: Kizuna, ws: Any) -> dict[str, str]:
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        return {
            role: create_api_key(session, workspace, role, role)
            for role in ("viewer", "analyst", "agent")
        }


def test_one_voice_is_tagged_and_untagged_and_found_by_its_tag(kz: Kizuna, voices: Any) -> None:
    voice = ids_of(kz, voices)[TEXT["v1"]]
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        assert add_tag(session, workspace, voice, " 要対応 ", actor="test") == ["要対応"]
        assert add_tag(session, workspace, voice, "要対応", actor="test") == ["要対応"]
        assert add_tag(session, workspace, voice, "待ち時間", actor="test") == [
            "待ち時間",
            "要対応",
        ]  # by name
    assert tagged(kz, voices, "要対応") == [TEXT["v1"]]
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        assert list_tags(session, workspace) == [("待ち時間", 1), ("要対応", 1)]
        assert remove_tag(session, workspace, voice, "要対応", actor="test") == ["待ち時間"]
    assert tagged(kz, voices, "要対応") == []
    with kz.session() as session:
        data, _ = export_voices(session, voices.workspace, VoiceFilter(q="待ち時間"), "csv")
    (row,) = [r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))) if r["tags"]]
    assert row["text"] == TEXT["v1"] and row["tags"] == "待ち時間"


def test_every_voice_of_a_filter_is_tagged_once_its_number_is_confirmed(
    kz: Kizuna, voices: Any
) -> None:
    wanted = VoiceFilter(q="朝食")
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        with pytest.raises(Conflict) as refused:
            bulk_tag(session, workspace, wanted, "朝食", "add", expected=5, actor="test")
        assert refused.value.details == {"matched": 2}
    assert tagged(kz, voices, "朝食") == []
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        done = bulk_tag(session, workspace, wanted, "朝食", "add", expected=2, actor="test")
    assert (done.matched, done.changed, done.job_id) == (2, 2, None)
    assert tagged(kz, voices, "朝食") == [TEXT["v4"], TEXT["v3"]]
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        bulk_tag(
            session,
            workspace,
            VoiceFilter(channel="store"),
            "朝食",
            "remove",
            expected=2,
            actor="t",
        )
    assert tagged(kz, voices, "朝食") == [TEXT["v3"]]


def test_a_large_bulk_change_runs_as_a_job(
    kz: Kizuna, voices: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags_room, "INLINE_BULK", 2)  # six voices stand for many
    with kz.session() as session:
        workspace = session.merge(voices.workspace)
        done = bulk_tag(session, workspace, VoiceFilter(), "全件", "add", expected=6, actor="t")
    assert done.job_id is not None and done.changed is None
    assert tagged(kz, voices, "全件") == []
    Worker(kz, name="test-tag-voices", kinds=["feedback.tag_voices"]).run_burst()
    assert len(tagged(kz, voices, "全件")) == len(VOICES)


def test_the_api_lets_viewers_read_tags_and_analysts_change_them(kz: Kizuna, voices: Any) -> None:
    voice = ids_of(kz, voices)[TEXT["v2"]]
    key = keys(kz, voices)
    app = build_web_app(kz)
    viewer = TestClient(app, headers={"X-API-Key": key["viewer"]})
    analyst = TestClient(app, headers={"X-API-Key": key["analyst"]})
    agent = TestClient(app, headers={"X-API-Key": key["agent"]})
    assert viewer.post(f"/api/v1/voices/{voice}/tags", json={"tag": "感動"}).status_code == 403
    assert agent.post(f"/api/v1/voices/{voice}/tags", json={"tag": "感動"}).status_code == 403
    added = analyst.post(f"/api/v1/voices/{voice}/tags", json={"tag": "感動"})
    assert added.status_code == 200 and added.json() == {"voice_id": voice, "tags": ["感動"]}
    assert analyst.post("/api/v1/voices/999999999/tags", json={"tag": "x"}).status_code == 404
    listed = viewer.get("/api/v1/voices", params={"tag": "感動"}).json()["items"]
    assert [item["text"] for item in listed] == [TEXT["v2"]] and listed[0]["tags"] == ["感動"]
    assert viewer.get("/api/v1/voices/tags").json() == [{"name": "感動", "voices": 1}]
    assert viewer.delete(f"/api/v1/voices/{voice}/tags/感動").status_code == 403
    removed = analyst.delete(f"/api/v1/voices/{voice}/tags/感動")
    assert removed.status_code == 200 and removed.json()["tags"] == []
    bulk = "/api/v1/voices/tags/bulk"
    body = {"tag": "英語", "expected": 1}
    assert viewer.post(bulk, params={"language": "en"}, json=body).status_code == 403
    wrong = analyst.post(bulk, params={"language": "en"}, json=body)
    assert wrong.status_code == 409 and wrong.json()["error"]["details"] == {"matched": 2}
    done = analyst.post(bulk, params={"language": "en"}, json={**body, "expected": 2})
    assert done.status_code == 200 and done.json() == {"matched": 2, "changed": 2, "job_id": None}


def test_the_page_tags_a_voice_and_every_voice_of_the_filter_with_csrf(
    kz: Kizuna, voices: Any
) -> None:
    voice = ids_of(kz, voices)[TEXT["v3"]]
    client = TestClient(build_web_app(kz))
    log_in(client, voices.admin_email, voices.password)
    base = f"/w/{voices.slug}/voices"
    page = client.get(base, params={"q": "朝食"})
    token = csrf_from(page.text)
    assert f'action="{base}/{voice}/tags?q=%E6%9C%9D%E9%A3%9F"' in page.text
    forged = client.post(f"{base}/{voice}/tags", data={"tag": "部屋"})
    assert forged.status_code == 403
    added = client.post(
        f"{base}/{voice}/tags",
        params={"q": "朝食"},
        data={"tag": "部屋", "csrf_token": token},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"].startswith(f"{base}?q=")
    assert 'data-tag="部屋"' in client.get(base, params={"tag": "部屋"}).text
    counted = client.post(
        f"{base}/tags/bulk", params={"q": "朝食"}, data={"tag": "朝食", "csrf_token": token}
    )
    assert counted.status_code == 200 and 'name="expected" value="2"' in counted.text
    confirmed = client.post(
        f"{base}/tags/bulk",
        params={"q": "朝食"},
        data={"tag": "朝食", "expected": "2", "csrf_token": token},
    )
    assert confirmed.status_code == 200 and "bulk-result" in confirmed.text
    assert tagged(kz, voices, "朝食") == [TEXT["v4"], TEXT["v3"]]
