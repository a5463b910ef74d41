"""The shipped demo data is what its SOURCE file says it is."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assay.demo import demo_suite_path
from assay.demo.train import ADULT_SAMPLE_ROWS, read_adult


def test_adult_sample_is_an_unaltered_subset_of_the_uci_test_file(shared_data: Path) -> None:
    shipped = pd.read_csv(demo_suite_path("adult").parent / "adult_sample.csv")
    original = read_adult(shared_data / "adult_uci" / "adult.test.csv", skip_first=True)
    assert len(shipped) == ADULT_SAMPLE_ROWS
    rows = shipped["person_id"].str.removeprefix("adult-test-").astype(int)
    source = original.loc[rows].reset_index(drop=True)
    for column in [c for c in shipped.columns if c in original.columns]:
        assert shipped[column].tolist() == source[column].tolist(), column


def test_sentiment_files_are_unaltered_sentences_of_the_uci_files(shared_data: Path) -> None:
    from assay.demo.train_sentiment import read_domain

    folder = shared_data / "sentiment_labelled_sentences"
    originals = pd.concat(
        [
            read_domain(folder, "amazon", "amazon_cells_labelled.txt"),
            read_domain(folder, "yelp", "yelp_labelled.txt"),
            read_domain(folder, "imdb", "imdb_labelled.txt"),
        ]
    ).set_index("review_id")
    here = demo_suite_path("sentiment").parent
    files = (
        ("sentiment_test.csv", 400),
        ("sentiment_imdb.csv", 400),
        ("sentiment_train.csv", 1600),
    )
    for file, size in files:
        shipped = pd.read_csv(here / file).set_index("review_id")
        assert len(shipped) == size and shipped.index.is_unique
        expected = originals.loc[shipped.index]
        assert shipped.sentence.tolist() == expected.sentence.tolist(), file
        assert shipped.sentiment.tolist() == expected.sentiment.tolist(), file


def test_the_shipped_training_file_is_the_split_the_model_trained_on(shared_data: Path) -> None:
    from assay.demo.train_sentiment import split

    train, _, _ = split(shared_data / "sentiment_labelled_sentences")
    here = demo_suite_path("sentiment").parent
    shipped = pd.read_csv(here / "sentiment_train.csv")
    assert shipped.review_id.tolist() == train.review_id.tolist()
    assert shipped.sentence.tolist() == train.sentence.tolist()
    assert set(shipped.review_id).isdisjoint(pd.read_csv(here / "sentiment_test.csv").review_id)


def test_the_typo_copy_is_the_test_set_with_seeded_typos() -> None:
    from assay.demo.train_sentiment import with_typos

    here = demo_suite_path("sentiment").parent
    clean = pd.read_csv(here / "sentiment_test.csv")
    typos = pd.read_csv(here / "sentiment_typos.csv")
    assert typos.review_id.tolist() == clean.review_id.tolist()
    assert typos.sentiment.tolist() == clean.sentiment.tolist()
    expected = [with_typos(s, seed=i) for i, s in enumerate(clean.sentence)]
    assert typos.sentence.tolist() == expected
    changed = sum(a != b for a, b in zip(clean.sentence, typos.sentence, strict=True))
    assert changed > 300  # most sentences carry a typo
