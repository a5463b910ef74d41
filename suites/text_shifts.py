"""Text perturbations: keyboard typos, character noise, casing, whitespace and punctuation
noise (the word-level ones live in :mod:`assay.suites.word_shifts`), each applied to a
dataset's text feature columns (or the one named by ``column``).

Every example's perturbation is drawn from its own generator, seeded by (suite seed, example
id, column), so the shifted set is the same on every machine, batch size and row order, and
pairs with the clean set by id. Only ``random.Random.random`` is used (the one draw Python
promises not to change between versions). ``rate`` is the chance that each unit (a letter,
a word, a space) is perturbed; by default it follows ``severity``: 0.05, 0.1, 0.2, 0.3, 0.5.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assay.params import Param
from assay.suites.shifts import register_shift

RATES = (0.05, 0.1, 0.2, 0.3, 0.5)
TEXT = frozenset({"text"})
MIX = 0x9E3779B97F4A7C15
WORD = re.compile(r"[A-Za-z]{2,}")
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
PARAMS = {
    "severity": Param("int", default=1, low=1, high=5, description="1 (mild) to 5"),
    "rate": Param(
        "number", default=None, nullable=True, low=0, high=1, description="default: by severity"
    ),
    "column": Param(
        "str", default=None, nullable=True, description="the text column (default: every one)"
    ),
}


def _neighbours() -> dict[str, str]:
    """Each letter's neighbours on a QWERTY keyboard (same row and the rows beside it)."""
    place = {c: (r, i) for r, row in enumerate(KEYBOARD_ROWS) for i, c in enumerate(row)}
    return {
        letter: "".join(
            other
            for other, (r2, i2) in place.items()
            if other != letter and abs(r2 - r) <= 1 and abs(i2 - i) <= 1
        )
        for letter, (r, i) in place.items()
    }


NEIGHBOURS = _neighbours()


def pick(rng: random.Random, options: Sequence[str]) -> str:
    """One of ``options`` (letters of a string, or words), evenly."""
    return options[int(rng.random() * len(options))]


def swap_letters(word: str, at: int) -> str:
    """Letters ``at`` and ``at + 1`` swapped.

    Example:
        >>> swap_letters("film", 1), drop_letter("film", 1), double_letter("film", 1)
        ('flim', 'flm', 'fiilm')
    """
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def drop_letter(word: str, at: int) -> str:
    """Letter ``at`` dropped."""
    return word[:at] + word[at + 1 :]


def double_letter(word: str, at: int) -> str:
    """Letter ``at`` doubled."""
    return word[: at + 1] + word[at] + word[at + 1 :]


def neighbour_letter(word: str, at: int, draw: float) -> str:
    """Letter ``at`` typed as one of its keyboard neighbours, picked by ``draw`` in [0, 1)
    (case kept).

    Example:
        >>> neighbour_letter("Film", 0, 0.0)
        'Eilm'
    """
    char = word[at]
    options = NEIGHBOURS.get(char.lower())
    if not options:
        return word
    typed = options[int(draw * len(options))]
    return word[:at] + (typed.upper() if char.isupper() else typed) + word[at + 1 :]


# the edits character_noise makes, in the order its draw picks them
LETTER_EDITS = (swap_letters, drop_letter, double_letter)


def perturbed(
    texts: np.ndarray,
    example_keys: np.ndarray,
    seed: int,
    change: Callable[[str, random.Random], str],
) -> np.ndarray:
    """``change`` applied to every text with its example's own generator."""
    out = np.empty(len(texts), dtype=object)
    salt = (int(seed) * MIX) & 0xFFFFFFFFFFFFFFFF
    for index, (text, key) in enumerate(zip(texts, example_keys, strict=True)):
        out[index] = change(str(text), random.Random(int(key) ^ salt))
    return out


def _rate(severity: int, rate: float | None) -> float:
    return RATES[severity - 1] if rate is None else float(rate)


