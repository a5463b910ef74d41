"""Fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The developers' shared data folder (skips where it is absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available here")
    return SHARED_DATA
