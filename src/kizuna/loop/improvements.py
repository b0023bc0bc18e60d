""" "You said, we did": improvements linked to the voices that asked for them.

An improvement moves idea -> planned -> in_progress -> shipped. Voices are linked by hand
or from `suggest_voices` (same topic, similar words: TF-IDF over character n-grams, which
works for Japanese without a dictionary, with the quotes shown). Shipping raises
`improvement.shipped`; its subscriber queues `loop.notify_contributors`, which tells every
linked contributor who consented to e-mail, once per person (keyed mail), in the language
of their own words, quoting them (`notify_contributors`, safe to run again after a crash:
every message is keyed and every link records its outcome in the same transaction).
`improvement_effect` shows the topic's sentiment and the contributors' scores before and
after shipping; `public_changelog` lists what shipped for the page without login.

Three rooms behind this one (import from here): the improvements themselves in
`improvement_records`, their voices and suggestions in `improvement_voices`, and what
follows shipping (notices, effect) in `improvement_shipping`.
"""

from __future__ import annotations

from kizuna.loop.improvement_records import (
    change_improvement,
    create_improvement,
    get_improvement,
    list_improvements,
    public_changelog,
)
from kizuna.loop.improvement_shipping import (
    NOTIFY_CHUNK,
    Effect,
    improvement_effect,
    notify_contributors,
)
from kizuna.loop.improvement_voices import (
    QUOTE_LENGTH,
    LinkedVoice,
    Suggestion,
    link_voices,
    linked_voices,
    suggest_voices,
    unlink_voice,
)

__all__ = [
    "NOTIFY_CHUNK",
    "QUOTE_LENGTH",
    "Effect",
    "LinkedVoice",
    "Suggestion",
    "change_improvement",
    "create_improvement",
    "get_improvement",
    "improvement_effect",
    "link_voices",
    "linked_voices",
    "list_improvements",
    "notify_contributors",
    "public_changelog",
    "suggest_voices",
    "unlink_voice",
]
