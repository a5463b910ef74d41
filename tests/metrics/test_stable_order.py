"""stable_order is numpy's stable argsort, whatever the codes' range and type."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from assay.metrics.resampling import stable_order

code_types = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint64])


@settings(max_examples=200, deadline=None)
@given(data=st.data(), dtype=code_types, n=st.integers(0, 300))
def test_stable_order_is_the_stable_argsort(data: st.DataObject, dtype: type, n: int) -> None:
    info = np.iinfo(dtype)
    low = data.draw(st.sampled_from([max(info.min, -1), 0, max(info.min, -(2**15) - 3)]))
    high = data.draw(st.sampled_from([3, 2**15 - 1, 2**15, min(info.max, 2**40)]))
    codes = data.draw(hnp.arrays(dtype, n, elements=st.integers(low, min(high, info.max))))
    np.testing.assert_array_equal(stable_order(codes), np.argsort(codes, kind="stable"))


def test_floats_and_large_samples() -> None:
    rng = np.random.default_rng(0)
    values = rng.integers(-5, 9, 300_000)
    np.testing.assert_array_equal(stable_order(values), np.argsort(values, kind="stable"))
    floats = rng.normal(size=1000)
    np.testing.assert_array_equal(stable_order(floats), np.argsort(floats, kind="stable"))
