"""Text perturbations (issue 13, item 3): seeded per example id and column, so the same
on every run and row order; ids and labels kept; more change at higher severity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from assay.suites.shifts import SHIFTS

TEXT_SHIFTS = (
    "keyboard_typos",
    "character_noise",
    "casing",
    "whitespace",
    "punctuation",
    "contractions",
    "expansions",
    "synonyms",
    "named_entities",
)
SENTENCES = np.array(
    [
        f"the battery life of this phone {i} is really great, and it is not cheap; I do not "
        "think Mary can't afford it. She bought a Nokia in Paris, she's happy and it's fast!"
        for i in range(200)
    ],
    dtype=object,
)
KEYS = np.arange(200, dtype=np.uint64) * np.uint64(2654435761)


def changed_fraction(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([x != y for x, y in zip(a, b, strict=True)]))


@pytest.mark.parametrize("name", TEXT_SHIFTS)
def test_seeded_per_example_and_graded_by_severity(name: str) -> None:
    shift = SHIFTS.get(name).function
    first = shift(SENTENCES, example_keys=KEYS, seed=0, severity=3)
    assert list(first) == list(shift(SENTENCES, example_keys=KEYS, seed=0, severity=3))
    order = np.random.default_rng(0).permutation(200)
    shuffled = shift(SENTENCES[order], example_keys=KEYS[order], seed=0, severity=3)
    assert list(shuffled) == list(first[order])  # row order and batching do not matter
    assert list(shift(SENTENCES, example_keys=KEYS, seed=1, severity=3)) != list(first)
    assert list(shift(SENTENCES, example_keys=KEYS, seed=0, rate=0.0)) == list(SENTENCES)
    fractions = [
        np.mean(
            [
                sum(a != b for a, b in zip(x, y, strict=False)) + abs(len(x) - len(y))
                for x, y in zip(
                    SENTENCES, shift(SENTENCES, example_keys=KEYS, seed=0, severity=s), strict=True
                )
            ]
        )
        for s in range(1, 6)
    ]
    assert fractions == sorted(fractions) and fractions[-1] > fractions[0] > 0


def test_a_text_shift_in_a_suite_keeps_ids_and_pairs_with_the_clean_set(tmp_path: Path) -> None:
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    frame = pd.DataFrame(
        {
            "rid": [f"r{i}" for i in range(60)],
            "text": SENTENCES[:60],
            "n": np.arange(60.0),
            "y": ["a", "b"] * 30,
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    suite = {
        "name": "text-shift",
        "version": "1",
        "models": [
            {
                "name": "m",
                "type": "python",
                "object": "tests.suites.test_text_shifts:LengthModel",
                "input": "dataframe",
            }
        ],
        "datasets": [
            {
                "name": "clean",
                "source": {"type": "file", "path": "t.csv"},
                "id": "rid",
                "label": "y",
            },
            {
                "name": "typos",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "keyboard_typos", "params": {"severity": 5, "column": "text"}},
            },
            {
                "name": "spaces",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "whitespace", "params": {"severity": 5}},
            },
        ],
        "metrics": ["accuracy"],
        "intervals": {"method": "none"},
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    output = run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None)
    predictions = output.predictions.to_pandas()
    ids = {d: list(g.example_id) for d, g in predictions.groupby("dataset")}
    assert ids["typos"] == ids["clean"] == ids["spaces"]
    assert any(r.metric == "accuracy_drop" and r.dataset == "typos" for r in output.report.results)
    severity = {d.name: d.severity for d in output.report.datasets}
    assert severity == {"clean": None, "typos": 5, "spaces": 5}
    suite["datasets"][1]["shift"]["params"]["column"] = "n"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    from assay.errors import UserError

    with pytest.raises(UserError, match="column 'n' is not a text feature"):
        run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None)


class LengthModel:
    """Probability of class b grows with the text's length (so perturbations move it)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        share = frame["text"].str.len().to_numpy() % 7 / 7.0
        return np.column_stack([1 - share, share])


def test_contractions_and_expansions_undo_each_other() -> None:
    import random

    from assay.suites.lexicon import CONTRACTIONS
    from assay.suites.word_shifts import contractions, expansions

    for long, short in CONTRACTIONS.items():
        text = f"Well, {long} here. {long.capitalize()}!"
        contracted = contractions(text, random.Random(0), 1.0)
        assert contracted == f"Well, {short} here. {short[0].upper() + short[1:]}!"
        assert expansions(contracted, random.Random(0), 1.0) == text
    assert contractions("Do not stop", random.Random(0), 0.0) == "Do not stop"


@pytest.mark.parametrize("seed", range(20))
def test_word_swaps_stay_in_their_group_and_keep_the_case(seed: int) -> None:
    import random

    from assay.suites.lexicon import NAMES, SYNONYMS
    from assay.suites.word_shifts import named_entities, synonyms

    text = "Great food, TERRIBLE service. Ahmed flew from Oslo to Peru with his Sony."
    swapped = synonyms(text, random.Random(seed), 1.0).split()
    great = next(g for g in SYNONYMS if "great" in g)
    terrible = next(g for g in SYNONYMS if "terrible" in g)
    assert swapped[0].lower() in great and swapped[0] != "Great" and swapped[0][0].isupper()
    assert swapped[2].lower() in terrible and swapped[2].isupper() and swapped[2] != "TERRIBLE"
    renamed = named_entities(text, random.Random(seed), 1.0).rstrip(".").split()
    for position, original in ((4, "Ahmed"), (7, "Oslo"), (9, "Peru"), (12, "Sony")):
        group = next(g for g in NAMES if original in g)
        assert renamed[position] in group and renamed[position] != original
    assert renamed[:4] == text.split()[:4]  # the other words stay
