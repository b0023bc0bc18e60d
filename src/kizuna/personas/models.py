"""Tables of the personas room: each build, the personas, and which customer is in which.

Persona ids live across builds: a new build matches its clusters to the previous personas
(`kizuna.analytics.personas.match_personas`) and updates those rows, so a name the team
gave stays, and segments filtering on a persona keep their meaning. A persona no longer
found is kept inactive (its id is never reused). `persona_member` holds one row per
surviving customer: the segment condition `persona` joins it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = ["Persona", "PersonaMember", "PersonaRun"]


class PersonaRun(WorkspaceScoped, Base):
    """One build: the method, how the number of personas was chosen, on how many customers."""

    __tablename__ = "persona_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(64))
    k: Mapped[int] = mapped_column(Integer)
    silhouettes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    criterion: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[float | None] = mapped_column(Float, default=None)
    features: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class Persona(WorkspaceScoped, Base):
    """A persona: its team-given name (or the generated one), its card and its prototype."""

    __tablename__ = "persona"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("persona_run.id", ondelete="SET NULL"), default=None
    )
    number: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    generated_name: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    size: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    prototype: Mapped[dict[str, Any]] = mapped_column(default=dict)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PersonaMember(WorkspaceScoped, Base):
    """A surviving customer's persona as of the latest build."""

    workspace_index = False  # led by the unique key
    __tablename__ = "persona_member"
    __table_args__ = (UniqueConstraint("workspace_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("persona.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
