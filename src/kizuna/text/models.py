"""Tables of the text room: a workspace's trained text models, versioned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["TextModel"]


class TextModel(WorkspaceScoped, Base):
    """A polarity model trained on one workspace's scored feedback.

    `active` is set only when its cross-validated macro-F1 beat the built-in engine's on
    the same labelled texts and it also beat the built-in engine on sentences the
    workspace labelled (text/service.py); every stored analysis names the engine version
    it came from.
    """

    __tablename__ = "text_model"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    n_texts: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    macro_f1: Mapped[float] = mapped_column(Float)
    macro_f1_std: Mapped[float] = mapped_column(Float, default=0.0)
    baseline_macro_f1: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=False)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
