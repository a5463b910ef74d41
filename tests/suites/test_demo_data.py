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
