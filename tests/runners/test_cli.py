"""The CLI's exit codes and messages: 0 ok, 2 usage or input error, 3 runtime failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from assay import __version__
from assay.demo import demo_suite_path
from assay.reports.store import ReportStore, load_report
from assay.runners.cli import main
from tests.reports.test_comparison import strict_json
from tests.runners.test_run import tabular_suite


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


def test_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(monkeypatch, "--version") == 0
    assert capsys.readouterr().out.strip() == f"assay {__version__}"


def test_schema_is_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "schema") == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Suite"


def test_metrics_lists_every_metric(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.metrics.registry import METRICS

    assert run_cli(monkeypatch, "metrics") == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in METRICS)


def test_run_twice_then_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tabular_suite(tmp_path, "assay.demo.models:UniformModel")
    text = yaml.safe_load(suite.read_text())
    text["models"][0]["params"] = {"n_classes": 2}
    suite.write_text(yaml.safe_dump(text))
    store, cache = str(tmp_path / "store"), str(tmp_path / "cache")
    assert run_cli(monkeypatch, "run", str(suite), "--store", store, "--cache-dir", cache) == 0
    assert "inference ran for 1 of 1 cells" in capsys.readouterr().out
    assert run_cli(monkeypatch, "run", str(suite), "--store", store, "--cache-dir", cache) == 0
    assert "no inference: all 1 cells came from the prediction cache" in capsys.readouterr().out
    assert len(list(Path(store).iterdir())) == 2
    assert run_cli(monkeypatch, "show", "latest", "--store", store) == 0
    shown = capsys.readouterr().out
    accuracy = load_report(ReportStore(Path(store)).resolve("latest")).result("m", "d", "accuracy")
    assert (accuracy.value, accuracy.ci_low, accuracy.ci_high) == pytest.approx(
        (0.5, 0.150, 0.850), abs=5e-4
    )  # Wilson, 2 of 4
    assert f"0.5 ({accuracy.ci_low!r}–{accuracy.ci_high!r})" in shown  # in full


def test_compare_names_silent_regressions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    assert run_cli(monkeypatch, "demo", "--store", store, "--no-cache") == 0
    capsys.readouterr()
    code = run_cli(
        monkeypatch,
        "compare",
        "latest",
        "latest",
        "--store",
        store,
        "--baseline-model",
        "mlp",
        "--candidate-model",
        "logreg",
        "--output",
        str(tmp_path / "cmp"),
    )
    assert code == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0].startswith("SILENT REGRESSIONS:")
    assert "digits_noise" in shown and "regression (silent)" in shown
    ids = (tmp_path / "cmp" / "regressed_ids-digits_noise.txt").read_text().split()
    assert len(ids) > 100 and all(i.startswith("row-") for i in ids)
    text = (tmp_path / "cmp" / "comparison.json").read_text()
    cells = strict_json(text)["cells"]
    assert all(c["mde"] >= c["tolerance"] for c in cells if c["p_adjusted"] is not None)
    assert run_cli(monkeypatch, "compare", "latest", "--store", store) == 2
    planned = ["power", "demo:digits", "--baseline", "latest", "--store", store, "--target"]
    assert run_cli(monkeypatch, *planned, "0.05", "--model", "mlp") == 0
    shown = capsys.readouterr().out
    assert "what a gate against model mlp could catch" in shown and "cells blind" in shown
    assert run_cli(monkeypatch, *planned, "0.05", "--model", "nope") == 2
    assert "no result with an interval for model 'nope'" in capsys.readouterr().err
    assert (
        run_cli(
            monkeypatch,
            "compare",
            "latest",
            "latest",
            "latest",
            "--store",
            store,
            "--candidate-model",
            "mlp",
        )
        == 0
    )
    assert "trend" in capsys.readouterr().out


def test_broken_suite_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "s.yaml"
    demo = demo_suite_path("digits")
    text = demo.read_text().replace("load_digits", "load_digitz")
    for artifact in ("digits_mlp.safetensors", "digits_logreg.skops"):
        text = text.replace(artifact, str(demo.parent / artifact))
    suite.write_text(text)
    assert run_cli(monkeypatch, "validate", str(suite)) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert f"{suite}: datasets[0].source.loader" in err and "load_digitz" in err


def test_unsafe_model_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.pkl").write_bytes(b"not even a pickle")
    suite = tabular_suite(tmp_path, "assay.demo.models:UniformModel")
    text = yaml.safe_load(suite.read_text())
    text["models"] = [{"name": "m", "type": "sklearn", "path": "model.pkl"}]
    suite.write_text(yaml.safe_dump(text))
    store = tmp_path / "store"
    assert run_cli(monkeypatch, "run", str(suite), "--store", str(store), "--no-cache") == 2
    assert "trusted: true" in capsys.readouterr().err
    assert not store.exists()


def test_runtime_failure_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tabular_suite(tmp_path, "tests.runners.test_cli:CrashingModel")
    assert (
        run_cli(monkeypatch, "run", str(suite), "--store", str(tmp_path / "s"), "--no-cache") == 3
    )
    err = capsys.readouterr().err
    assert "runtime failure: RuntimeError: out of memory" in err and "Traceback" not in err


def test_unknown_command_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(monkeypatch, "frobnicate") == 2


def test_show_unknown_report_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(monkeypatch, "show", "nope", "--store", str(tmp_path)) == 2


class CrashingModel:
    def predict_proba(self, batch: object) -> object:
        raise RuntimeError("out of memory")


def test_gate_catches_the_demo_silent_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xml.etree.ElementTree as ElementTree

    store, cache = str(tmp_path / "store"), str(tmp_path / "cache")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run_cli(monkeypatch, "demo", "release-v1", "--store", store, "--cache-dir", cache) == 0
    # the baseline gated against itself passes
    assert (
        run_cli(
            monkeypatch,
            "gate",
            "demo:release-v1",
            "--baseline",
            "latest",
            "--store",
            store,
            "--cache-dir",
            cache,
        )
        == 0
    )
    baseline = sorted(Path(store).iterdir())[0].name
    capsys.readouterr()
    junit = tmp_path / "ci" / "out" / "gate.xml"  # folders that do not exist yet
    code = run_cli(
        monkeypatch,
        "gate",
        "demo:release-v2",
        "--baseline",
        baseline,
        "--store",
        store,
        "--cache-dir",
        cache,
        "--junit",
        str(junit),
        "--markdown",
        str(tmp_path / "md" / "gate.md"),
        "--json",
        str(tmp_path / "json"),
    )
    assert code == 1
    written = json.loads((tmp_path / "json" / "comparison.json").read_text())
    assert written["gate"]["passed"] is False and written["gate"]["silent_regressions"] >= 1
    assert (tmp_path / "md" / "gate.md").read_text().startswith("## assay gate: ❌ failed")
    shown = capsys.readouterr().out
    assert "SILENT REGRESSIONS" in shown and "gate FAILED" in shown
    assert "::error title=assay gate::silent regression: digits_noise" in shown
    root = ElementTree.parse(junit).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    failures = [case for case in suite if case.find("failure") is not None]
    assert int(suite.get("failures", "0")) == len(failures) >= 1
    assert any("digits_noise" in case.get("name", "") for case in failures)
    assert "assay gate: ❌ failed" in summary.read_text()
    # history shows both gate verdicts beside the runs they judged
    capsys.readouterr()
    assert run_cli(monkeypatch, "history", "digits-release", "--store", store) == 0
    history = capsys.readouterr().out
    assert "passed vs" in history
    assert "FAILED vs" in history and "silent" in history
    assert run_cli(monkeypatch, "history", "digits-releas", "--store", store) == 2
    assert "did you mean 'digits-release'" in capsys.readouterr().err


def test_gate_refuses_changed_data_unless_unpaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, cache = str(tmp_path / "store"), str(tmp_path / "cache")
    assert run_cli(monkeypatch, "demo", "release-v1", "--store", store, "--cache-dir", cache) == 0
    demo = demo_suite_path("release-v2")
    suite = yaml.safe_load(demo.read_text())
    suite["models"][0]["checkpoint"] = str(demo.parent / suite["models"][0]["checkpoint"])
    suite["datasets"][0]["limit"] = 400  # different examples: cannot be paired
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(suite))
    capsys.readouterr()
    assert (
        run_cli(
            monkeypatch,
            "gate",
            str(path),
            "--baseline",
            "latest",
            "--store",
            store,
            "--cache-dir",
            cache,
        )
        == 2
    )
    assert "differs between the reports" in capsys.readouterr().err
    suite["gate"]["unpaired"] = True
    path.write_text(yaml.safe_dump(suite))
    baseline = sorted(p.name for p in Path(store).iterdir() if p.name != "tags")[0]
    code = run_cli(
        monkeypatch,
        "gate",
        str(path),
        "--baseline",
        baseline,
        "--store",
        store,
        "--cache-dir",
        cache,
    )
    assert code in (0, 1)
    assert "unpaired bootstrap" not in capsys.readouterr().err


def test_gate_output_path_problems_exit_2_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    (tmp_path / "a-file").write_text("x")
    for option, path in (
        ("--junit", tmp_path / "a-file" / "gate.xml"),  # a file where a folder should be
        ("--junit", tmp_path),  # a folder where the file should be
        ("--json", tmp_path / "a-file"),  # a file where the folder should be
    ):
        code = run_cli(
            monkeypatch, "gate", "demo:release-v1", "--baseline", "latest",
            "--store", str(store), option, str(path),
        )  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and option in err and err.count("\n") == 1
    assert not store.exists()  # nothing ran, nothing was stored


def test_compare_names_the_models_a_report_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    assert run_cli(monkeypatch, "demo", "adult", "--store", store, "--no-cache") == 0
    capsys.readouterr()
    code = run_cli(
        monkeypatch, "compare", "latest", "latest", "--store", store,
        "--baseline-model", "mlp", "--candidate-model", "logreg",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "'mlp'" in err and "boosted, logreg" in err and "adult-demo" in err
    code = run_cli(monkeypatch, "compare", "latest:digits-demo", "latest", "--store", store)
    err = capsys.readouterr().err
    assert code == 2 and "digits-demo" in err and "adult-demo" in err  # known suites listed


def test_the_default_store_is_kept_out_of_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = tabular_suite(tmp_path, "assay.demo.models:UniformModel")
    text = yaml.safe_load(suite.read_text())
    text["models"][0]["params"] = {"n_classes": 2}
    suite.write_text(yaml.safe_dump(text))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSAY_STORE", raising=False)
    monkeypatch.delenv("ASSAY_CACHE", raising=False)
    assert run_cli(monkeypatch, "run", str(suite)) == 0
    assert (tmp_path / ".assay" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert list((tmp_path / ".assay" / "reports").iterdir())


@pytest.mark.parametrize("name", ["digits", "adult"])
def test_validate_passes_what_run_runs(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "validate", f"demo:{name}") == 0
    assert "each probed on 8 rows" in capsys.readouterr().out
