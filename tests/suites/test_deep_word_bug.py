"""The text attack (issue 14, item 3): DeepWordBug, through the model's scores only. It
lowers a sentiment model trained here on the shared SST-2 sample within its edit budget
(each changed word one letter edit of the text shifts' kinds away from the clean word, no
more words changed than allowed); its queries are counted and never pass the budget; the
same ids give the same texts in any order; a model whose scores never move leaves the texts
as they were; in a suite it is an adversarial set like any other, sizes in words."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.suites.attacks import ATTACKS
from assay.suites.queries import Oracle
from assay.suites.text_shifts import NEIGHBOURS
from tests.suites.sst2_model import read_sst2, sentiment_pipeline

deep_word_bug = ATTACKS.get("deep_word_bug").function


def one_letter_edit(clean: str, edited: str) -> bool:
    """Whether ``edited`` is ``clean`` with two neighbouring letters swapped, one dropped,
    one doubled or one typed as a keyboard neighbour."""
    n = len(clean)
    swaps = {clean[:i] + clean[i + 1] + clean[i] + clean[i + 2 :] for i in range(n - 1)}
    drops = {clean[:i] + clean[i + 1 :] for i in range(n)}
    doubles = {clean[: i + 1] + clean[i] + clean[i + 1 :] for i in range(n)}
    typos = {
        clean[:i] + (t.upper() if clean[i].isupper() else t) + clean[i + 1 :]
        for i in range(n)
        for t in NEIGHBOURS.get(clean[i].lower(), "")
    }
    return edited in swaps | drops | doubles | typos and edited != clean


def changed_words(clean: str, edited: str) -> list[tuple[str, str]]:
    """The runs of letters that differ (an edit changes letters only, so runs align)."""
    runs = re.compile(r"[^A-Za-z]+")
    return [(a, b) for a, b in zip(runs.split(clean), runs.split(edited), strict=True) if a != b]


@pytest.fixture(scope="module")
def sst2_dev() -> tuple[object, np.ndarray, np.ndarray]:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available here")
    dev = read_sst2("sst2_glue_dev_872.tsv")
    return sentiment_pipeline(), dev["sentence"].to_numpy(object), dev["label"].to_numpy()


def _accuracy(model: object, texts: np.ndarray, labels: np.ndarray) -> float:
    return float((model.predict(list(texts)) == labels).mean())  # type: ignore[attr-defined]


@pytest.mark.parametrize("max_words", [1, 3])
def test_it_lowers_a_sentiment_models_accuracy_within_its_edit_budget(
    sst2_dev: tuple, max_words: int
) -> None:
    model, texts, labels = sst2_dev
    asked: list[int] = []

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        asked.append(len(points))
        return np.asarray(model.predict_proba(list(points)))

    oracle = Oracle(answer, len(texts), budget=100)
    out = deep_word_bug(
        texts, labels, oracle=oracle, example_keys=np.arange(len(texts), dtype=np.uint64),
        seed=0, max_words=max_words, max_queries=100,
    )  # fmt: skip
    clean_accuracy = _accuracy(model, texts, labels)
    assert clean_accuracy > 0.75  # the model is worth attacking
    assert _accuracy(model, out, labels) < clean_accuracy - 0.15 * max_words
    for clean, edited in zip(texts, out, strict=True):
        changes = changed_words(clean, edited)
        assert len(changes) <= max_words
        assert all(one_letter_edit(a, b) for a, b in changes), changes
    assert oracle.queries.max() <= 100 and oracle.queries.min() >= 1
    assert oracle.queries.sum() == sum(asked)  # every text the model saw was counted


@given(budget=st.integers(2, 12), seed=st.integers(0, 2**31))
@settings(max_examples=25, deadline=None)
def test_the_query_budget_is_never_exceeded(budget: int, seed: int) -> None:
    texts = np.array(["a fine and moving film", "dull , flat , tired", "ok"], object)
    weights = {"fine": 2.0, "moving": 1.0, "dull": -2.0, "flat": -1.0, "tired": -1.0}

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        score = np.array([sum(weights.get(w, 0.0) for w in t.split()) for t in points])
        p = 1 / (1 + np.exp(-score))
        return np.stack([1 - p, p], axis=1)

    oracle = Oracle(answer, 3, budget=budget)
    out = deep_word_bug(
        texts, np.array([1, 0, 1]), oracle=oracle, seed=seed, max_queries=budget,
        example_keys=np.arange(3, dtype=np.uint64), max_words=2,
    )  # fmt: skip
    assert oracle.queries.max() <= budget
    for clean, edited in zip(texts, out, strict=True):
        assert len(changed_words(clean, edited)) <= 2


def test_same_ids_give_the_same_texts_in_any_order(sst2_dev: tuple) -> None:
    model, texts, labels = sst2_dev
    picked = np.arange(80)
    order = picked[::-1].copy()

    def run(rows: np.ndarray) -> np.ndarray:
        oracle = Oracle(lambda p, r: np.asarray(model.predict_proba(list(p))), len(rows), budget=60)
        return deep_word_bug(
            texts[rows], labels[rows], oracle=oracle, seed=3, max_queries=60,
            example_keys=rows.astype(np.uint64),
        )  # fmt: skip

    assert run(order).tolist() == run(picked)[order].tolist()
    assert run(picked).tolist() != texts[picked].tolist()


def test_a_model_whose_scores_never_move_leaves_the_texts_alone() -> None:
    texts = np.array(["a fine film", "the worst film ever made"], object)
    oracle = Oracle(lambda p, r: np.tile([0.3, 0.7], (len(p), 1)), 2, budget=50)
    out = deep_word_bug(
        texts, np.array([1, 1]), oracle=oracle, seed=0,
        example_keys=np.arange(2, dtype=np.uint64),
    )  # fmt: skip
    assert out.tolist() == texts.tolist()  # no edit lowered the margin, so none was kept
    # the clean text, one per word ranked, four per word tried (each, as none was kept)
    assert oracle.queries.tolist() == [1 + 2 + 4 * 2, 1 + 5 + 4 * 5]


def test_in_a_suite_it_is_an_adversarial_set_sized_in_words(
    sst2_dev: tuple, tmp_path: Path
) -> None:
    from assay.errors import UserError
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    _, texts, labels = sst2_dev
    pd.DataFrame({"id": np.arange(200), "sentence": texts[:200], "label": labels[:200]}).to_csv(
        tmp_path / "dev.csv", index=False
    )
    suite = {
        "name": "sst2-attack",
        "version": "1",
        "models": [
            {
                "name": "tfidf",
                "type": "python",
                "object": "tests.suites.sst2_model:SentimentModel",
                "input": "dataframe",
            }
        ],
        "datasets": [
            {
                "name": "dev",
                "source": {"type": "file", "path": "dev.csv"},
                "id": "id",
                "label": "label",
                "features": ["sentence"],
            },
            {
                "name": "dev_bugs",
                "kind": "adversarial",
                "from": "dev",
                "attack": {"name": "deep_word_bug", "params": {"max_words": 2, "max_queries": 80}},
            },
        ],
        "metrics": ["accuracy"],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    report = run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None).report
    clean = report.result("tfidf", "dev", "accuracy").value
    attacked = report.result("tfidf", "dev_bugs", "accuracy").value
    assert attacked < clean - 0.2
    size = report.result("tfidf", "dev_bugs", "median_perturbation")
    assert 1 <= size.value <= 2 and size.note is not None and "in words" in size.note
    assert report.result("tfidf", "dev_bugs", "max_queries_used").value <= 80
    suite["datasets"][1]["attack"]["params"]["column"] = "label"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(UserError, match="column 'label' is not a text feature"):
        run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None)
