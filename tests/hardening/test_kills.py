"""SIGKILL a run anywhere (and at each write): every stored report still loads, `history`
works, the next run leaves no hidden leftovers, and its metrics equal a clean run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assay.reports.store import ReportStore, load_report
from assay.runners.cli import main
from tests.hardening.workspace import make_workspace, write_suite

REPOSITORY = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _suite(folder: Path) -> Path:
    make_workspace(folder)

    def heavier(suite: dict, folder: Path) -> None:
        suite["intervals"] = {"method": "bca", "n_resamples": 2000}
        suite["datasets"].append(
            {"name": "noisy", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_noise"}}
        )

    return write_suite(folder, heavier)


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )


def _run_args(suite: Path, store: Path, cache: Path) -> list[str]:
    return ["run", str(suite), "--store", str(store), "--cache-dir", str(cache)]


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


def _metrics(folder: Path) -> list[tuple]:
    report = load_report(folder, verify_predictions=True)
    return [
        (r.model, r.dataset, r.metric, r.slice, r.group, r.value, r.ci_low, r.ci_high)
        for r in report.results
    ]


def _hidden(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob(".*")]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple]]:
    folder = tmp_path_factory.mktemp("clean")
    suite = _suite(folder)
    store = folder / "store"
    process = _start("-m", "assay", *_run_args(suite, store, folder / "cache"))
    assert process.wait(timeout=120) == 0
    (report,) = ReportStore(store).folders()
    return suite, _metrics(report)


def _check_store_after_kills(
    store: Path, cache: Path, suite: Path, expected: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ReportStore(store).folders():
        load_report(folder, verify_predictions=True)  # every listed report is whole
    assert _cli(monkeypatch, "history", "fuzz", "--store", str(store)) in (0, 2)
    assert _cli(monkeypatch, *_run_args(suite, store, cache)) == 0
    assert _hidden(store, cache) == []
    assert _cli(monkeypatch, "history", "fuzz", "--store", str(store)) == 0
    assert _metrics(ReportStore(store).folders()[-1]) == expected


def test_random_kills_leave_a_usable_store(
    clean: tuple[Path, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite, expected = clean
    store, cache = tmp_path / "store", tmp_path / "cache"
    rng = random.Random(int(os.environ.get("ASSAY_KILL_SEED", "0")))
    for _ in range(5):
        process = _start("-m", "assay", *_run_args(suite, store, cache))
        time.sleep(rng.uniform(0.5, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    _check_store_after_kills(store, cache, suite, expected, monkeypatch)


@pytest.mark.parametrize("point", ["report-json", "store-rename", "cache-put"])
def test_kill_at_each_write(
    point: str,
    clean: tuple[Path, list[tuple]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suite, expected = clean
    store, cache = tmp_path / "store", tmp_path / "cache"
    process = _start("-m", "tests.hardening.kill_at", point, *_run_args(suite, store, cache))
    assert process.wait(timeout=120) == -signal.SIGKILL
    assert _hidden(store, cache), "the kill should have left a leftover to clean"
    assert ReportStore(store).folders() == []  # nothing half-written is listed
    _check_store_after_kills(store, cache, suite, expected, monkeypatch)


def test_kill_while_tagging_keeps_the_old_tag(
    clean: tuple[Path, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite, _ = clean
    store, cache = tmp_path / "store", tmp_path / "cache"
    assert _cli(monkeypatch, *_run_args(suite, store, cache)) == 0
    assert _cli(monkeypatch, "tag", "latest", "baseline", "--store", str(store)) == 0
    first = ReportStore(store).tags()["baseline"]
    assert _cli(monkeypatch, *_run_args(suite, store, cache)) == 0
    process = _start(
        "-m", "tests.hardening.kill_at", "tag", "tag", "latest", "baseline", "--store", str(store)
    )
    assert process.wait(timeout=120) == -signal.SIGKILL
    assert ReportStore(store).tags()["baseline"] == first  # the old tag, whole
    assert _cli(monkeypatch, "tag", "latest", "baseline", "--store", str(store)) == 0
    assert _hidden(store) == []


def test_a_torn_report_does_not_hide_the_others(
    clean: tuple[Path, list[tuple]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suite, _ = clean
    store, cache = tmp_path / "store", tmp_path / "cache"
    assert _cli(monkeypatch, *_run_args(suite, store, cache)) == 0
    torn = store / "20200101T000000000000Z-fuzz-deadbeef"
    torn.mkdir()
    (torn / "report.json").write_text('{"schema_version": 2, "run_id": "dead')
    capsys.readouterr()
    assert _cli(monkeypatch, "history", "fuzz", "--store", str(store)) == 0
    shown = capsys.readouterr().out
    assert "skipped 1 unreadable report folder(s): 20200101T000000000000Z-fuzz-deadbeef" in shown
    assert shown.count("accuracy") >= 1
