"""The cleaning steps are skipped only when they could not change the text."""

from __future__ import annotations

import itertools
import random

from kizuna.analytics.text.normalize import (
    _ELONGATION_HINT,
    _JUNK_OR_INVISIBLE,
    _REPEATS,
    _SQUEEZE_STEPS,
    clean_text,
)

# Every character some junk or elongation step reacts to, and a few it does not.
ALPHABET = [
    "a",
    "w",
    "W",
    "!",
    "?",
    "ー",
    "〜",
    "~",
    "－",
    "-",
    "1",
    ".",
    " ",
    "あ",
    "\u200b",
    "\x01",
]


def skipped(text: str) -> bool:
    return not (
        _ELONGATION_HINT.search(text) or _JUNK_OR_INVISIBLE.search(text) or _REPEATS.search(text)
    )


def test_skipping_the_squeeze_steps_never_skips_a_change() -> None:
    # Each step reacts to at most three neighbouring characters: every string of up to
    # three, then longer random ones.
    texts = [
        "".join(chars) for size in range(4) for chars in itertools.product(ALPHABET, repeat=size)
    ]
    rng = random.Random(5)
    texts += ["".join(rng.choices(ALPHABET, k=rng.randint(4, 12))) for _ in range(20_000)]
    for text in texts:
        if skipped(text):
            assert not any(pattern.search(text) for pattern, _ in _SQUEEZE_STEPS), repr(text)


def test_english_without_elongations_takes_the_fast_path() -> None:
    assert skipped("The coffee was good and the staff well trained, see you soon")
    assert clean_text("Sooo good!!! wwww").text == "Soo good! ww"
