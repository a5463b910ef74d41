"""DeepWordBug (Gao et al. 2018): a black-box, score-based character attack on text.

Each word is ranked by how much the true class's margin falls when it is removed (one
query per word); then, most important first, the word gets the one letter edit — of the
text shifts' rules: two letters swapped, one dropped, one doubled, one typed as a keyboard
neighbour — that lowers the margin most (one query per edit tried). An edit is kept only
if it lowers the margin; the text stops when the model is fooled, ``max_words`` words are
edited (the edit budget: one letter edit per word) or its query budget is spent. Every
query goes through the :class:`Oracle`.
"""

from __future__ import annotations

import re

import numpy as np

from assay.hashing import seed_from
from assay.params import Param
from assay.suites.attacks import register_attack
from assay.suites.queries import Oracle, margin
from assay.suites.randomness import per_example_uniform
from assay.suites.text_shifts import LETTER_EDITS, TEXT, WORD, neighbour_letter

EDITS = len(LETTER_EDITS) + 1  # the three character-noise edits and a keyboard typo
SPLIT = re.compile(f"({WORD.pattern})")  # words at the odd positions of a split


def _parts(text: str) -> list[str]:
    """The text as alternating non-word and word pieces (words at odd positions)."""
    return SPLIT.split(text)


def _edited(word: str, kind: int, draws: np.ndarray) -> str:
    """``word`` with edit ``kind`` (of :data:`EDITS`) at a letter chosen by ``draws``."""
    if kind < len(LETTER_EDITS):  # pairs of letters: the position is one before the last
        return LETTER_EDITS[kind](word, int(draws[kind] * (len(word) - 1)))
    return neighbour_letter(word, int(draws[kind] * len(word)), float(draws[EDITS]))


def _importance(
    parts: list[list[str]],
    pending: np.ndarray,
    clean_margin: np.ndarray,
    labels: np.ndarray,
    oracle: Oracle,
    max_words: int,
) -> list[np.ndarray]:
    """Per text of ``pending``, its word indices, most important first: by the margin's
    fall when the word is removed, for as many words as the budget lets be ranked while
    keeping :data:`EDITS` queries for each word it may edit; the rest follow in order."""
    texts, owners, words = [], [], []
    counts = []
    for row in pending:
        n_words = len(parts[row]) // 2
        keep = EDITS * min(max_words, n_words)
        ranked = int(max(0, min(n_words, oracle.remaining[row] - keep)))
        counts.append((n_words, ranked))
        for word in range(ranked):
            pieces = parts[row].copy()
            pieces[2 * word + 1] = ""
            texts.append("".join(pieces))
            owners.append(row)
            words.append(word)
    falls = np.zeros(0)
    if texts:
        owner = np.asarray(owners)
        falls = clean_margin[owner] - margin(
            oracle.scores(np.asarray(texts, object), owner), labels[owner]
        )
    order, start = [], 0
    for n_words, ranked in counts:
        fall = np.full(n_words, -np.inf)
        fall[:ranked] = falls[start : start + ranked]
        start += ranked
        order.append(np.argsort(-fall, kind="stable"))  # ties and unranked words in order
    return order


@register_attack(
    "deep_word_bug",
    description="DeepWordBug (black-box, score-based letter edits to the most important words)",
    needs="scores",
    budget="max_queries",
    column_kinds=TEXT,
    params={
        "max_words": Param("int", default=3, low=1, description="words edited, one letter each"),
        "max_queries": Param("int", default=200, low=2, description="per example, all counted"),
        "column": Param(
            "str", default=None, nullable=True, description="the text column (default: the one)"
        ),
        "norm": Param("str", default="words", choices=("words",)),
    },
)
def deep_word_bug(
    texts: np.ndarray,
    labels: np.ndarray,
    *,
    oracle: Oracle,
    example_keys: np.ndarray,
    seed: int,
    max_words: int = 3,
    max_queries: int = 200,
    column: str | None = None,
    norm: str = "words",
) -> np.ndarray:
    """DeepWordBug on ``texts`` (one text column): one query at the clean text (a text
    already misclassified is left alone), one per word ranked, then up to four per word
    edited. ``column`` is the runner's to pick; sizes are counted in words edited.

    Example:
        >>> from assay.suites.queries import Oracle
        >>> def answer(texts, rows):  # "good" in the text makes it positive
        ...     p = np.array([0.9 if "good" in t.split() else 0.2 for t in texts])
        ...     return np.stack([1 - p, p], axis=1)
        >>> oracle = Oracle(answer, 1, budget=20)
        >>> out = deep_word_bug(np.array(["a good film"], object), np.array([1]),
        ...                     oracle=oracle, example_keys=np.zeros(1, np.uint64), seed=0)
        >>> "good" in out[0].split(), int(oracle.queries[0]) <= 20
        (False, True)
    """
    del column, norm, max_queries  # the runner's (which column, how sizes are counted, budget)
    clean = [str(text) for text in texts]
    parts = [_parts(text) for text in clean]
    labels = np.asarray(labels)
    keys = np.asarray(example_keys, dtype=np.uint64)
    everyone = np.arange(len(clean))
    current = margin(oracle.scores(np.asarray(clean, object), everyone), labels)
    pending = everyone[(current > 0) & (oracle.remaining > 0)]
    order = dict(
        zip(pending, _importance(parts, pending, current, labels, oracle, max_words), strict=True)
    )
    edited = np.zeros(len(clean), np.int64)
    tried = np.zeros(len(clean), np.int64)
    while True:
        pending = np.asarray(
            [
                row
                for row in pending
                if current[row] > 0
                and edited[row] < max_words
                and tried[row] < len(order[row])
                and oracle.remaining[row] > 0
            ],
            np.int64,
        )
        if not len(pending):
            break
        candidates, owners = [], []
        for at, row in enumerate(pending):
            word = int(order[row][tried[row]])
            draws = per_example_uniform(
                keys[row : row + 1], seed_from(seed, "deep_word_bug", word), EDITS + 1
            )[0]
            for kind in range(int(min(EDITS, oracle.remaining[row]))):
                pieces = parts[row].copy()
                pieces[2 * word + 1] = _edited(pieces[2 * word + 1], kind, draws)
                candidates.append(pieces)
                owners.append(at)
        owner = pending[np.asarray(owners)]
        found = margin(
            oracle.scores(np.asarray(["".join(c) for c in candidates], object), owner),
            labels[owner],
        )
        best = np.full(len(pending), np.inf)
        np.minimum.at(best, np.asarray(owners), found)
        chosen = {}
        for index, at in enumerate(owners):  # the first candidate reaching each text's best
            if found[index] == best[at] and at not in chosen:
                chosen[at] = index
        for at, row in enumerate(pending):
            tried[row] += 1
            if best[at] < current[row]:
                parts[row] = candidates[chosen[at]]
                current[row] = best[at]
                edited[row] += 1
    return np.asarray(["".join(p) for p in parts], dtype=object)
