"""The store writes atomically, never overwrites, and refuses reports it cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from assay.errors import InvalidInputError, UserError
from assay.hashing import hash_file
from assay.reports.predictions import PredictionBlock, predictions_table
from assay.reports.schema import SCHEMA_VERSION, Report
from assay.reports.store import REPORT_FILE, ReportStore, load_report

GOLDEN = Path(__file__).parent / "golden"


def golden_report() -> Report:
    return load_report(GOLDEN / "v1")


def table() -> pa.Table:
    block = PredictionBlock(
        "m",
        "d",
        np.array(["a", "b"], dtype=object),
        np.array([0, 1]),
        np.array([[0.9, 0.1], [0.2, 0.8]], np.float32),
        {"sex": np.array(["F", "M"])},
    )
    return predictions_table([block])


def test_golden_v1_report_still_loads() -> None:
    report = golden_report()
    assert report.schema_version == SCHEMA_VERSION == 3  # migrated on load
    result = report.result("mlp", "digits_test", "accuracy")
    assert result.value > 0.9
    assert result.ci_low is None and result.ci_method is None  # v1 had no intervals


def test_golden_v2_report_loads_with_intervals() -> None:
    report = load_report(GOLDEN / "v2")
    assert report.schema_version == 3  # migrated on load
    accuracy = report.result("mlp", "digits_test", "accuracy")
    assert accuracy.ci_method == "wilson"
    assert accuracy.ci_low is not None and accuracy.ci_low < accuracy.value < accuracy.ci_high
    assert report.reliability and report.intervals["method"] == "bca"


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    folder = store.write(golden_report(), table())
    loaded = load_report(folder)
    assert loaded.results == golden_report().results
    assert loaded.predictions.sha256 == hash_file(folder / "predictions.parquet")
    assert loaded.predictions.rows == 2
    assert next(iter(json.loads((folder / REPORT_FILE).read_text()))) == "schema_version"


def test_never_overwrites_and_sorts_by_time(tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    older = golden_report()
    newer = older.model_copy(update={"run_id": "f" * 32, "created_at": "2030-01-01T00:00:00+00:00"})
    first, second = store.write(older, table()), store.write(newer, table())
    assert store.folders() == [first, second]
    assert store.resolve("latest") == second
    assert store.resolve(older.run_id[:8]) == first
    with pytest.raises(UserError, match="never overwritten"):
        store.write(older, table())
    assert load_report(first).run_id == older.run_id


def test_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReportStore(tmp_path)
    existing = store.write(golden_report(), table())
    before = sorted(p.name for p in tmp_path.iterdir())

    def half_written(table: pa.Table, path: Path) -> None:
        path.write_bytes(b"PAR1 partial")
        raise OSError("disk full")

    monkeypatch.setattr("assay.reports.store.write_predictions", half_written)
    with pytest.raises(OSError, match="disk full"):
        store.write(golden_report().model_copy(update={"run_id": "e" * 32}), table())
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert load_report(existing).run_id == golden_report().run_id


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data = json.loads((GOLDEN / "v1" / REPORT_FILE).read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / REPORT_FILE).write_text(json.dumps(data))
    with pytest.raises(InvalidInputError, match="newer than this assay"):
        load_report(tmp_path)


def test_unknown_reference_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no report 'nope'"):
        ReportStore(tmp_path).resolve("nope")


def test_hand_edited_report_is_detected(tmp_path: Path) -> None:
    folder = ReportStore(tmp_path).write(golden_report(), table())
    assert load_report(folder, verify_predictions=True).content_sha256 is not None
    path = folder / REPORT_FILE
    path.write_text(path.read_text().replace('"seed": 0', '"seed": 1', 1))
    with pytest.raises(InvalidInputError, match="modified after it was written"):
        load_report(folder)


def test_edited_predictions_are_detected(tmp_path: Path) -> None:
    folder = ReportStore(tmp_path).write(golden_report(), table())
    with (folder / "predictions.parquet").open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(InvalidInputError, match="does not match the hash"):
        load_report(folder, verify_predictions=True)


def test_tags_resolve_and_move(tmp_path: Path) -> None:
    from assay.reports.history import history_table
    from assay.reports.store import tag_report

    store = ReportStore(tmp_path)
    first = store.write(golden_report(), table())
    second = store.write(golden_report().model_copy(update={"run_id": "d" * 32}), table())
    tag_report(store, first.name, "baseline")
    assert store.resolve("baseline") == first
    tag_report(store, "latest", "baseline")
    assert store.resolve("baseline") == second
    assert store.tags() == {"baseline": second.name}
    assert history_table(store, golden_report().suite.name).row_count == 2
    with pytest.raises(UserError, match="must be letters"):
        tag_report(store, "latest", "bad/tag")


def test_trend_lines_up_reports_oldest_first() -> None:
    from assay.reports.trend import trend_table

    older = load_report(GOLDEN / "v2")
    newer = older.model_copy(update={"run_id": "c" * 32, "created_at": "2030-01-01T00:00:00"})
    table = trend_table([newer, older], model="mlp")
    headers = [column.header for column in table.columns]
    assert headers[2].endswith(older.run_id[:8]) and headers[3].endswith("cccccccc")
    datasets = list(table.columns[0].cells)
    metrics = list(table.columns[1].cells)
    row = next(
        i
        for i, (d, m) in enumerate(zip(datasets, metrics, strict=True))
        if (d, m) == ("digits_test", "accuracy")
    )
    assert list(table.columns[2].cells)[row] == list(table.columns[3].cells)[row]
    assert list(table.columns[2].cells)[row].startswith(
        f"{older.result('mlp', 'digits_test', 'accuracy').value:.3f}"
    )


def test_golden_sealed_v2_report_verifies_and_migrates() -> None:
    report = load_report(GOLDEN / "v2-sealed")
    assert report.content_sha256 is not None
    assert report.schema_version == SCHEMA_VERSION
    mce = report.result("mlp", "digits_test", "mean_corruption_error", kind="robustness")
    assert mce.value is not None and 0 < mce.value < 1
    assert not [r for r in report.results if r.kind == "robustness" and r.metric == "mce"]


def test_sealed_v2_report_edited_by_hand_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "edited"
    folder.mkdir()
    text = (GOLDEN / "v2-sealed" / REPORT_FILE).read_text()
    (folder / REPORT_FILE).write_text(text.replace('"seed": 0', '"seed": 1', 1))
    with pytest.raises(InvalidInputError, match="modified after it was written"):
        load_report(folder)


def test_seal_covers_the_document_as_written_not_the_model(tmp_path: Path) -> None:
    """A field the schema gains later (with a default) must not break stored seals: the
    seal is over the stored document, so a reader with more model fields still verifies."""
    folder = ReportStore(tmp_path).write(golden_report(), table())
    document = json.loads((folder / REPORT_FILE).read_text())
    from assay.reports.schema import seal

    assert document["content_sha256"] == seal(document)
    reformatted = tmp_path / "reformatted"
    reformatted.mkdir()
    (reformatted / REPORT_FILE).write_text(json.dumps(document, indent=None, sort_keys=True))
    assert load_report(reformatted).content_sha256 == document["content_sha256"]


def test_concurrent_taggers_never_clash(tmp_path: Path) -> None:
    """Tags go through temporary files with unique names: writers racing on one tag each
    finish, and the tag ends whole, pointing at one of the reports."""
    from concurrent.futures import ThreadPoolExecutor

    from assay.reports.store import tag_report

    store = ReportStore(tmp_path)
    reports = [
        golden_report().model_copy(update={"run_id": f"{i:08x}" + "0" * 24}) for i in range(4)
    ]
    folders = [store.write(report, table()) for report in reports]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: tag_report(store, folders[i % 4].name, "baseline"), range(200)))
    assert store.tags()["baseline"] in {f.name for f in folders}
    assert [p.name for p in (tmp_path / "tags").iterdir()] == ["baseline"]
