"""Word-level text perturbations from the built-in lists of :mod:`assay.suites.lexicon`:
contractions and expansions, synonym swaps and named-entity swaps. Like the character-level
ones, each example draws from its own generator (suite seed, example id, column) and each
occurrence changes with probability ``rate`` (by default following ``severity``)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from assay.suites.lexicon import CONTRACTIONS, NAMES, SYNONYMS
from assay.suites.text_shifts import pick, text_shift

EXPANSIONS = {short: long for long, short in CONTRACTIONS.items()}
_SYNONYM_OF = {word: group for group in SYNONYMS for word in group if " " not in word}
_NAME_OF = {name: group for group in NAMES for name in group}


def _alternation(words: object) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)  # type: ignore[call-overload]
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ordered) + r")\b", re.IGNORECASE)


_LONG_FORMS = _alternation(CONTRACTIONS)
_SHORT_FORMS = _alternation(EXPANSIONS)
_SYNONYM_WORDS = _alternation(_SYNONYM_OF)
_NAME_WORDS = re.compile(r"\b(?:" + "|".join(map(re.escape, _NAME_OF)) + r")\b")


def _each_match(
    text: str,
    rng: random.Random,
    rate: float,
    pattern: re.Pattern[str],
    replacement: Callable[[str], str],
) -> str:
    """``text`` with each match of ``pattern``, with probability ``rate``, replaced."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        return replacement(found) if rng.random() < rate else found

    return pattern.sub(replace, text)


def _cased_like(original: str, replacement: str) -> str:
    """``replacement`` in the case of ``original``: all upper, capitalised, or as written."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


@text_shift("contractions", "expanded forms contracted (do not -> don't), severity 1-5")
def contractions(text: str, rng: random.Random, rate: float) -> str:
    """Each expanded form in the built-in list, with probability ``rate``, is contracted.

    Example:
        >>> contractions("I do not think it is bad", random.Random(0), 1.0)
        "I don't think it's bad"
    """

    return _each_match(
        text, rng, rate, _LONG_FORMS, lambda found: _cased_like(found, CONTRACTIONS[found.lower()])
    )


@text_shift("expansions", "contractions expanded (don't -> do not), severity 1-5")
def expansions(text: str, rng: random.Random, rate: float) -> str:
    """Each contraction in the built-in list, with probability ``rate``, is expanded.

    Example:
        >>> expansions("It's not bad, I can't complain", random.Random(0), 1.0)
        'It is not bad, I cannot complain'
    """

    return _each_match(
        text, rng, rate, _SHORT_FORMS, lambda found: _cased_like(found, EXPANSIONS[found.lower()])
    )


@text_shift("synonyms", "common words swapped for a built-in synonym, severity 1-5")
def synonyms(text: str, rng: random.Random, rate: float) -> str:
    """Each word of a built-in synonym group, with probability ``rate``, becomes another
    word of its group (case kept): "great" may become "excellent", "superb" or "terrific".

    Example:
        >>> synonyms("A great film", random.Random(0), 1.0).lower() != "a great film"
        True
    """

    def swap(found: str) -> str:
        group = _SYNONYM_OF[found.lower()]
        return _cased_like(found, pick(rng, [w for w in group if w != found.lower()]))

    return _each_match(text, rng, rate, _SYNONYM_WORDS, swap)


@text_shift("named_entities", "names of people, places and brands swapped, severity 1-5")
def named_entities(text: str, rng: random.Random, rate: float) -> str:
    """Each capitalised name of a built-in list (people, cities, countries, brands), with
    probability ``rate``, becomes another of the same list: a model's answer should not
    depend on which (CheckList's invariance test).

    Example:
        >>> named_entities("My Nokia broke in Paris", random.Random(0), 1.0)
        'My Nike broke in Madrid'
    """

    return _each_match(
        text,
        rng,
        rate,
        _NAME_WORDS,
        lambda found: pick(rng, [n for n in _NAME_OF[found] if n != found]),
    )
