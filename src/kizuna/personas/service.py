"""Building personas and keeping them: ids and names across builds, cards, renaming.

`build_personas` reads the features (`kizuna.personas.features`), clusters them with
`kizuna.analytics.personas.PersonaModel` (k-prototypes on Gower's dissimilarity, the number
of personas by silhouette; seeded), starting from the previous build's prototypes, then
matches the new clusters to the previous personas by shared members (Hungarian method):
a matched persona keeps its row, id and the name the team gave it; a new one gets a new
id; one no longer found is kept inactive. Members and cards are replaced in one
transaction that also raises `persona.built` and records the audit row. Jobs run it
(`kizuna.personas.jobs`); pages only read what it stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.personas import PersonaModel, match_personas
from kizuna.app import Kizuna
from kizuna.customers.bulk import table_of
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, NotFound
from kizuna.jobs.events import raise_event
from kizuna.personas.cards import build_card, describe, name_personas
from kizuna.personas.events import PersonasBuilt
from kizuna.personas.features import load_persona_inputs
from kizuna.personas.models import Persona, PersonaMember, PersonaRun

__all__ = [
    "METHOD",
    "BuildReport",
    "build_personas",
    "get_persona",
    "latest_run",
    "list_personas",
    "persona_name",
    "rename_persona",
]

METHOD = "k-prototypes-gower"
_CHUNK = 5000


@dataclass(frozen=True)
class BuildReport:
    """What one build did (printed by `kizuna personas build`)."""

    run_id: int
    k: int
    customers: int
    silhouettes: dict[int, float]
    criterion: str
    persona_ids: list[int]
    kept: float | None  # share of the previous build's customers who kept their persona
    seconds: float


def _previous(session: Session, workspace: Workspace) -> tuple[list[Persona], dict[int, int]]:
    personas = list(
        session.scalars(
            select(Persona)
            .where(Persona.workspace_id == workspace.id, Persona.active)
            .order_by(Persona.id)
        )
    )
    members = dict(
        session.execute(
            select(PersonaMember.customer_id, PersonaMember.persona_id).where(
                PersonaMember.workspace_id == workspace.id
            )
        ).all()
    )
    return personas, {int(c): int(p) for c, p in members.items()}


def build_personas(
    kz: Kizuna,
    workspace: Workspace,
    *,
    seed: int = 0,
    n_personas: int | None = None,
    actor: str = "system",
) -> BuildReport:
    """Cluster the workspace's customers into personas and store them (see the module notes)."""
    started = time.perf_counter()
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        inputs = load_persona_inputs(session, ws)
        previous, before = _previous(session, ws)
    frame = inputs.features
    init = None
    if previous:
        rows = [{**p.prototype} for p in previous]
        init = pd.DataFrame(rows).reindex(columns=[*inputs.numeric, *inputs.categorical])
    model = PersonaModel(n_personas=n_personas, seed=seed)
    model.fit(frame, inputs.numeric, inputs.categorical, weights=inputs.weights, init=init)
    customers = [int(c) for c in frame.index]
    labels = [int(x) for x in model.labels_]
    current = dict(zip(customers, labels, strict=True))
    with kz.session() as session:
        ws = session.get(Workspace, workspace.id) or workspace
        # New clusters get negative placeholders until their rows get ids from the database.
        mapping = match_personas(before, current, next_id=-(10**9))
        run = PersonaRun(
            workspace_id=ws.id,
            method=METHOD,
            k=model.n_personas_,
            silhouettes={str(k): round(v, 4) for k, v in model.silhouettes_.items()},
            criterion=model.criterion_,
            seed=seed,
            customers=len(customers),
            features=[
                {"name": n, "group": g, "weight": round(inputs.weights[n], 4)}
                for g, names in inputs.groups.items()
                for n in names
            ],
        )
        session.add(run)
        session.flush()
        ids = _store_personas(session, ws, run, model, inputs, labels, customers, mapping)
        kept = _kept(before, current, mapping)
        run.kept = kept
        run.seconds = round(time.perf_counter() - started, 3)
        raise_event(session, PersonasBuilt(workspace_id=ws.id, run_id=run.id, persona_ids=ids))
        record_audit(
            session, ws, actor, "personas.build", f"persona_run:{run.id}", personas=len(ids)
        )
        run_id = run.id
    return BuildReport(
        run_id=run_id,
        k=model.n_personas_,
        customers=len(customers),
        silhouettes=dict(model.silhouettes_),
        criterion=model.criterion_,
        persona_ids=ids,
        kept=kept,
        seconds=time.perf_counter() - started,
    )


