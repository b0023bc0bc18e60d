"""Re-running identity resolution: only new or changed customers are read again.

A re-run reads every customer's e-mail / phone / LINE columns but normalises and writes
only those whose columns changed since the last run; what it then merges is the same as a
full run would merge.
"""

from __future__ import annotations

from resolve_support import add_customers, groups, resolve, stored_identities
from sqlalchemy import delete, select

from kizuna import Kizuna
from kizuna.customers.merges import group_merges
from kizuna.customers.models import Customer, Identity
from kizuna.customers.profile import customer_profile
from kizuna.customers.resolve import resolve_identities


def test_rerun_reads_no_one_and_adds_no_identities_and_no_merges(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "1", "email": "a@example.jp", "phone": "03-1234-5678"},
        {"source": "shop", "external_id": "2", "email": "A@example.jp"},
    )
    first = resolve(kz, ws.workspace)
    rows = sorted(stored_identities(kz, ws.workspace))
    assert first.customers_synced == 2
    assert first.identities_added == len(rows) == 3  # 2 e-mails, 1 phone; no lone source keys
    # Each record's own source key stays on the customer row: no identity row repeats it.
    assert {kind for _, kind, _ in rows} == {"email", "phone"}
    with kz.session() as session:
        stamps = session.scalars(
            select(Identity.created_at).where(Identity.workspace_id == ws.workspace.id)
        ).all()
    assert stamps and all(at.tzinfo is not None for at in stamps)
    again = resolve(kz, ws.workspace)
    assert again.customers_synced == 0
    assert (again.identities_added, again.merges, again.records_merged) == (0, 0, 0)
    assert sorted(stored_identities(kz, ws.workspace)) == rows


def test_an_edited_email_resyncs_that_customer_only_and_merges_it(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    taro, hanako, jiro = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "1", "email": "taro@example.jp"},
        {"source": "crm", "external_id": "2", "email": "hanako@example.jp"},
        {"source": "shop", "external_id": "3", "email": "jiro@example.jp"},
    )
    assert resolve(kz, ws.workspace).merges == 0
    with kz.session() as session:
        edited = session.get(Customer, jiro)
        assert edited is not None
        edited.email = "ＴＡＲＯ@example.jp"  # the shop now has taro's address, full-width
    report = resolve(kz, ws.workspace)
    assert report.customers_synced == 1
    assert report.identities_added == 1
    assert (report.merges, report.merged_by_kind) == (1, {"email": 1})
    assert groups(kz, ws.workspace, [taro, hanako, jiro]) == {
        taro: taro,
        hanako: hanako,
        jiro: taro,
    }
    with kz.session() as session:
        (merge,) = group_merges(session, ws.workspace, jiro)
    assert (merge.absorbed_id, merge.value_normalized) == (jiro, "taro@example.jp")
    # The old address stays an identity of the record (identities are what was seen).
    assert (jiro, "email", "jiro@example.jp") in sorted(stored_identities(kz, ws.workspace))
    again = resolve(kz, ws.workspace)
    assert (again.customers_synced, again.identities_added, again.merges) == (0, 0, 0)


def test_a_new_record_is_read_and_joins_the_group_it_matches(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    a, b = add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "1", "phone": "090-1111-2222"},
        {"source": "shop", "external_id": "2", "phone": "09011112222"},
    )
    assert resolve(kz, ws.workspace).merges == 1
    (c,) = add_customers(
        kz, ws.workspace, {"source": "line", "external_id": "3", "phone": "+81 90 1111 2222"}
    )
    report = resolve(kz, ws.workspace)
    assert (report.customers_synced, report.merges) == (1, 1)
    assert groups(kz, ws.workspace, [a, b, c]) == {a: a, b: a, c: a}


def test_a_record_deleted_and_imported_again_is_read_again(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    record = {"source": "shop", "external_id": "S1", "email": "saburo@example.jp"}
    (first,) = add_customers(kz, ws.workspace, record)
    resolve(kz, ws.workspace)
    with kz.session() as session:  # its identity rows go with it (ON DELETE CASCADE)
        gone = session.get(Customer, first)
        assert gone is not None
        session.delete(gone)
    # On SQLite the new record may get the deleted one's id: it must still be read.
    (again,) = add_customers(kz, ws.workspace, record)
    assert resolve(kz, ws.workspace).customers_synced == 1
    with kz.session() as session:
        profile = customer_profile(session, ws.workspace, again)
    assert ("email", "saburo@example.jp") in [(i.kind, i.value) for i in profile.identities]


def test_first_and_later_runs_report_the_same_values_as_too_common(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    board = [{"source": "crm", "external_id": f"B{i}", "phone": "03-5555-0000"} for i in range(4)]
    pair = [
        {"source": "crm", "external_id": "P1", "email": "pair@example.jp"},
        {"source": "shop", "external_id": "P2", "email": "PAIR@example.jp"},
    ]
    add_customers(kz, ws.workspace, *board, *pair)
    with kz.session() as session:
        first = resolve_identities(session, ws.workspace, shared_limit=3)
        again = resolve_identities(session, ws.workspace, shared_limit=3)
    # The first run counts what it wrote in memory, later runs ask the database.
    assert first.skipped_shared == again.skipped_shared
    assert [(s.kind, s.value, s.customers) for s in again.skipped_shared] == [
        ("phone", "+81355550000", 4)
    ]
    assert (first.merges, again.merges) == (1, 0)


def test_identity_rows_deleted_by_hand_come_back_on_the_next_run(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    add_customers(
        kz,
        ws.workspace,
        {"source": "crm", "external_id": "1", "email": "a@example.jp"},
        {"source": "shop", "external_id": "2", "phone": "090-1234-5678"},
    )
    resolve(kz, ws.workspace)
    before = sorted(stored_identities(kz, ws.workspace))
    with kz.session() as session:
        session.execute(delete(Identity).where(Identity.workspace_id == ws.workspace.id))
    report = resolve(kz, ws.workspace)
    assert (report.customers_synced, report.identities_added) == (2, 2)
    assert sorted(stored_identities(kz, ws.workspace)) == before
