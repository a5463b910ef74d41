"""Publishing (issue 12): the HTML report and the gate's HTML verdict parse as strict
HTML5, escape every user string, are byte-identical across runs and render in headless
Chromium; plots come as PNG and SVG; model cards round-trip through huggingface_hub."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import assay
from assay.reports.model_card import END, START, model_card
from assay.reports.plots import report_figures
from assay.reports.predictions import read_predictions
from assay.reports.publish import comparison_html, report_html, report_markdown
from assay.reports.schema import Report, Result
from assay.reports.store import PREDICTIONS_FILE, load_report

SCREENSHOTS = Path(os.environ.get("ASSAY_SCREENSHOTS", "test-artifacts/screenshots"))
HOSTILE = '<script>alert("x")</script> $\\alpha$ | **bold** & é'


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    store = tmp_path_factory.mktemp("store")
    result = assay.run("demo:digits", store=store, cache_dir=None)
    assert result.folder is not None
    return load_report(result.folder), result.folder


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> assay.runners.api.GateResult:  # type: ignore[name-defined]
    store, cache = tmp_path_factory.mktemp("gate-store"), tmp_path_factory.mktemp("gate-cache")
    baseline = assay.run("demo:release-v1", store=store, cache_dir=cache)
    return assay.gate("demo:release-v2", str(baseline.folder), store=store, cache_dir=cache)


def strict_parse(page: str) -> None:
    import html5lib

    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error


def test_the_report_page_is_strict_html5_with_its_numbers_and_alt_text(
    demo: tuple[Report, Path],
) -> None:
    report, folder = demo
    page = report_html(report, read_predictions(folder / PREDICTIONS_FILE))
    strict_parse(page)
    assert "<script" not in page
    # self-contained: nothing is fetched (links the suite declares are text, not resources)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page, flags=re.IGNORECASE)
    assert "https://archive.ics.uci.edu" in page  # the demo data's declared homepage
    for result in report.results:
        if result.value is not None and result.slice is None:
            assert repr(result.value) in page, result  # every number, in full
    images = page.count("<img ")
    assert images == len(report_figures(report, read_predictions(folder / PREDICTIONS_FILE)))
    assert images == page.count(' alt="') and images >= 8
    assert page.count('<th scope="col">') > 20
    assert '<html lang="en">' in page and page.count("<table>") == page.count("<caption>")
    assert report_html(report, read_predictions(folder / PREDICTIONS_FILE)) == page


def test_figures_are_byte_identical_across_runs(demo: tuple[Report, Path]) -> None:
    report, folder = demo
    predictions = read_predictions(folder / PREDICTIONS_FILE)
    first, second = report_figures(report, predictions), report_figures(report, predictions)
    assert [f.png for f in first] == [f.png for f in second]
    assert [f.svg for f in first] == [f.svg for f in second]
    assert all(f.png.startswith(b"\x89PNG") and "<svg" in f.svg for f in first)
    stems = [f.stem for f in first]
    assert len(set(stems)) == len(stems)
    assert any(s.startswith("severity-") for s in stems) and any(
        s.startswith("ood-") for s in stems
    )


def hostile_report(report: Report) -> Report:
    """The demo report with a slice group holding markup, mathtext and Markdown."""
    extra = Result(
        model="mlp",
        dataset="digits_test",
        kind="in_distribution",
        metric="accuracy",
        value=0.5,
        n=40,
        slice="site",
        group=HOSTILE,
        ci_low=0.4,
        ci_high=0.6,
    )
    small = extra.model_copy(update={"group": HOSTILE + " 2", "value": None, "n": 3})
    return report.model_copy(update={"results": [*report.results, extra, small]})


def test_user_strings_are_escaped_in_html_markdown_and_cards(demo: tuple[Report, Path]) -> None:
    report = hostile_report(demo[0])
    page = report_html(report)
    strict_parse(page)
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    markdown = report_markdown(report)
    assert "<script>" not in markdown and "\\*\\*bold\\*\\*" in markdown and "\\|" in markdown
    card = model_card(report, "mlp")
    assert "<script>" not in card.split(START)[1]


def test_the_gate_page_puts_the_verdict_and_silent_regressions_first(gate) -> None:  # type: ignore[no-untyped-def]
    outcome = gate.outcome
    page = comparison_html(outcome.comparison, passed=outcome.passed, failures=outcome.failures)
    strict_parse(page)
    first = page.index("<section")
    assert 'class="verdict-failed"' in page[first : first + 80]
    assert "Gate FAILED" in page
    silent = outcome.comparison.silent_regressions
    assert silent and page.count('<tr class="flagged">') == len(outcome.comparison.regressions)
    assert page.index("(silent)") < page.index(
        "improvement" if "improvement" in page else "</table>"
    )
    blind = outcome.comparison.underpowered
    assert (
        blind and f"{len(blind)} of {len(outcome.comparison.cells)} cells were underpowered" in page
    )
    assert page.count("(blind: n≈") == len(blind)  # each blind cell, with the size it needs
    assert (
        comparison_html(outcome.comparison, passed=outcome.passed, failures=outcome.failures)
        == page
    )


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it where apt can)")
    return found


def render_in_chromium(page: Path, shot: Path) -> tuple[str, str]:
    """(the DOM after load, what the browser logged), and a screenshot at ``shot``."""
    flags = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ]
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [*flags, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                *flags,
                f"--user-data-dir={profile}",
                "--window-size=1280,2000",
                f"--screenshot={shot}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert shot.is_file() and shot.stat().st_size > 10_000
    return dom.stdout, dom.stderr


def test_pages_render_in_headless_chromium(demo: tuple[Report, Path], gate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report, folder = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = tmp_path / "report.html"
    page.write_text(report_html(report, read_predictions(folder / PREDICTIONS_FILE)))
    dom, log = render_in_chromium(page, SCREENSHOTS / "digits-report.png")
    assert "CONSOLE" not in log and "Uncaught" not in log
    accuracy = next(r for r in report.results if r.metric == "accuracy" and r.slice is None)
    assert repr(accuracy.value) in dom and dom.count("<img ") >= 8
    outcome = gate.outcome
    verdict = tmp_path / "gate.html"
    verdict.write_text(
        comparison_html(outcome.comparison, passed=outcome.passed, failures=outcome.failures)
    )
    dom, log = render_in_chromium(verdict, SCREENSHOTS / "release-gate.png")
    assert "CONSOLE" not in log and "Gate FAILED" in dom and "(silent)" in dom


def test_the_card_round_trips_and_updates_idempotently(
    demo: tuple[Report, Path], tmp_path: Path
) -> None:
    from huggingface_hub import ModelCard

    from assay.metrics.robustness import ROBUSTNESS_MEASURES

    report, _ = demo
    existing = (
        "---\nlicense: mit\ntags:\n- digits\n---\n# My model\n\nHand-written intro.\n\n"
        "## Training\n\nTrained with care.\n"
    )
    once = model_card(report, "mlp", existing)
    twice = model_card(report, "mlp", once)
    assert once == twice
    card = ModelCard(once)
    assert card.data.license == "mit" and card.data.tags == ["digits"]
    assert "Hand-written intro." in card.text and "Trained with care." in card.text
    assert card.text.count(START) == 1 and card.text.count(END) == 1
    expected = {
        (r.dataset, r.metric): r.value
        for r in report.results
        if r.model == "mlp"
        and r.slice is None
        and r.value is not None
        and r.kind not in ("ood", "robustness")
        and r.metric not in ROBUSTNESS_MEASURES
    }
    found = {(e.dataset_name, e.metric_type): e.metric_value for e in card.data.eval_results}
    assert found == expected
    with pytest.raises(assay.errors.UserError, match="no model 'nobody'"):
        model_card(report, "nobody")


def test_the_cli_writes_html_plots_and_cards(demo: tuple[Report, Path], tmp_path: Path) -> None:
    import sys

    _, folder = demo

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assay", *args], capture_output=True, text=True, cwd=tmp_path
        )

    assert cli("report", str(folder), "-o", "r.html").returncode == 0
    strict_parse((tmp_path / "r.html").read_text())
    assert cli("plot", str(folder), "-o", "plots").returncode == 0
    pngs, svgs = (
        sorted((tmp_path / "plots").glob("*.png")),
        sorted((tmp_path / "plots").glob("*.svg")),
    )
    assert len(pngs) == len(svgs) >= 8
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# Card\n")
    assert cli("card", str(folder), "--model", "mlp", "--update", "README.md").returncode == 0
    first = (tmp_path / "README.md").read_text()
    assert cli("card", str(folder), "--model", "mlp", "--update", "README.md").returncode == 0
    assert (tmp_path / "README.md").read_text() == first
    refused = cli("card", str(folder))
    assert refused.returncode == 2 and "name one with --model" in refused.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["predictions.parquet", "report.json"]
