"""Commands that publish a stored report: ``report`` (HTML or Markdown), ``plot`` (PNG and
SVG files) and ``card`` (a Hugging Face model card)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.atomic import atomic_path, write_text_atomically
from assay.errors import UserError
from assay.runners.cli_output import StoreOption, exit_codes, out, prepare_output


def _stored(report: str, store: Path | None) -> tuple[object, Path]:
    from assay.reports.store import ReportStore, default_store, load_report

    folder = ReportStore(store or default_store()).resolve(report)
    return load_report(folder), folder


def _predictions(folder: Path) -> object:
    from assay.reports.predictions import read_predictions
    from assay.reports.store import PREDICTIONS_FILE

    return read_predictions(folder / PREDICTIONS_FILE)


def _emit(text: str, output: Path | None, what: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    write_text_atomically(output, text)
    out.print(f"{what}: {output}")


def report(
    report: Annotated[str, typer.Argument(help="report folder, run id, tag or 'latest'")],
    store: StoreOption = None,
    format: Annotated[str, typer.Option("--format", help="html or md")] = "html",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file [default: stdout]")
    ] = None,
) -> None:
    """Write a stored report as one self-contained HTML page (tables with intervals and
    every figure inline) or as Markdown."""
    with exit_codes():
        from assay.reports.publish import report_html, report_markdown

        if format not in ("html", "md"):
            raise UserError(f"--format must be html or md, not {format!r}")
        prepare_output("--output", output, folder=False)
        loaded, folder = _stored(report, store)
        if format == "html":
            _emit(report_html(loaded, _predictions(folder)), output, "html")  # type: ignore[arg-type]
        else:
            _emit(report_markdown(loaded), output, "markdown")  # type: ignore[arg-type]


def plot(
    report: Annotated[str, typer.Argument(help="report folder, run id, tag or 'latest'")],
    store: StoreOption = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="folder [default: ./plots-<report folder>]"),
    ] = None,
) -> None:
    """Write every figure of a stored report as PNG and SVG files."""
    with exit_codes():
        from assay.reports.plots import report_figures

        loaded, folder = _stored(report, store)
        target = output or Path(f"plots-{folder.name}")  # a stored report is never written to
        prepare_output("--output", target, folder=True)
        figures = report_figures(loaded, _predictions(folder))  # type: ignore[arg-type]
        for figure in figures:
            with atomic_path(target / f"{figure.stem}.png") as staged:
                staged.write_bytes(figure.png)
            write_text_atomically(target / f"{figure.stem}.svg", figure.svg)
        out.print(f"{len(figures)} figures (PNG and SVG): {target}")


def card(
    report: Annotated[str, typer.Argument(help="report folder, run id, tag or 'latest'")],
    store: StoreOption = None,
    model: Annotated[
        str | None, typer.Option(help="the model [default: the report's only one]")
    ] = None,
    update: Annotated[
        Path | None, typer.Option(help="merge into this model card (README.md)")
    ] = None,
    task_type: Annotated[
        str | None, typer.Option(help="model-index task type, e.g. text-classification")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file [default: stdout]")
    ] = None,
) -> None:
    """Model-card sections for one model: model-index metadata (Hugging Face format) and
    results, robustness, calibration, bias and provenance; --update merges them into a
    card between marked comments, keeping everything else."""
    with exit_codes():
        from assay.reports.model_card import model_card

        loaded, _ = _stored(report, store)
        names = [m.name for m in loaded.models]  # type: ignore[attr-defined]
        if model is None and len(names) != 1:
            raise UserError(f"the report holds models {names}: name one with --model")
        chosen = model or names[0]
        existing = None
        if update is not None:
            if not update.is_file():
                raise UserError(f"--update: no model card at {str(update)!r}")
            try:
                existing = update.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UserError(f"--update: {str(update)!r} is not UTF-8 text") from None
        text = model_card(loaded, chosen, existing, task_type)  # type: ignore[arg-type]
        if update is not None:
            write_text_atomically(update, text)
            out.print(f"model card: {update}")
            return
        prepare_output("--output", output, folder=False)
        _emit(text, output, "model card")
