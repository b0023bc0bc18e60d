"""Personas built on the demo: cards with figures and real quotes, the same personas from
the same data, ids and names kept when 5% new customers arrive, a segment per persona,
and the journey of each persona refreshed when they change."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from persona_support import add_lookalike_customers, build_demo_workspace
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import AuditEvent
from kizuna.analytics.personas import PersonaModel
from kizuna.customers.segments import count_customers
from kizuna.jobs.models import DomainEvent, Job
from kizuna.jobs.worker import Worker
from kizuna.personas.features import load_persona_inputs, region_of
from kizuna.personas.models import PersonaMember
from kizuna.personas.service import (
    build_personas,
    latest_run,
    list_personas,
    persona_name,
    rename_persona,
)


@pytest.fixture(scope="module")
def built(kz: Kizuna) -> Any:
    workspace, *_ = build_demo_workspace(kz, seed=17)
    report = build_personas(kz, workspace)
    return workspace, report


def members(kz: Kizuna, workspace: Any) -> dict[int, int]:
    with kz.session() as session:
        return dict(
            session.execute(
                select(PersonaMember.customer_id, PersonaMember.persona_id).where(
                    PersonaMember.workspace_id == workspace.id
                )
            ).all()
        )


def test_personas_are_built_on_the_demo_with_full_cards(kz: Kizuna, built: Any) -> None:
    workspace, report = built
    assert 3 <= report.k <= 8 and report.kept is None
    assert set(report.silhouettes) == set(range(3, 9))
    assert "silhouette" in report.criterion
    with kz.session() as session:
        personas = list_personas(session, workspace)
        run = latest_run(session, workspace)
        audit = session.scalars(
            select(AuditEvent.action).where(AuditEvent.workspace_id == workspace.id)
        ).all()
    assert run is not None and run.k == len(personas) == report.k
    assert sum(p.size for p in personas) == report.customers == len(members(kz, workspace))
    assert [p.number for p in personas] == list(range(1, len(personas) + 1))
    assert len({persona_name(p, "ja") for p in personas}) == len(personas), "names are distinct"
    for persona in personas:
        card = persona.card
        assert persona.description["ja"] and persona.description["en"]
        assert card["size"] == persona.size
        assert card["channels"] and card["profile"]["age_band"]
        assert card["journey"]["stages"]
        if card["clv"]:
            assert card["clv"]["mean"] > 0
        if card["nps"]:
            assert card["nps"]["low"] <= card["nps"]["value"] <= card["nps"]["high"]
    quoted = [t for p in personas for t in p.card["needs"] + p.card["pains"] if t.get("quote")]
    assert quoted, "needs and pains come with the members' own words"
    assert "personas.build" in audit
    groups = {f["group"] for f in run.features}
    assert groups == {"behaviour", "attitude", "profile"}


def test_the_same_data_and_seed_give_the_same_personas(kz: Kizuna, built: Any) -> None:
    workspace, _ = built
    with kz.session() as session:
        inputs = load_persona_inputs(session, workspace)
    one = PersonaModel(seed=4).fit(
        inputs.features, inputs.numeric, inputs.categorical, weights=inputs.weights
    )
    two = PersonaModel(seed=4).fit(
        inputs.features, inputs.numeric, inputs.categorical, weights=inputs.weights
    )
    np.testing.assert_array_equal(one.labels_, two.labels_)
    assert one.silhouettes_ == two.silhouettes_


def test_new_customers_leave_earlier_ones_in_their_persona_with_its_id_and_name(
    kz: Kizuna, built: Any
) -> None:
    workspace, _ = built
    before = members(kz, workspace)
    with kz.session() as session:
        first = list_personas(session, workspace)[0]
        rename_persona(session, workspace, first.id, "ファミリー温泉派", actor="user:1")
        renamed = first.id
    newcomers = add_lookalike_customers(
        kz, workspace, sorted(before)[:: max(1, len(before) // 10)][:10]
    )
    assert len(newcomers) >= 0.05 * len(before)
    report = build_personas(kz, workspace)
    after = members(kz, workspace)
    kept = np.mean([after.get(c) == p for c, p in before.items()])
    assert kept >= 0.9, kept
    assert report.kept == pytest.approx(kept)
    assert set(newcomers) <= set(after)
    with kz.session() as session:
        names = {p.id: persona_name(p, "ja") for p in list_personas(session, workspace)}
    assert names.get(renamed) == "ファミリー温泉派", "the team's name stays with its persona"


def test_a_segment_can_filter_customers_by_persona(kz: Kizuna, built: Any) -> None:
    workspace, _ = built
    assignment = members(kz, workspace)
    persona_id = max(set(assignment.values()), key=list(assignment.values()).count)
    size = sum(1 for p in assignment.values() if p == persona_id)
    with kz.session() as session:
        assert (
            count_customers(
                session, workspace, [{"field": "persona", "op": "eq", "value": persona_id}]
            )
            == size
        )
        others = count_customers(
            session, workspace, [{"field": "persona", "op": "ne", "value": persona_id}]
        )
        everyone = count_customers(session, workspace, [])
    assert others == everyone - size


def test_a_build_raises_its_event_and_the_personas_journeys_are_refreshed(
    kz: Kizuna, built: Any
) -> None:
    workspace, _ = built
    with kz.session() as session:
        event = session.scalars(
            select(DomainEvent).where(
                DomainEvent.workspace_id == workspace.id, DomainEvent.kind == "persona.built"
            )
        ).first()
        assert event is not None
    worker = Worker(kz, "personas-test", kinds=["event.deliver"])
    while worker.run_once():
        pass
    with kz.session() as session:
        scopes = {
            job.payload["scope"]
            for job in session.scalars(
                select(Job).where(
                    Job.workspace_id == workspace.id, Job.kind == "journeys.aggregate"
                )
            )
        }
    assert any(scope.startswith("persona:") for scope in scopes)


def test_prefectures_map_to_regions() -> None:
    assert [region_of(p) for p in ("東京都", "大阪府", "北海道", "沖縄県", "京都", None, "Tokyo")] == [
        "kanto", "kinki", "hokkaido", "kyushu", "kinki", None, None,
    ]  # fmt: skip
