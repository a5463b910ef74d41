"""Example ids and their versions: a set that holds several versions of one example (rows a
resampling shift drew twice, rewrites of one sentence) writes the second and later as
``id#2``, ``id#3``; each pairs with the example ``id``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

VERSION_SUFFIX = r"#\d+$"


def unversioned(ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """Each id without its ``#k`` version suffix.

    Example:
        >>> unversioned(["r0", "r0#2", "a#b#3"]).tolist()
        ['r0', 'r0', 'a#b']
    """
    stripped = pd.Series(np.asarray(ids, dtype=object)).str.replace(VERSION_SUFFIX, "", regex=True)
    return stripped.to_numpy(dtype=object)
