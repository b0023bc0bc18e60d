"""Placing interactions and voices on the journey: rules applied to whole frames at once.

Interactions: the first rule (in order) that applies to interactions or to any record and
whose conditions all hold places it: stage, touchpoint (the rule's, else the record's own,
else its channel's name) and direct (the rule's, else the record's own flag). Voices: a
voice tied to a placed interaction takes that interaction's stage and directness (its own
touchpoint when it names one: a survey about breakfast after a stay is about 朝食);
other voices go by the rules that apply to voices or to any record, where `kind` matches
nothing and `source` the voice's source. Records no rule places stay outside the journey
(their number is reported so the team can add a rule).

Conditions: each field's list of accepted values (channel, kind, touchpoint, source) and
`properties` (the record's property must equal the value, compared as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.i18n.vocabulary import label
from kizuna.journeys.definition import RuleSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["place_interactions", "place_voices", "uses_properties"]


def uses_properties(rules: Sequence[RuleSpec]) -> bool:
    """Whether any rule looks at properties (only then are they read from the database)."""
    return any(rule.match.get("properties") for rule in rules)


def _holds(
    frame: pd.DataFrame, rule: RuleSpec, fields: dict[str, str | None]
) -> np.ndarray[Any, Any]:
    """Which rows meet every condition of `rule`; `fields` maps a rule field to a column."""
    ok = np.ones(len(frame), dtype=bool)
    for field, accepted in rule.match.items():
        if field == "properties":
            if "properties" not in frame.columns:
                return np.zeros(len(frame), dtype=bool)
            wanted = dict(accepted)
            ok &= np.fromiter(
                (
                    isinstance(p, dict) and all(str(p.get(k)) == v for k, v in wanted.items())
                    for p in frame["properties"].tolist()
                ),
                dtype=bool,
                count=len(frame),
            )
            continue
        column = fields.get(field)
        if column is None or column not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        ok &= frame[column].isin(list(accepted)).to_numpy()
    return ok


def _apply(
    frame: pd.DataFrame, rules: Sequence[RuleSpec], kinds: set[str], fields: dict[str, str | None]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(stage, rule touchpoint, rule direct) per row; None where no rule placed the row."""
    n = len(frame)
    stage = np.full(n, None, dtype=object)
    touchpoint = np.full(n, None, dtype=object)
    direct = np.full(n, None, dtype=object)
    open_rows = np.ones(n, dtype=bool)
    for rule in rules:
        if rule.applies_to not in kinds or not open_rows.any():
            continue
        hit = open_rows & _holds(frame, rule, fields)
        stage[hit] = rule.stage
        touchpoint[hit] = rule.touchpoint
        direct[hit] = rule.direct
        open_rows &= ~hit
    return stage, touchpoint, direct


def _names(own: pd.Series, channels: pd.Series, language: str) -> np.ndarray[Any, Any]:
    """The record's own touchpoint, or its channel's name when it has none."""
    values = own.to_numpy(dtype=object).copy()
    empty = np.array([v is None or v != v or v == "" for v in values], dtype=bool)
    if empty.any():
        values[empty] = [label("channel", c, language) for c in channels.to_numpy()[empty]]
    return values


def place_interactions(
    frame: pd.DataFrame, rules: Sequence[RuleSpec], *, language: str = "ja"
) -> pd.DataFrame:
    """`frame` (channel, kind, touchpoint, direct[, properties]) with stage/touchpoint/direct set.

    Adds `stage` (None: unplaced) and replaces `touchpoint` and `direct` by the placed ones.
    """
    import pandas as pd

    out = frame.copy()
    fields = {"channel": "channel", "kind": "kind", "touchpoint": "touchpoint", "source": None}
    stage, touchpoint, direct = _apply(out, rules, {"interaction", "any"}, fields)
    own = _names(out["touchpoint"], out["channel"], language)
    out["stage"] = pd.Series(stage, index=out.index, dtype=object)
    out["touchpoint"] = np.where(touchpoint == None, own, touchpoint)  # noqa: E711
    own_direct = out["direct"].to_numpy(dtype=object)
    out["direct"] = np.where(direct == None, own_direct, direct).astype(bool)  # noqa: E711
    return out


def place_voices(
    voices: pd.DataFrame,
    rules: Sequence[RuleSpec],
    interactions: pd.DataFrame,
    *,
    language: str = "ja",
) -> pd.DataFrame:
    """`voices` (source, channel, touchpoint, interaction_id[, properties]) placed on the journey.

    `interactions` are the placed interactions (id, stage, touchpoint, direct).
    """
    import pandas as pd

    out = voices.copy()
    fields = {"channel": "channel", "kind": None, "touchpoint": "touchpoint", "source": "source"}
    stage, touchpoint, direct = _apply(out, rules, {"voice", "any"}, fields)
    own = _names(out["touchpoint"], out["channel"], language)
    touchpoint = np.where(touchpoint == None, own, touchpoint)  # noqa: E711
    direct = np.where(direct == None, True, direct)  # noqa: E711
    placed = interactions[interactions["stage"].notna()].set_index("id")
    linked = out["interaction_id"].map(placed["stage"]) if len(placed) else None
    if linked is not None:
        at = linked.notna().to_numpy()
        ids = out["interaction_id"][at]
        stage[at] = linked[at].to_numpy(dtype=object)
        has_own = pd.notna(out["touchpoint"]).to_numpy() & (out["touchpoint"] != "").to_numpy()
        theirs = ids.map(placed["touchpoint"]).to_numpy(dtype=object)
        touchpoint[at] = np.where(has_own[at], own[at], theirs)
        direct[at] = ids.map(placed["direct"]).to_numpy(dtype=object)
    out["stage"] = pd.Series(stage, index=out.index, dtype=object)
    out["touchpoint"] = touchpoint
    out["direct"] = direct.astype(bool)
    return out
