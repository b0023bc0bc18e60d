"""Source keys (`external:<source>`) as identities: stored only where they can match.

A key that only its own record holds is not written to `identity` (the record itself shows
it); a key that two records share once normalised, or that another record's identity row
names, is stored for every holder and merges them.
"""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from resolve_support import add_customers, groups, resolve, stored_identities

from kizuna import Kizuna
from kizuna.customers.merges import group_merges
from kizuna.customers.models import Identity
from kizuna.web import create_app


def test_a_key_only_its_own_record_holds_is_not_stored_but_the_profile_shows_it(
    kz: Kizuna, ws
) -> None:  # type: ignore[no-untyped-def]
    (crm,) = add_customers(
        kz, ws.workspace, {"source": "crm", "external_id": "C123", "email": "a@example.jp"}
    )
    report = resolve(kz, ws.workspace)
    assert stored_identities(kz, ws.workspace) == {(crm, "email", "a@example.jp")}
    assert report.identities_added == 1
    client = TestClient(
        create_app(Kizuna(kz.settings.model_copy(update={"embedded_worker": False}), kz.engine))
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post(
        "/login",
        data={
            "email": ws.admin_email,
            "password": ws.password,
            "csrf_token": token.group(1),
            "next": "/",
        },
    )
    page = client.get(f"/w/{ws.slug}/customers/{crm}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page.text)))
    assert f"#{crm} crm · C123" in text  # the person's records, from the customer rows
    assert "a@example.jp" in text


def test_keys_written_differently_by_two_records_are_stored_and_merge(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    first, second, alone = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "C7"},
        {"source": " CRM", "external_id": "C7 "},
        {"source": "CRM", "external_id": "C8"},
    )
    report = resolve(kz, ws.workspace)
    assert stored_identities(kz, ws.workspace) == {
        (first, "external:crm", "C7"),
        (second, "external:crm", "C7"),
    }
    assert report.merged_by_kind == {"external": 1}
    assert groups(kz, ws.workspace, [first, second, alone]) == {
        first: first,
        second: first,
        alone: alone,
    }
    with kz.session() as session:
        (merge,) = group_merges(session, ws.workspace, first)
    assert (merge.absorbed_id, merge.kind, merge.value_normalized) == (
        second,
        "external:crm",
        "C7",
    )
    again = resolve(kz, ws.workspace)
    assert (again.identities_added, again.merges) == (0, 0)


def test_a_crm_id_carried_by_a_shop_record_merges_it_with_the_crm_record(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    crm, shop = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "C123"},
        {"source": "shop", "external_id": "S9"},
    )
    with kz.session() as session:  # as an import that maps the shop's CRM-id column would
        session.add(
            Identity(
                workspace_id=ws.workspace.id,
                customer_id=shop,
                kind="external:crm",
                value_normalized="C123",
                source="shop",
            )
        )
    report = resolve(kz, ws.workspace)
    assert (crm, "external:crm", "C123") in stored_identities(kz, ws.workspace)
    assert report.merges == 1 and report.merged_by_kind == {"external": 1}
    assert groups(kz, ws.workspace, [crm, shop]) == {crm: crm, shop: crm}


def test_shared_placeholder_keys_are_neither_stored_nor_matched(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    ids = add_customers(
        kz,
        ws.workspace,
        {"source": "shop", "external_id": "none"},
        {"source": "Shop", "external_id": "none"},
        {"source": "SHOP", "external_id": " N/A "},
        {"source": "shop", "external_id": "n/a"},
    )
    report = resolve(kz, ws.workspace)
    assert stored_identities(kz, ws.workspace) == set()
    assert report.merges == 0
    assert set(groups(kz, ws.workspace, ids).items()) == {(i, i) for i in ids}
