"""Identity resolution on a real database: merges across sources, chains, undo, junk."""

from __future__ import annotations

import pytest
from resolve_support import add_customers, groups, resolve

from kizuna import Kizuna
from kizuna.customers.merges import (
    customer_group,
    group_merges,
    unmerge_customer,
)
from kizuna.errors import InvalidInput, NotFound


def test_email_variant_across_sources_merges_into_the_oldest(kz: Kizuna, ws) -> None:
    crm, shop, other = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "C1", "email": "Taro.Yamada@Example.jp"},
        {"source": "shop", "external_id": "S1", "email": " ｔａｒｏ.ｙａｍａｄａ＠example.jp"},
        {"source": "shop", "external_id": "S2", "email": "hanako@example.jp"},
    )
    report = resolve(kz, ws.workspace)
    assert report.merges == 1
    assert report.merged_by_kind == {"email": 1}
    assert groups(kz, ws.workspace, [crm, shop, other]) == {crm: crm, shop: crm, other: other}
    with kz.session() as session:
        assert customer_group(session, ws.workspace, shop) == [crm, shop]
        (merge,) = group_merges(session, ws.workspace, crm)
        assert (merge.absorbed_id, merge.survivor_id, merge.kind) == (shop, crm, "email")
        assert merge.value_normalized == "taro.yamada@example.jp"


def test_phone_variant_merges_and_chain_makes_one_group(kz: Kizuna, ws) -> None:
    a, b, c, d = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "A", "email": "jiro@example.jp"},
        {
            "source": "shop",
            "external_id": "B",
            "email": "JIRO@example.jp",
            "phone": "090-1111-2222",
        },
        {"source": "line", "external_id": "C", "phone": "+81 90 1111 2222", "line_id": "Uabc"},
        {"source": "app", "external_id": "D", "phone": "０９０１１１１２２２３"},
    )
    report = resolve(kz, ws.workspace)
    assert groups(kz, ws.workspace, [a, b, c, d]) == {a: a, b: a, c: a, d: d}
    assert report.merged_by_kind == {"email": 1, "phone": 1}
    assert report.records_merged == 2
    with kz.session() as session:
        why = {m.absorbed_id: m for m in group_merges(session, ws.workspace, c)}
    assert why[c].kind == "phone" and why[c].matched_id == b and why[c].survivor_id == a


def test_new_record_joining_two_groups_keeps_the_oldest_survivor(kz: Kizuna, ws) -> None:
    a, b, c, d = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "A", "email": "x@example.jp"},
        {"source": "shop", "external_id": "B", "email": "x@example.jp"},
        {"source": "crm", "external_id": "C", "phone": "080-2222-3333"},
        {"source": "shop", "external_id": "D", "phone": "08022223333"},
    )
    resolve(kz, ws.workspace)
    (bridge,) = add_customers(
        kz,
        ws.workspace,
        {"source": "app", "external_id": "E", "email": "X@example.jp", "phone": "080-2222-3333"},
    )
    report = resolve(kz, ws.workspace)
    ids = [a, b, c, d, bridge]
    assert set(groups(kz, ws.workspace, ids).values()) == {a}
    assert report.records_merged == 3  # c with d, and the bridge
    # Undoing c's merge brings back c's own earlier group exactly: c with d.
    with kz.session() as session:
        restored = unmerge_customer(session, ws.workspace, c)
    assert restored == [c, d]
    assert groups(kz, ws.workspace, ids) == {a: a, b: a, c: c, d: c, bridge: a}


def test_unmerge_restores_and_resolve_does_not_merge_again(kz: Kizuna, ws) -> None:
    a, b = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "A", "email": "family@example.jp"},
        {"source": "shop", "external_id": "B", "email": "family@example.jp"},
    )
    resolve(kz, ws.workspace)
    with kz.session() as session:
        assert unmerge_customer(session, ws.workspace, b) == [b]
    assert groups(kz, ws.workspace, [a, b]) == {a: a, b: b}
    report = resolve(kz, ws.workspace)
    assert report.merges == 0 and report.held_apart == 1
    assert groups(kz, ws.workspace, [a, b]) == {a: a, b: b}
    with kz.session() as session:
        with pytest.raises(InvalidInput) as err:
            unmerge_customer(session, ws.workspace, b)
        assert "統合" in err.value.message("ja")
        with pytest.raises(NotFound):
            unmerge_customer(session, ws.workspace, 10**9)


def test_junk_and_switchboard_values_are_not_matched(kz: Kizuna, ws) -> None:
    switchboard = [
        {"source": "crm", "external_id": f"S{i}", "phone": "03-5555-0000"} for i in range(4)
    ]
    junk = [
        {"source": "shop", "external_id": f"J{i}", "email": "none", "phone": "000-0000-0000"}
        for i in range(3)
    ]
    ids = add_customers(kz, ws.workspace, *switchboard, *junk)
    report = resolve(kz, ws.workspace, shared_limit=3)
    assert report.merges == 0
    assert [(s.kind, s.value, s.customers) for s in report.skipped_shared] == [
        ("phone", "+81355550000", 4)
    ]
    assert report.unusable == {"email": 3, "phone": 3, "line_id": 0}
    assert set(groups(kz, ws.workspace, ids).items()) == {(i, i) for i in ids}


def test_same_email_in_two_workspaces_never_merges(kz: Kizuna, make_workspace) -> None:
    first, second = make_workspace(), make_workspace()
    (a,) = add_customers(
        kz, first.workspace, {"source": "crm", "external_id": "1", "email": "s@example.jp"}
    )
    (b,) = add_customers(
        kz, second.workspace, {"source": "crm", "external_id": "1", "email": "s@example.jp"}
    )
    assert resolve(kz, first.workspace).merges == 0
    assert resolve(kz, second.workspace).merges == 0
    assert groups(kz, first.workspace, [a, b]) == {a: a}  # b is not even visible here
    with kz.session() as session, pytest.raises(NotFound):
        customer_group(session, first.workspace, b)
