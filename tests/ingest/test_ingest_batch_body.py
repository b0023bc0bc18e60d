"""The batch routes' body read in one pass (`kizuna.web.model_body`) answers as FastAPI does.

Two routes take the same model, one through `ModelBodyRoute`, one through FastAPI's own
reading (`json.loads`, then validation); every body, well formed or not, must get the same
status and the same JSON answer (the records as validated, or FastAPI's error details).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from kizuna.feedback.schemas import FeedbackBatch
from kizuna.web.model_body import ModelBodyRoute
from kizuna.web.routing import SummaryRoute

RECORD = b'{"external_id": "a", "received_at": "2025-01-01", '
BODIES = {
    "well formed": json.dumps(
        {"source": "survey", "records": [{"external_id": "a1", "received_at": "x", "nps": 5}]}
    ).encode(),
    "not JSON": b'{"records": [',
    "text after the JSON": b'{"records": []} x',
    "NaN and Infinity": RECORD + b'"nps": NaN, "csat": Infinity}]}',
    "a number past float": RECORD + b'"nps": 1e400}]}',
    "a big integer": RECORD + b'"nps": 100000000000000000000000000001}]}',
    "a lone surrogate": RECORD + b'"text": "a\\ud800b"}]}',
    "a lone surrogate in a key": RECORD + b'"properties": {"\\udc00": 1}}]}',
    "a NUL": RECORD + b'"text": "a\\u0000b"}]}',
    "a key twice": b'{"records": [], "records": [{"external_id": "b", "received_at": "x"}]}',
    "a field twice": RECORD + b'"external_id": "c"}]}',
    "an unknown field": RECORD + b'"colour": 1}]}',
    "a number for text": b'{"records": [{"external_id": 5, "received_at": "x"}]}',
    "a missing field": b'{"records": [{"external_id": "m"}]}',
    "a list": b"[1, 2]",
    "an unknown source": b'{"source": "nope", "records": []}',
    "a byte order mark": b'\xef\xbb\xbf{"records": []}',
    "UTF-16": '{"records": []}'.encode("utf-16"),
    "Latin-1": RECORD.replace(b'"a"', b'"\xe9"') + b'"text": "x"}]}',
    "nested deep": RECORD + b'"properties": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}]}",
    "nested past the parsers": RECORD + b'"properties": {"a": ' + b"[" * 3000 + b"]" * 3000,
    "a tab inside text": RECORD + b'"text": "a\tb"}]}',
    "floats": RECORD + b'"rating": 1.0000000000000002, "properties": {"x": 0.1, "y": -0.0}}]}',
    "escapes": RECORD + b'"text": "\\u00e9\\ud83d\\ude00 \\/"}]}',
    "empty": b"",
}


def _echo(body: FeedbackBatch) -> dict[str, Any]:
    return {"source": body.source, "records": [r.model_dump() for r in body.records]}


@pytest.fixture(scope="module")
def client() -> TestClient:
    fast = APIRouter(route_class=ModelBodyRoute)
    fast.add_api_route("/fast", _echo, methods=["POST"])
    plain = APIRouter(route_class=SummaryRoute)
    plain.add_api_route("/plain", _echo, methods=["POST"])
    app = FastAPI()
    app.include_router(fast)
    app.include_router(plain)
    return TestClient(app)


def _answer(client: TestClient, path: str, body: bytes) -> tuple[int, str]:
    answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
    return answer.status_code, answer.text


@pytest.mark.parametrize("name", list(BODIES))
def test_every_body_gets_fastapis_own_answer(client: TestClient, name: str) -> None:
    body = BODIES[name]
    assert _answer(client, "/fast", body) == _answer(client, "/plain", body)


def test_the_model_is_read_in_one_pass(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The well-formed body never reaches `json.loads` (else nothing was gained)."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("json.loads was called")

    monkeypatch.setattr("kizuna.web.model_body.json.loads", refuse)
    status, text = _answer(client, "/fast", BODIES["well formed"])
    monkeypatch.undo()
    assert status == 200
    assert json.loads(text)["records"][0]["external_id"] == "a1"
