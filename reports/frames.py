"""Reports and comparisons as pandas frames, and frames as escaped HTML for notebooks."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import pandas as pd


def records_frame(records: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    """A frame of pydantic models or dataclasses, one row each, with ``columns`` in order
    (so an empty input still has them).

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Row:
        ...     a: int
        ...     b: str
        >>> records_frame([Row(1, "x")], ["a", "b"]).to_dict("records")
        [{'a': 1, 'b': 'x'}]
    """
    rows = [r.model_dump() if hasattr(r, "model_dump") else asdict(r) for r in records]
    return pd.DataFrame(rows, columns=columns)


def frame_html(frame: pd.DataFrame, title: str) -> str:
    """An HTML table of ``frame`` for Jupyter: every cell escaped (user strings stay text),
    no rows or columns elided, floats at full precision.

    Example:
        >>> "&lt;b&gt;" in frame_html(pd.DataFrame({"slice": ["<b>"]}), "t")
        True
    """
    table = frame.to_html(
        escape=True, index=False, max_rows=None, max_cols=None, float_format=repr, na_rep=""
    )
    return f"<div><strong>{html.escape(title)}</strong>{table}</div>"
