"""Every bad input exits 2 with one line naming the file, key or value; `validate` agrees
with `run`; nothing reaches the store."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from assay.runners.cli import main
from tests.hardening.cases import ALL_CASES
from tests.hardening.workspace import Case, make_workspace, write_suite


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workspace")
    make_workspace(folder)
    return folder


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


def test_there_are_at_least_150_cases() -> None:
    assert len(ALL_CASES) >= 150
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


def _is_progress(line: str) -> bool:
    """Stage lines (``· loading datasets``), cell progress bars and blank lines."""
    return not line.strip() or line.startswith("· ") or " × " in line


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_bad_input_exits_2_with_one_line(
    case: Case,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "suite"
    shutil.copytree(workspace, folder)
    suite = write_suite(folder, case.mutate)
    store, cache = tmp_path / "store", tmp_path / "cache"
    codes = {}
    for command in ("validate", "run"):
        extra = ["--store", str(store), "--cache-dir", str(cache)] if command == "run" else []
        codes[command] = run_cli(monkeypatch, command, str(suite), *extra)
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if not _is_progress(line)]
        assert codes[command] == 2, f"{command}: exit {codes[command]}: {captured.err}"
        assert len(lines) == 1, f"{command}: not one line: {captured.err!r}"
        assert lines[0].startswith("error: ")
        assert "Traceback" not in captured.err + captured.out
        assert case.expect in lines[0], f"{command}: {case.expect!r} not in {lines[0]!r}"
    reports = [p for p in store.iterdir() if not p.name.startswith(".")] if store.exists() else []
    assert reports == []
