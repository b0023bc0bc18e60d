"""Schemathesis over every /api/v1 operation: the OpenAPI document and the server agree.

Each operation is fuzzed in-process (ASGI, no network) against the database the suite runs
on (SQLite, or PostgreSQL with KIZUNA_TEST_DATABASE_URL), with an admin API key and every
check the installed schemathesis has (`call_and_validate` runs them all): no server error;
status codes, content types, headers and bodies as documented; 405 with the right Allow;
the key enforced; data the document allows accepted and data it forbids refused. A failure
prints the request as a curl line. Examples are derandomized, so a run is reproducible.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, get_args

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from web_support import build_web_app

from kizuna import Kizuna, Settings
from kizuna.accounts.service import init_workspace
from kizuna.web import create_app
from kizuna.web.api import API_PREFIX, OPENAPI_URL

KeyFor = Callable[[str], str]

# Operations whose server checks rules that JSON Schema cannot state; a request the document
# allows may break one and is then refused with 422 and the rule's reason (positive data is
# otherwise expected to be accepted). Each names the rule.
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/invitations": "the address as SMTP reads it (kizuna.mail.addresses)",
    "POST /api/v1/customers": "a row as the ingest rules read it (dates, e-mail, phone)",
    "POST /api/v1/interactions": "a row as the ingest rules read it (dates in many forms)",
    "POST /api/v1/feedback": "a row as the ingest rules read it (a comment or a score)",
    "GET /api/v1/customers": "the cursor is a token the server signed",
    "GET /api/v1/metrics/{metric}": "from must not be after to",
    "POST /api/v1/segments": "a condition's operator and value depend on its field",
    "PATCH /api/v1/segments/{segment_id}": "a condition's operator and value depend on its field",
    "POST /api/v1/segments/count": "a condition's operator and value depend on its field",
    "POST /api/v1/loop/departments": "the lead must be an active member",
    "POST /api/v1/loop/departments/{department_id}/members": "an active member of the workspace",
    "PUT /api/v1/loop/settings": "calendar, SLA and root causes in their own forms",
    "POST /api/v1/loop/rules": "the condition language and its actions",
    "POST /api/v1/loop/rules/test": "the condition language and its actions",
    "PATCH /api/v1/loop/rules/{rule_id}": "the condition language and its actions",
    "POST /api/v1/cases": "the department, voice and customer must fit together",
    "POST /api/v1/cases/assign": "the owner must be a member who may work cases",
    "PATCH /api/v1/cases/{case_id}": "the status moves a case may make; closing needs a cause",
    "POST /api/v1/cases/{case_id}/handoff": "an open case, to another department",
    "POST /api/v1/cases/{case_id}/reply": "the case's customer needs an e-mail address",
    "POST /api/v1/improvements": "the department must exist",
    "PATCH /api/v1/improvements/{improvement_id}": "a shipped improvement stays shipped",
    "POST /api/v1/praise/targets": "digest addresses as SMTP reads them",
    "PUT /api/v1/journeys/stages": "a new stage needs a name; codes are unique",
    "POST /api/v1/journeys/rules": "match fields and values per kind of record",
    "POST /api/v1/surveys": "the survey definition language, or a known template",
    "PUT /api/v1/surveys/{survey_id}": "the survey definition language",
    # issue 12: the voice filter's customer_attribute is a segment field and a value of its
    # type (field:value); a segment id must name a segment of the workspace
    "GET /api/v1/voices": "customer_attribute field:value; the segment must exist",
    "GET /api/v1/voices/export": "customer_attribute field:value; the segment must exist",
    "POST /api/v1/voices/tags/bulk": "customer_attribute field:value; the segment must exist",
}
# A batch answers 200 with one result per record; a record the schema refuses is rejected in
# its own row with its reason, so the others still go in (kizuna.ingest.batch).
BATCHES = ("POST /api/v1/feedback/batch", "POST /api/v1/interactions/batch")
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429"]
NEGATIVE = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

CONFIG = schemathesis.Config.from_dict(
    {
        # The coverage phase's boundary values (ids of 2**63 - 1, empty strings, each enum
        # value) for data the document allows, and a method it does not list; data it forbids
        # comes from the fuzzing phase (both modes). Its every negative case would take
        # three times as long.
        "phases": {
            "coverage": {"generation": {"mode": "positive"}, "unexpected-methods": ["trace"]}
        },
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "422"]}},
            }
            for name in RULES_BEYOND_THE_SCHEMA
        ]
        + [
            {
                "include-name": name,
                "checks": {"negative_data_rejection": {"expected-statuses": [*NEGATIVE, "200"]}},
            }
            for name in BATCHES
        ],
    }
)

# The document as the server serves it, read when the tests are collected: building the app
# touches no database, and each call goes to the app over the test database (`app=`).
schema = schemathesis.openapi.from_asgi(
    OPENAPI_URL,
    create_app(Kizuna(Settings(database_url="sqlite://", embedded_worker=False))),
    config=CONFIG,
)


@pytest.fixture(scope="module")
def app(kz: Kizuna):  # type: ignore[no-untyped-def]
    return build_web_app(kz)


@pytest.fixture(scope="module")
def demo_key(kz: Kizuna) -> str:
    """A small demo workspace that the reading operations look into."""
    from kizuna.demo import build_demo

    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    summary = build_demo(kz, slug=slug, seed=5, customers=40, interactions=300, feedback=120)
    assert summary.api_key is not None
    return summary.api_key


@pytest.fixture(scope="module")
def key_for(kz: Kizuna, demo_key: str) -> KeyFor:
    """An admin key per operation: reads share the demo; each writing operation gets a
    workspace of its own, so a key it revokes, a member it removes or settings it changes
    cannot change what the next operation sees."""
    keys: dict[str, str] = {}

    def key(label: str) -> str:
        if label.startswith("GET "):
            return demo_key
        if label not in keys:
            slug = f"fuzz-{uuid.uuid4().hex[:10]}"
            with kz.session() as session:
                made = init_workspace(session, slug, f"owner-{slug}@example.com")
            keys[label] = made.api_key
        return keys[label]

    return key


@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_api_operation_answers_as_its_document_says(case, app, key_for: KeyFor) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers={"X-API-Key": key_for(case.operation.label)}, app=app)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_is_valid_openapi_and_every_operation_documents_its_errors(app) -> None:  # type: ignore[no-untyped-def]
    document = TestClient(app).get(OPENAPI_URL).json()
    schemathesis.openapi.from_dict(document).validate()
    operations = _operations(document)
    assert len(operations) > 90, "every /api/v1 operation is in the document"
    for method, path, operation in operations:
        assert path.startswith(API_PREFIX), path
        codes = set(operation["responses"])
        assert {"401", "403"} <= codes, (method, path)
        has_input = bool(operation.get("parameters") or operation.get("requestBody"))
        if has_input:
            assert {"404", "422"} <= codes, (method, path)
        if "requestBody" in operation:
            assert "400" in codes, (method, path)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert "413" in codes, (method, path)
        for code, answer in operation["responses"].items():
            if code.startswith("4"):
                shown = answer["content"]["application/json"]["schema"]
                assert shown == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_create_or_update_documents_201_and_200(app) -> None:  # type: ignore[no-untyped-def]
    paths = TestClient(app).get(OPENAPI_URL).json()["paths"]
    for path in ("/api/v1/customers", "/api/v1/interactions", "/api/v1/feedback"):
        assert {"200", "201"} <= set(paths[path]["post"]["responses"]), path


def test_vocabularies_are_enums_in_the_document(app) -> None:  # type: ignore[no-untyped-def]
    from kizuna.accounts.models import ROLES
    from kizuna.accounts.permissions import permission_table
    from kizuna.feedback import schemas as feedback_schemas
    from kizuna.feedback.models import SOURCES
    from kizuna.loop import api as loop_api
    from kizuna.loop.models import CASE_STATUSES, IMPROVEMENT_STATUSES, PRIORITIES
    from kizuna.loop.praise import PRAISE_KINDS
    from kizuna.loop.replies import REPLY_KINDS, REPLY_VARIANTS
    from kizuna.loop.webhooks import WEBHOOK_EVENTS

    # The API's Literals are the services' vocabularies, not copies that drift.
    assert get_args(loop_api.CaseStatus) == CASE_STATUSES
    assert get_args(loop_api.Priority) == PRIORITIES
    assert get_args(loop_api.ImprovementStatus) == IMPROVEMENT_STATUSES
    assert get_args(loop_api.PraiseKind) == PRAISE_KINDS
    assert get_args(loop_api.WebhookEvent) == WEBHOOK_EVENTS
    assert get_args(loop_api.ReplyKind) == REPLY_KINDS
    assert get_args(loop_api.ReplyVariant) == REPLY_VARIANTS
    assert get_args(feedback_schemas.Source) == SOURCES

    document = TestClient(app).get(OPENAPI_URL).json()
    schemas = document["components"]["schemas"]
    assert schemas["MemberPublic"]["properties"]["role"]["enum"] == list(ROLES)
    scopes = schemas["ApiKeyCreate"]["properties"]["scopes"]["items"]
    assert scopes["enum"] == sorted(permission_table())
    status = schemas["CaseUpdate"]["properties"]["status"]["anyOf"][0]
    assert status["enum"] == list(CASE_STATUSES)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/metrics/nps", "to=0"),
        ("/api/v1/metrics/nps", "from=1.5e-213"),
        ("/api/v1/actions", "as_of=0"),
        ("/api/v1/audit", "until=0.5"),
        ("/api/v1/audit", "since=2025-04-01"),
    ],
)
def test_a_number_is_not_a_date(app, ws, path: str, query: str) -> None:  # type: ignore[no-untyped-def]
    """`?to=0` used to be read as 1970-01-01; now the date must be written as a date."""
    answer = TestClient(app, headers={"X-API-Key": ws.api_key}).get(f"{path}?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    assert "ISO 8601" in answer.json()["error"]["details"][0]["msg"]


def test_an_unsupported_method_names_every_method_of_the_address(app, ws) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers={"X-API-Key": ws.api_key})
    answer = client.request("PATCH", "/api/v1/surveys")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    # A fixed address beside an id is not taken for an id.
    assert client.request("PATCH", "/api/v1/segments/fields").status_code == 405
