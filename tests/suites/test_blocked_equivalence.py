"""The blocked shift arithmetic gives numpy's whole-array bits (so shifted sets, and the demo
reports built on them, do not change with the block size or the core count)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.hashing import hash_ids
from assay.suites import column_spread as spread_module
from assay.suites import randomness
from assay.suites.column_spread import column_spread
from assay.suites.randomness import per_example_normal
from assay.suites.shifts import GAUSSIAN_NOISE_SCALES, gaussian_noise


def features(seed: int, n_rows: int, width: int, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 4, size=width)
    return (rng.normal(size=(n_rows, width)) * scale + scale).astype(dtype)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_rows=st.integers(1, 120),
    width=st.one_of(st.integers(1, 9), st.sampled_from([33, 257, 3072])),
    dtype=st.sampled_from([np.float32, np.float64, np.int64]),
    block=st.sampled_from([1, 3, 64, 8192]),
)
def test_column_spread_is_numpy_bit_for_bit(
    seed: int, n_rows: int, width: int, dtype: type, block: int
) -> None:
    matrix = features(seed, n_rows, width, dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spread_module, "BLOCK_ROWS", block)
        spread = column_spread(matrix)
    clean = matrix.astype(np.float64)
    np.testing.assert_array_equal(spread.std, clean.std(axis=0))
    np.testing.assert_array_equal(spread.low, clean.min(axis=0))
    np.testing.assert_array_equal(spread.high, clean.max(axis=0))


def test_column_spread_of_a_column_major_matrix() -> None:
    matrix = np.asfortranarray(features(1, 5000, 4, np.float32))
    clean = matrix.astype(np.float64)  # keeps the layout: numpy sums each column pairwise
    np.testing.assert_array_equal(column_spread(matrix).std, clean.std(axis=0))


def whole_array_noise(
    matrix: np.ndarray, keys: np.ndarray, seed: int, severity: int, scale: str, clip: bool
) -> np.ndarray:
    """The shift as first written: float64 copy, numpy's std, one block after another."""
    clean = np.asarray(matrix, dtype=np.float64)
    axis = 0 if scale == "column" else None
    step = GAUSSIAN_NOISE_SCALES[severity - 1] * clean.std(axis=axis)
    low, high = clean.min(axis=axis), clean.max(axis=axis)
    noisy = clean + step * per_example_normal(keys, seed, clean.shape[1])
    return np.clip(noisy, low, high) if clip else noisy


@pytest.mark.parametrize("scale", ["column", "global"])
@pytest.mark.parametrize("clip", [True, False])
def test_gaussian_noise_in_threaded_blocks_is_the_whole_array_result(
    scale: str, clip: bool, monkeypatch
) -> None:
    monkeypatch.setattr(randomness, "BLOCK_ROWS", 100)
    monkeypatch.setattr(spread_module, "BLOCK_ROWS", 64)
    matrix = features(2, 1_000, 6, np.float32)
    keys = hash_ids(np.arange(1_000).astype(str).astype(object))
    noisy = gaussian_noise(matrix, example_keys=keys, seed=7, severity=4, scale=scale, clip=clip)
    expected = whole_array_noise(matrix, keys, 7, 4, scale, clip)
    assert noisy.dtype == np.float32  # float32 features stay float32, rounded once
    np.testing.assert_array_equal(noisy, expected.astype(np.float32))
    as_float64 = gaussian_noise(
        matrix.astype(np.float64), example_keys=keys, seed=7, severity=4, scale=scale, clip=clip
    )
    np.testing.assert_array_equal(as_float64, expected)


def test_hash_ids_is_the_hash_of_the_ids_as_text() -> None:
    mixed = np.array(["a", 3, 2.5, "é", "", "row-1"], dtype=object)
    as_text = mixed.astype(str).astype(object)
    np.testing.assert_array_equal(hash_ids(mixed), pd.util.hash_array(as_text))
    text = np.array([f"id{i}" for i in range(1000)], dtype=object)
    np.testing.assert_array_equal(hash_ids(text), pd.util.hash_array(text))


@pytest.mark.parametrize("n_rows", [1, 6, 7, 50])
def test_feature_matrix_in_row_blocks_is_the_stacked_columns(n_rows: int) -> None:
    from assay.suites.features import _row_major

    rng = np.random.default_rng(n_rows)
    parts = [
        rng.normal(size=(n_rows, 1)),
        rng.integers(0, 9, size=(n_rows, 3)),
        rng.normal(size=(n_rows, 2)).astype(np.float32),
    ]
    expected = np.hstack(parts).astype(np.float32)
    matrix = _row_major(parts, n_rows, block=7)
    assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
    np.testing.assert_array_equal(matrix, expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["b", "a", "", "é", "Z", "a b", "10", "9", "ß", "\U0001f600"]),
        min_size=1,
        max_size=60,
    )
)
def test_group_codes_from_arrow_are_the_numpy_encoding(values: list[str]) -> None:
    import pyarrow as pa

    from assay.metrics import group_codes
    from assay.suites.data import _arrow_group_codes

    expected = group_codes(np.array(values, dtype=object))
    found = _arrow_group_codes(pa.array(values, pa.string()))
    assert found.names == expected.names
    np.testing.assert_array_equal(found.codes, expected.codes)


@pytest.mark.parametrize(
    "values",
    [
        [3, 1, None],
        [1.0, 2.5, float("nan")],
        [True, False, None],
        ["x", None, "y"],
        ["x", "y", "x"],
    ],
)
def test_group_columns_as_text_are_pandas_text(values: list[object]) -> None:
    import pyarrow as pa

    from assay.suites.data import _as_text

    column = pa.chunked_array([pa.array(values)])
    # what the group columns were before: pandas' text, then numpy's (as every consumer
    # read them), so reports keep their group names
    expected = column.to_pandas().astype(str).to_numpy().astype(str).tolist()
    assert _as_text(column).to_pylist() == expected