def _kept(before: dict[int, int], current: dict[int, int], mapping: dict[int, int]) -> float | None:
    shared = [c for c in before if c in current]
    if not shared:
        return None
    return sum(1 for c in shared if mapping[current[c]] == before[c]) / len(shared)


def _store_personas(
    session: Session,
    workspace: Workspace,
    run: PersonaRun,
    model: PersonaModel,
    inputs: Any,
    labels: list[int],
    customers: list[int],
    mapping: dict[int, int],
) -> list[int]:
    """Update or add a row per cluster (ids from `mapping`), retire the rest, store members."""
    members: dict[int, list[int]] = {}
    for customer, cluster in zip(customers, labels, strict=True):
        members.setdefault(cluster, []).append(customer)
    clusters = sorted(members, key=lambda c: (-len(members[c]), mapping[c]))
    cards = [build_card(inputs, members[c]) for c in clusters]
    names = name_personas(cards)
    existing = {
        p.id: p
        for p in session.scalars(select(Persona).where(Persona.workspace_id == workspace.id))
    }
    prototypes = model.prototypes_
    kept_ids: list[int] = []
    for number, (cluster, card, name) in enumerate(zip(clusters, cards, names, strict=True), 1):
        persona = existing.get(mapping[cluster])
        if persona is None:
            persona = Persona(workspace_id=workspace.id)
            session.add(persona)
            session.flush()
            mapping[cluster] = persona.id
        persona_id = persona.id
        share = len(members[cluster]) / max(1, len(customers))
        persona.run_id = run.id
        persona.number = number
        persona.generated_name = name
        persona.description = describe(card, share)
        persona.size = len(members[cluster])
        persona.share = share
        persona.prototype = _prototype({str(k): v for k, v in prototypes.iloc[cluster].items()})
        persona.card = card
        persona.active = True
        persona.updated_at = utcnow()
        kept_ids.append(persona_id)
    for persona_id, persona in existing.items():
        if persona_id not in kept_ids and persona.active:
            persona.active = False
            persona.size = 0
    session.flush()
    session.execute(delete(PersonaMember).where(PersonaMember.workspace_id == workspace.id))
    rows = [
        {"workspace_id": workspace.id, "persona_id": mapping[c], "customer_id": customer}
        for customer, c in zip(customers, labels, strict=True)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table_of(PersonaMember)), rows[start : start + _CHUNK])
    return kept_ids


def _prototype(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float | np.floating):
            out[key] = None if not np.isfinite(value) else round(float(value), 6)
        else:
            out[key] = value
    return out


def list_personas(session: Session, workspace: Workspace) -> list[Persona]:
    """The active personas, largest first."""
    return list(
        session.scalars(
            select(Persona)
            .where(Persona.workspace_id == workspace.id, Persona.active)
            .order_by(Persona.number, Persona.id)
        )
    )


def latest_run(session: Session, workspace: Workspace) -> PersonaRun | None:
    return session.scalar(
        select(PersonaRun)
        .where(PersonaRun.workspace_id == workspace.id)
        .order_by(PersonaRun.id.desc())
        .limit(1)
    )


def get_persona(session: Session, workspace: Workspace, persona_id: int) -> Persona:
    found = session.scalar(
        select(Persona).where(Persona.workspace_id == workspace.id, Persona.id == persona_id)
    )
    if found is None:
        raise NotFound(
            f"Persona {persona_id} does not exist in this workspace. See the personas page.",
            f"ペルソナ {persona_id} はこのワークスペースにありません。ペルソナのページを確認してください。",
            persona_id=persona_id,
        )
    return found


def persona_name(persona: Persona, language: str = "ja") -> str:
    """The team's name for the persona, else the generated one in `language`."""
    if persona.name:
        return persona.name
    generated = persona.generated_name or {}
    return str(generated.get(language) or generated.get("ja") or f"#{persona.id}")


def rename_persona(
    session: Session,
    workspace: Workspace,
    persona_id: int,
    name: str | None,
    *,
    actor: str = "system",
) -> Persona:
    """Give a persona the team's own name (empty or None: back to the generated one)."""
    persona = get_persona(session, workspace, persona_id)
    if name is not None and not isinstance(name, str):
        raise InvalidInput("A persona's name is text.", "ペルソナ名は文字列で指定してください。")
    cleaned = (name or "").strip()
    if len(cleaned) > 100:
        raise InvalidInput(
            "A persona's name has at most 100 characters; shorten it.",
            "ペルソナ名は100文字以内にしてください。",
        )
    persona.name = cleaned or None
    persona.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "persona.rename", f"persona:{persona.id}")
    return persona