def text_shift(name: str, description: str) -> Callable[[Callable[..., str]], Any]:
    """Register ``change(text, rng, rate)``, applied to every text of a column, as the text
    shift ``name`` (the module keeps ``change`` itself)."""

    def decorate(change: Callable[[str, random.Random, float], str]) -> Any:
        def shift(
            texts: np.ndarray,
            *,
            example_keys: np.ndarray,
            seed: int,
            severity: int = 1,
            rate: float | None = None,
            column: str | None = None,
        ) -> np.ndarray:
            chosen = _rate(severity, rate)
            return perturbed(texts, example_keys, seed, lambda t, rng: change(t, rng, chosen))

        shift.__doc__ = change.__doc__
        shift.__name__ = name
        register_shift(
            name,
            description=description,
            params=PARAMS,
            severity="severity",
            column_kinds=TEXT,
            row_local=True,
        )(shift)
        return change  # the module keeps the plain perturbation of one text

    return decorate


@text_shift("keyboard_typos", "letters replaced by a QWERTY neighbour, severity 1-5")
def keyboard_typos(text: str, rng: random.Random, rate: float) -> str:
    """Each letter, with probability ``rate``, becomes one of its keyboard neighbours
    (case kept).

    Example:
        >>> keyboard_typos("hello", random.Random(0), 1.0) != "hello"
        True
    """
    letters = []
    for char in text:
        lower = char.lower()
        if lower in NEIGHBOURS and rng.random() < rate:
            typed = pick(rng, NEIGHBOURS[lower])
            char = typed.upper() if char.isupper() else typed
        letters.append(char)
    return "".join(letters)


@text_shift("character_noise", "a letter swapped, dropped or doubled per word, severity 1-5")
def character_noise(text: str, rng: random.Random, rate: float) -> str:
    """Each word of two or more letters, with probability ``rate``, gets one edit: two
    neighbouring letters swapped, a letter dropped, or a letter doubled.

    Example:
        >>> character_noise("reading", random.Random(1), 1.0) != "reading"
        True
    """

    def edit(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        at = int(rng.random() * (len(word) - 1))
        return LETTER_EDITS[int(rng.random() * 3)](word, at)

    return WORD.sub(edit, text)


@text_shift("casing", "words in random upper, lower or title case, severity 1-5")
def casing(text: str, rng: random.Random, rate: float) -> str:
    """Each word, with probability ``rate``, is written in upper, lower or title case.

    Example:
        >>> casing("a good film", random.Random(2), 1.0).lower()
        'a good film'
    """
    styles = (str.upper, str.lower, str.title)

    def restyle(match: re.Match[str]) -> str:
        word = match.group(0)
        return styles[int(rng.random() * 3)](word) if rng.random() < rate else word

    return re.sub(r"\S+", restyle, text)


@text_shift("whitespace", "spaces dropped or doubled, severity 1-5")
def whitespace(text: str, rng: random.Random, rate: float) -> str:
    """Each space, with probability ``rate``, is dropped (joining two words) or doubled.

    Example:
        >>> whitespace("a b c", random.Random(3), 0.0)
        'a b c'
    """

    def respace(match: re.Match[str]) -> str:
        if rng.random() >= rate:
            return match.group(0)
        return "" if rng.random() < 0.5 else "  "

    return re.sub(" ", respace, text)


PUNCTUATION = ".,!?;:"


@text_shift("punctuation", "punctuation dropped, doubled or swapped, stray marks added")
def punctuation(text: str, rng: random.Random, rate: float) -> str:
    """Each punctuation mark, with probability ``rate``, is dropped, doubled or replaced by
    another; each space, with probability ``rate / 4``, gets a stray mark before it.

    Example:
        >>> punctuation("Great, really great!", random.Random(0), 0.0)
        'Great, really great!'
    """

    def remark(match: re.Match[str]) -> str:
        mark = match.group(0)
        if mark == " ":
            return pick(rng, PUNCTUATION) + " " if rng.random() < rate / 4 else " "
        if rng.random() >= rate:
            return mark
        kind = int(rng.random() * 3)
        return ("", mark + mark, pick(rng, PUNCTUATION.replace(mark, "")))[kind]

    return re.sub(f"[{re.escape(PUNCTUATION)} ]", remark, text)


# the word-level shifts (contractions, synonyms, names) register on import
from assay.suites import word_shifts as _word_shifts  # noqa: E402, F401
