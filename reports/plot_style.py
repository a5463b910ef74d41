"""How assay draws a figure: matplotlib's object API on the Agg canvas (no pyplot, no global
state), fixed fonts and metadata so the same report gives byte-identical PNG and SVG files,
user strings drawn as plain text (never mathtext), and a palette with a marker and a line
style per series so colour is never the only signal."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINES = ("-", "--", "-.", ":")
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs everywhere
    "font.size": 9,
    "text.parse_math": False,  # a "$" in a model or slice name is text, not mathtext
    "text.usetex": False,
    "svg.hashsalt": "assay",  # SVG element ids from a fixed salt, not a random one
    "svg.fonttype": "none",  # text stays text (smaller, searchable, deterministic)
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


@dataclass(frozen=True)
class Figure:
    """One figure: a file stem, a title, alt text, what it shows (``kind``: reliability,
    severity, groups or ood, and the ``datasets`` it is about) and how to draw it; its PNG
    and SVG forms are rendered when first asked for (an HTML page needs only the PNG)."""

    stem: str
    title: str
    alt: str
    kind: str
    datasets: tuple[str, ...]
    draw: Callable[[Any], None] = field(repr=False, compare=False)
    size: tuple[float, float] = (5.0, 4.0)

    @cached_property
    def png(self) -> bytes:
        return _saved(self, "png").getvalue()  # type: ignore[return-value]

    @cached_property
    def svg(self) -> str:
        return _saved(self, "svg").getvalue()  # type: ignore[return-value]


def series_style(index: int) -> dict[str, Any]:
    """Colour, marker and line style of the ``index``-th series.

    Example:
        >>> series_style(1)["marker"]
        's'
    """
    return {
        "color": COLOURS[index % len(COLOURS)],
        "marker": MARKERS[index % len(MARKERS)],
        "linestyle": LINES[index % len(LINES)],
    }


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]  # keys are rcParams names
        yield


def render(
    stem: str,
    title: str,
    alt: str,
    draw: Callable[[Any], None],
    size: tuple[float, float],
    *,
    kind: str,
    datasets: tuple[str, ...],
) -> Figure:
    """A figure drawn by ``draw(figure)`` on a fresh matplotlib figure of ``size`` inches."""
    return Figure(stem, title, alt, kind, datasets, draw, size)


def _saved(figure: Figure, kind: str) -> io.BytesIO | io.StringIO:
    """The figure drawn and saved as PNG or SVG, without dates or software versions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MatplotlibFigure

    buffer: io.BytesIO | io.StringIO = io.BytesIO() if kind == "png" else io.StringIO()
    with _style():
        drawn = MatplotlibFigure(figsize=figure.size, layout="constrained")
        FigureCanvasAgg(drawn)
        figure.draw(drawn)
        metadata = {"Software": None} if kind == "png" else {"Date": None, "Creator": None}
        drawn.savefig(buffer, format=kind, metadata=metadata)
    return buffer
