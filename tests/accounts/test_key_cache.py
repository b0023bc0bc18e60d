"""API keys answered from the short-lived cache (`kizuna.accounts.key_cache`).

A busy client's calls do not look its key up each time; a key revoked in this process is
refused on the next call; revoked elsewhere, within `FRESH_SECONDS`; an expired key from its
expiry instant on, cached or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, update

from kizuna import Kizuna
from kizuna.accounts import key_cache
from kizuna.accounts.keys import create_api_key, revoke_api_key
from kizuna.accounts.models import ApiKey
from kizuna.web import create_app


@pytest.fixture
def app(kz: Kizuna) -> FastAPI:
    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


def _call(app: FastAPI, key: str) -> Any:
    headers = {"X-API-Key": key, "Accept-Language": "en"}
    return TestClient(app).get("/api/v1/workspace", headers=headers)


def _key_id(kz: Kizuna, key: str) -> int:
    digest = key_cache.hash_api_key(key)
    with kz.session() as session:
        return int(session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest)))


@pytest.fixture
def key_lookups(kz: Kizuna) -> Iterator[list[str]]:
    """The statements that read the api_key table, as the server runs them."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_key" in statement:
            seen.append(statement)

    engine: Engine = kz.engine
    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def test_a_busy_clients_calls_look_the_key_up_once(
    app: FastAPI, ws: Any, key_lookups: list[str]
) -> None:
    answers = [_call(app, ws.api_key) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert {a.json()["slug"] for a in answers} == {ws.slug}
    assert len(key_lookups) == 1


def test_a_key_revoked_in_this_process_is_refused_on_the_next_call(
    app: FastAPI, kz: Kizuna, ws: Any
) -> None:
    assert _call(app, ws.api_key).status_code == 200  # looked up: now in the cache
    with kz.session() as session:
        revoke_api_key(session, ws.workspace, _key_id(kz, ws.api_key), "user:1")
    refused = _call(app, ws.api_key)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]["message"]


def test_a_key_revoked_elsewhere_is_refused_once_its_entry_is_stale(
    app: FastAPI, kz: Kizuna, ws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _call(app, ws.api_key).status_code == 200
    # Another process (the CLI, a second server worker) revokes it: this one is not told.
    with kz.engine.begin() as conn:
        conn.execute(
            update(ApiKey)
            .where(ApiKey.id == _key_id(kz, ws.api_key))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    assert _call(app, ws.api_key).status_code == 200  # the documented window
    later = key_cache._clock() + key_cache.FRESH_SECONDS + 0.1
    monkeypatch.setattr(key_cache, "_clock", lambda: later)
    assert _call(app, ws.api_key).status_code == 401


def test_a_cached_key_is_refused_from_its_expiry_on(
    app: FastAPI, kz: Kizuna, ws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with kz.session() as session:
        key = create_api_key(session, ws.workspace, "pos", "admin", expires_at=expires)
    assert _call(app, key).status_code == 200  # cached, fresh for seconds
    past_expiry = expires + dt.timedelta(seconds=1)
    monkeypatch.setattr(key_cache, "utcnow", lambda: past_expiry)
    monkeypatch.setattr("kizuna.accounts.keys.utcnow", lambda: past_expiry)
    refused = _call(app, key)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]


def test_a_lookup_overtaken_by_a_revocation_is_not_kept(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        found = session.scalar(select(ApiKey).where(ApiKey.id == _key_id(kz, ws.api_key)))
        assert found is not None
        seen = key_cache.generation()
        key_cache.forget_keys()  # a revocation commits while the lookup is under way
        key_cache.remember_key(kz.engine, ws.api_key, found, ws.workspace, seen)
        assert key_cache.known_key(kz.engine, ws.api_key) is None
        key_cache.remember_key(kz.engine, ws.api_key, found, ws.workspace, key_cache.generation())
        known = key_cache.known_key(kz.engine, ws.api_key)
    assert known is not None and known.key_id == found.id
    first, second = known.workspace(), known.workspace()
    assert first is not second and (first.id, first.slug) == (second.id, second.slug) == (
        ws.workspace.id,
        ws.slug,
    )
