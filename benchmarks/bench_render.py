"""Rendering a report for publishing: the HTML page with every figure, the figures alone
(PNG + SVG) and a model card, for the shipped demo reports.

    python benchmarks/bench_render.py [--repeats 5]

Each demo is run once (no cache) to get its report; then each rendering is timed in this
process (matplotlib imported and warmed up first, as in a long-lived CLI call it is paid
once: the import is reported separately). Target (issue 12): the digits demo report, all
plots, under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import pyarrow as pa

import assay
from assay.reports.model_card import model_card
from assay.reports.plots import report_figures
from assay.reports.predictions import read_predictions
from assay.reports.publish import report_html
from assay.reports.schema import Report
from assay.reports.store import PREDICTIONS_FILE, load_report


def both_forms(report: Report, predictions: pa.Table) -> None:
    for figure in report_figures(report, predictions):
        _ = figure.png, figure.svg


def contenders_for(report: Report, predictions: pa.Table) -> dict[str, Callable[[], object]]:
    return {
        "html page, all figures": lambda: report_html(report, predictions),
        "figures (PNG + SVG)": lambda: both_forms(report, predictions),
        "model card": lambda: model_card(report, report.models[0].name),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    began = time.perf_counter()
    import matplotlib.backends.backend_agg  # noqa: F401

    print(f"matplotlib import: {time.perf_counter() - began:.2f} s")
    for demo in ("digits", "adult"):
        store = tempfile.mkdtemp(prefix="assay-bench-render-")
        folder = assay.run(f"demo:{demo}", store=store, cache_dir=None).folder
        assert folder is not None
        report = load_report(folder)
        predictions = read_predictions(folder / PREDICTIONS_FILE)
        contenders = contenders_for(report, predictions)
        for function in contenders.values():
            function()  # warm-up
        figures = len(report_figures(report, predictions))
        for name, function in contenders.items():
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                function()
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            print(f"{demo:6s} ({figures:2d} figures)  {name:24s} median {median:6.3f} s")


if __name__ == "__main__":
    main()
