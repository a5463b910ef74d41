"""End to end: the demo suites run into reports whose numbers recompute independently."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from fairlearn.metrics import demographic_parity_difference as fl_dpd
from sklearn.metrics import accuracy_score

from assay.demo import demo_suite_path
from assay.errors import InvalidInputError
from assay.reports.store import ReportStore, load_report
from assay.runners.run import RunOutput, run_suite
from assay.suites.loading import load_suite
from tests.demo_copies import portable_demo
from tests.metrics.test_calibration import hand_ece

CORRUPTIONS = ("contrast", "shot_noise", "rotation")  # the demo's image corruptions, s1-s5
SHIFTED = ("digits_noise", *(f"digits_{c}_s{s}" for c in CORRUPTIONS for s in range(1, 6)))
LABELLED = {"digits_test": "in_distribution", **dict.fromkeys(SHIFTED, "shifted")}
LABELLED["digits_fgsm"] = LABELLED["digits_pgd"] = LABELLED["digits_square"] = "adversarial"
LABELLED["digits_worst_attack"] = "adversarial"  # picked from the attacks: no cells
INFERRED = len(LABELLED) - 1 + 1  # cells per model: the labelled sets but the worst case, ood


@pytest.fixture(scope="module")
def digits_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunOutput, RunOutput]:
    root = tmp_path_factory.mktemp("digits")
    loaded = load_suite(demo_suite_path("digits"))
    first = run_suite(loaded, cache_dir=root / "cache")
    second = run_suite(loaded, cache_dir=root / "cache")
    return root, first, second


def test_every_model_and_dataset_has_results(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    cells = {
        (r.model, r.dataset, r.kind)
        for r in first.report.results
        if r.kind not in ("robustness", "ood")
    }
    assert cells == {(m, d, k) for m in ("mlp", "logreg") for d, k in LABELLED.items()}
    accuracy = {
        (r.model, r.dataset): r.value for r in first.report.results if r.metric == "accuracy"
    }
    for model in ("mlp", "logreg"):
        assert accuracy[(model, "digits_test")] > 0.9
        assert accuracy[(model, "digits_fgsm")] < accuracy[(model, "digits_test")] - 0.2
        assert accuracy[(model, "digits_pgd")] <= accuracy[(model, "digits_fgsm")]  # stronger
        assert accuracy[(model, "digits_noise")] < accuracy[(model, "digits_test")]
        for corruption in CORRUPTIONS:
            assert accuracy[(model, f"digits_{corruption}_s5")] < accuracy[(model, "digits_test")]


def test_metrics_recompute_from_stored_predictions(digits_runs: tuple, tmp_path: Path) -> None:
    _, first, _ = digits_runs
    folder = ReportStore(tmp_path).write(first.report, first.predictions)
    report = load_report(folder)
    table = pq.read_table(folder / report.predictions.file).to_pandas()
    assert len(table) == report.predictions.rows == 2 * len(LABELLED) * 539 + 2 * 300
    table = table[table.dataset != "digits_inverted"]  # no labels to score
    for (model, dataset), rows in table.groupby(["model", "dataset"]):
        probs = np.stack(rows["probs"].to_numpy()).astype(np.float64)
        labels = rows["label"].to_numpy()
        assert accuracy_score(labels, probs.argmax(axis=1)) == pytest.approx(
            report.result(model, dataset, "accuracy").value, abs=1e-12
        )
        assert hand_ece(labels, probs, 15) == pytest.approx(
            report.result(model, dataset, "ece").value, abs=1e-9
        )


def test_reliability_bins_reproduce_the_ece(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    report = first.report
    assert {(r.model, r.dataset) for r in report.reliability} == {
        (m, d) for m in ("mlp", "logreg") for d in LABELLED
    }
    for record in report.reliability:
        filled = [b for b in record.bins if b.count]
        total = sum(b.count for b in filled)
        ece = sum(b.count / total * abs(b.accuracy - b.mean_confidence) for b in filled)  # type: ignore[operator]
        assert ece == pytest.approx(report.result(record.model, record.dataset, "ece").value)


def test_second_run_comes_from_cache_with_identical_metrics(digits_runs: tuple) -> None:
    _, first, second = digits_runs
    assert first.inferred_cells == 2 * INFERRED
    assert second.inferred_cells == 0
    assert all(cell.cached for cell in second.report.cells)
    as_json = [[r.model_dump_json() for r in run.report.results] for run in (first, second)]
    assert as_json[0] == as_json[1]
    assert first.report.run_id != second.report.run_id


def test_fresh_runs_are_byte_identical(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    again = run_suite(load_suite(demo_suite_path("digits")), cache_dir=None)
    assert again.inferred_cells == 2 * INFERRED
    assert [r.model_dump_json() for r in again.report.results] == [
        r.model_dump_json() for r in first.report.results
    ]


def test_robustness_results_pair_clean_and_derived_sets(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    report = first.report
    for model in ("mlp", "logreg"):
        clean = report.result(model, "digits_test", "accuracy").value
        for derived in (*SHIFTED, "digits_fgsm", "digits_pgd", "digits_worst_attack"):
            shifted = report.result(model, derived, "accuracy").value
            assert clean is not None and shifted is not None
            drop = report.result(model, derived, "accuracy_drop")
            assert drop.value == pytest.approx(clean - shifted, abs=1e-12)
            assert drop.ci_low is not None and drop.ci_low <= drop.value <= drop.ci_high
            relative = report.result(model, derived, "relative_robustness").value
            assert relative == pytest.approx(shifted / clean)
        mce = report.result(model, "digits_test", "mean_corruption_error", kind="robustness")
        error = {d: 1 - report.result(model, d, "accuracy").value for d in SHIFTED}  # type: ignore[operator]
        per_corruption = [error["digits_noise"]] + [  # gaussian_noise at one severity
            np.mean([error[f"digits_{c}_s{s}"] for s in range(1, 6)]) for c in CORRUPTIONS
        ]
        assert mce.value == pytest.approx(np.mean(per_corruption))


def test_ood_results_for_every_model(digits_runs: tuple) -> None:
    from assay.metrics import ood

    _, first, _ = digits_runs
    report = first.report
    frame = first.predictions.to_pandas()
    for model in ("mlp", "logreg"):
        rows = frame[frame.model == model]
        inside = np.stack(rows[rows.dataset == "digits_test"]["probs"].to_numpy()).max(axis=1)
        outside = np.stack(rows[rows.dataset == "digits_inverted"]["probs"].to_numpy()).max(axis=1)
        result = report.result(model, "digits_inverted", "ood_auroc_msp")
        assert result.value == pytest.approx(ood.auroc(inside, outside), abs=1e-12)
        assert result.ci_method == "delong"
        assert (rows[rows.dataset == "digits_inverted"]["label"] == -1).all()
    energy = {r.model for r in report.results if r.metric == "ood_auroc_energy"}
    assert energy == {"mlp"}  # only the torch model gives logits
    assert not [
        r for r in report.results if r.dataset == "digits_inverted" and r.metric == "accuracy"
    ]


def test_sharded_run_gives_the_same_numbers(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    sharded = run_suite(load_suite(demo_suite_path("digits")), cache_dir=None, shard_size=200)
    assert len(sharded.report.cells) == 2 * (3 * (len(LABELLED) - 1) + 2)
    # other batch boundaries may change float rounding inside torch kernels, not the numbers;
    # a black-box search follows the scores, so such rounding can turn one accept-or-reject
    # of a step, and that example's path, for a few examples of the Square set
    searched = {"digits_square", "digits_worst_attack"}
    for ours, theirs in zip(sharded.report.results, first.report.results, strict=True):
        if ours.dataset in searched and ours.model == "mlp":
            assert (ours.metric, ours.slice, ours.group) == (
                theirs.metric,
                theirs.slice,
                theirs.group,
            )
            if ours.metric not in ("median_queries", "max_queries_used"):
                assert ours.value == pytest.approx(theirs.value, abs=0.02)
            continue
        numbers = {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0}
        assert ours.model_copy(update=numbers) == theirs.model_copy(update=numbers)
        for field in numbers:
            assert getattr(ours, field) == pytest.approx(getattr(theirs, field), abs=1e-6)


def test_adversarial_ids_pair_with_clean_ids(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    frame = first.predictions.to_pandas()
    ids = {
        d: frame[(frame.model == "mlp") & (frame.dataset == d)]["example_id"].tolist()
        for d in LABELLED
    }
    assert all(ids[d] == ids["digits_test"] for d in LABELLED)


def test_adult_bias_results_match_fairlearn() -> None:
    from fairlearn.metrics import MetricFrame

    output = run_suite(load_suite(demo_suite_path("adult")), cache_dir=None)
    report = output.report
    frame = output.predictions.to_pandas()
    minimum = report.bias["min_group_size"]
    for model in ("logreg", "boosted"):
        rows = frame[(frame.model == model) & (frame.dataset == "adult_test")]
        predicted = np.stack(rows["probs"].to_numpy()).argmax(axis=1)
        for column in ("sex", "race"):
            sizes = rows[column].value_counts()
            large = rows[column].isin(sizes[sizes >= minimum].index).to_numpy()
            expected = fl_dpd(
                rows["label"][large], predicted[large], sensitive_features=rows[column][large]
            )
            result = report.result(
                model, "adult_test", "demographic_parity_difference", slice=column
            )
            assert result.value == pytest.approx(expected, abs=1e-12)
            by_group = MetricFrame(
                metrics=accuracy_score,
                y_true=rows["label"][large],
                y_pred=predicted[large],
                sensitive_features=rows[column][large],
            )
            gap = report.result(model, "adult_test", "accuracy_difference", slice=column)
            assert gap.value == pytest.approx(by_group.difference(), abs=1e-12)
            assert gap.ci_low is not None and gap.ci_low <= gap.value <= gap.ci_high
            for group in sizes[sizes < minimum].index:  # reported, not dropped
                small = report.result(model, "adult_test", "accuracy", slice=column, group=group)
                assert small.value is None and small.n == sizes[group]
                assert small.note is not None and "too small" in small.note
        band = rows["age_band"] == "50+"
        assert report.result(
            model, "adult_test", "accuracy", slice="age_band", group="50+"
        ).value == pytest.approx(accuracy_score(rows["label"][band], predicted[band.to_numpy()]))
    crossed = [r for r in report.results if r.slice == "sex & race" and r.metric == "ece"]
    assert {r.group for r in crossed} >= {"sex=Female & race=White", "sex=Male & race=Black"}


class NaNModel:
    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        out = np.full((len(batch), 2), 0.5, dtype=np.float32)
        out[len(batch) // 2, 0] = np.nan
        return out


class ReversedModel:
    """Probability columns in the reverse of the dataset's class order, named by classes_."""

    classes_ = np.array(["yes", "no"])

    def predict_proba(self, batch: pd.DataFrame) -> np.ndarray:
        p_yes = (np.asarray(batch)[:, 0] > 2).astype(np.float32) * 0.8 + 0.1
        return np.stack([p_yes, 1 - p_yes], axis=1)


def tabular_suite(folder: Path, model_object: str) -> Path:
    pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["no", "no", "yes", "yes"]}).to_csv(
        folder / "data.csv", index=False
    )
    suite = {
        "name": "t",
        "version": "1",
        "models": [{"name": "m", "type": "python", "object": model_object}],
        "datasets": [
            {"name": "d", "source": {"type": "file", "path": "data.csv"}, "label": "label"}
        ],
    }
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite))
    return folder / "suite.yaml"


def test_nan_probabilities_are_refused_naming_the_cell(tmp_path: Path) -> None:
    suite = tabular_suite(tmp_path, "tests.runners.test_run:NaNModel")
    with pytest.raises(InvalidInputError, match=r"model 'm' on dataset 'd'.*NaN"):
        run_suite(load_suite(suite), cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_model_classes_are_aligned_to_dataset_classes(tmp_path: Path) -> None:
    suite = tabular_suite(tmp_path, "tests.runners.test_run:ReversedModel")
    output = run_suite(load_suite(suite), cache_dir=None)
    assert output.report.result("m", "d", "accuracy").value == 1.0


def test_a_rerun_with_unchanged_predictions_and_settings_reuses_the_scores(
    tmp_path: Path,
) -> None:
    """The second run reads its results from the scored-results cache and reports exactly
    what the first computed; a changed scoring setting scores afresh."""
    from dataclasses import replace

    from assay.runners.cache import PredictionCache
    from assay.runners.run import SuiteRun
    from assay.runners.scored_cache import ScoredCache
    from assay.suites.loading import load_suite

    loaded = load_suite(demo_suite_path("adult"))
    cache = PredictionCache(tmp_path / "cache")
    first = SuiteRun(loaded, cache=cache).execute().report
    stored = list((tmp_path / "cache" / "scored").glob("*.json"))
    assert len(stored) == 1
    again = SuiteRun(loaded, cache=cache).execute().report
    assert again.results == first.results and again.reliability == first.reliability
    # a tampered store entry proves the rerun read it instead of scoring
    scored = ScoredCache(tmp_path / "cache")
    key = stored[0].stem
    entry = scored.get(key)
    assert entry is not None
    marked = entry.results[0].model_copy(update={"note": "from the cache"})
    scored.put(key, entry.model_copy(update={"results": [marked, *entry.results[1:]]}))
    assert SuiteRun(loaded, cache=cache).execute().report.results[0].note == "from the cache"
    changed = loaded.suite.model_copy(update={"seed": 1})
    rescored = SuiteRun(replace(loaded, suite=changed), cache=cache)
    assert rescored.execute().report.results[0].note is None
    assert len(list((tmp_path / "cache" / "scored").glob("*.json"))) == 2


def test_a_shift_runs_only_when_its_predictions_are_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shifted set's features are made on first use; a fully cached rerun never makes
    them (nor loads a model), and an error inside the shift names the dataset's key."""
    from dataclasses import replace

    from assay.errors import ConfigError
    from assay.runners.cache import PredictionCache
    from assay.runners.run import SuiteRun
    from assay.suites.loading import load_suite
    from assay.suites.shifts import SHIFTS

    calls = []
    noise = SHIFTS.get("gaussian_noise")

    def counted(*args: object, **kwargs: object) -> np.ndarray:
        calls.append(1)
        return noise.function(*args, **kwargs)

    monkeypatch.setitem(SHIFTS._entries, "gaussian_noise", replace(noise, function=counted))
    loaded = load_suite(demo_suite_path("adult"))
    cache = PredictionCache(tmp_path / "cache")
    first_run = SuiteRun(loaded, cache=cache)
    first_run.execute()
    # the set streams: each of the two models reads its one chunk, shifted as it is read
    assert len(calls) == len(loaded.suite.models) == 2
    # asked for whole, the shifted matrix is made once and kept
    released = first_run.datasets["adult_noisy"].features
    made_again = released.numeric
    assert len(calls) == 3 and made_again is released.numeric and len(calls) == 3
    cached_run = SuiteRun(loaded, cache=cache)
    cached_run.execute()
    assert len(calls) == 3  # no shift: every cell came from the cache
    # nor are the models loaded: their fingerprints are their files' hashes
    assert all("estimator" not in vars(model) for model in cached_run.models.values())

    def broken(*args: object, **kwargs: object) -> np.ndarray:
        raise ValueError("the noise generator broke")

    monkeypatch.setitem(SHIFTS._entries, "gaussian_noise", replace(noise, function=broken))
    with pytest.raises(ConfigError) as error:
        SuiteRun(loaded, cache=None).execute()
    message = str(error.value)
    assert "datasets[1]" in message and "dataset 'adult_noisy'" in message, message
    assert "the noise generator broke" in message


def test_a_fully_cached_rerun_stores_the_kept_predictions_file(tmp_path: Path) -> None:
    """The first run writes its predictions file beside its scores in the cache (while it
    scores); the store copies it, and a rerun with the same key copies the same file (same
    bytes, sealed, verified on load) instead of rebuilding the table. The table read back
    equals one built from the blocks."""
    from assay.reports.predictions import predictions_table
    from assay.reports.store import PREDICTIONS_FILE
    from assay.runners.api import run

    store, cache = tmp_path / "store", tmp_path / "cache"
    first = run("demo:adult", store=store, cache_dir=cache)
    kept = list((cache / "scored").glob("*.parquet"))
    assert len(kept) == 1 and first.folder is not None
    assert first.output.predictions_file == kept[0]
    stamp = kept[0].stat().st_mtime_ns
    again = run("demo:adult", store=store, cache_dir=cache)
    assert again.output.predictions_file == kept[0] and again.folder is not None
    assert kept[0].stat().st_mtime_ns == stamp  # reused, not rewritten
    written = (again.folder / PREDICTIONS_FILE).read_bytes()
    assert written == (first.folder / PREDICTIONS_FILE).read_bytes() == kept[0].read_bytes()
    report = load_report(again.folder, verify_predictions=True)
    assert report.predictions.rows == pq.ParquetFile(kept[0]).metadata.num_rows
    assert again.output.predictions.equals(predictions_table(again.output.blocks))
    uncached = run("demo:adult", store=store, cache_dir=None)
    assert uncached.output.predictions_file is None and uncached.folder is not None
    assert (uncached.folder / PREDICTIONS_FILE).read_bytes() == written


def test_group_columns_are_factorised_once_per_dataset_family(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two models × (a set and its shifted copies) score three group columns; each column is
    encoded once per set of rows, shared by both models and by the sets with the same rows
    (a resampled set has rows of its own), and the report is the same as when every pair
    encodes its own."""
    import assay.suites.data as data_module

    loaded = load_suite(demo_suite_path("adult"))
    reference = run_suite(loaded, cache_dir=None).report.results
    encoded: list[int] = []
    original = data_module._arrow_group_codes

    def counted(values: np.ndarray) -> object:
        encoded.append(len(values))
        return original(values)

    monkeypatch.setattr(data_module, "_arrow_group_codes", counted)
    results = run_suite(loaded, cache_dir=None).report.results
    resampled = [d for d in loaded.suite.datasets if d.shift and "_shift" in d.shift.name]
    assert len(resampled) == 2  # subpopulation and label shift
    assert len(encoded) == 3 * (1 + len(resampled))  # age_band, sex, race
    assert results == reference


def test_demo_accuracy_does_not_rise_with_severity(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    report = first.report
    for model in ("mlp", "logreg"):
        for corruption in CORRUPTIONS:
            levels = [report.result(model, "digits_test", "accuracy")] + [
                report.result(model, f"digits_{corruption}_s{s}", "accuracy") for s in range(1, 6)
            ]
            for easier, harder in itertools.pairwise(levels):
                assert harder.value <= easier.value or harder.ci_low <= easier.ci_high, (
                    model,
                    corruption,
                )
            assert levels[-1].ci_high < levels[0].ci_low  # severity 5 clearly hurts


def test_the_worst_case_is_robust_only_where_every_attack_fails(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    frame = first.predictions.to_pandas()
    for model in ("mlp", "logreg"):
        rows = frame[frame.model == model]
        correct = {
            d: np.stack(rows[rows.dataset == d]["probs"].to_numpy()).argmax(axis=1)
            == rows[rows.dataset == d]["label"].to_numpy()
            for d in ("digits_fgsm", "digits_pgd", "digits_square", "digits_worst_attack")
        }
        every = correct["digits_fgsm"] & correct["digits_pgd"] & correct["digits_square"]
        assert np.array_equal(correct["digits_worst_attack"], every)
        value = first.report.result(model, "digits_worst_attack", "accuracy").value
        assert value == pytest.approx(every.mean(), abs=1e-12)
        # each example's effort is that of the attack whose prediction it took
        probs = {d: np.stack(rows[rows.dataset == d]["probs"].to_numpy()) for d in correct}
        sizes = {d: rows[rows.dataset == d]["perturbation_size"].to_numpy() for d in correct}
        worst = "digits_worst_attack"
        taken = np.zeros(len(every), bool)
        for attack in ("digits_fgsm", "digits_pgd", "digits_square"):
            same = np.all(probs[attack] == probs[worst], axis=1)
            taken |= same & (sizes[attack] == sizes[worst])
        assert taken.all()
        clean = rows[rows.dataset == "digits_test"]
        right = np.stack(clean["probs"].to_numpy()).argmax(axis=1) == clean["label"].to_numpy()
        flipped = right & ~correct[worst]
        median = first.report.result(model, worst, "median_perturbation").value
        assert median == float(np.median(sizes[worst][flipped]))
    record = {d.name: d for d in first.report.datasets}["digits_worst_attack"]
    assert record.worst_of == ["digits_fgsm", "digits_pgd", "digits_square"]
    assert record.derived_from == "digits_test"


def test_a_worst_case_takes_only_attacked_sets_of_its_parent(tmp_path: Path) -> None:
    from assay.errors import UserError

    suite = portable_demo("digits")
    entry = next(d for d in suite["datasets"] if d["name"] == "digits_worst_attack")
    position = suite["datasets"].index(entry)
    entry["worst_of"] = ["digits_fgsm", "digits_noise"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    with pytest.raises(UserError, match=rf"datasets\[{position}\]\.worst_of\[1\].*digits_noise"):
        load_suite(tmp_path / "s.yaml")
    entry["worst_of"] = ["digits_fgsm", "digits_pgd"]
    entry["attack"] = {"name": "fgsm", "params": {"eps": 1.0}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    with pytest.raises(UserError, match="'worst_of' makes an adversarial set of others"):
        load_suite(tmp_path / "s.yaml")


def test_attacks_report_their_success_rate_over_clean_correct_examples(digits_runs: tuple) -> None:
    _, first, _ = digits_runs
    frame = first.predictions.to_pandas()
    for model in ("mlp", "logreg"):
        rows = frame[frame.model == model]

        def correct(dataset: str, rows: pd.DataFrame = rows) -> np.ndarray:
            picked = rows[rows.dataset == dataset]
            return np.stack(picked["probs"].to_numpy()).argmax(axis=1) == picked["label"].to_numpy()

        clean = correct("digits_test")
        rates = {}
        for attack in ("digits_fgsm", "digits_pgd", "digits_worst_attack"):
            result = first.report.result(model, attack, "attack_success_rate")
            expected = (clean & ~correct(attack)).sum() / clean.sum()
            assert result.value == pytest.approx(expected, abs=1e-12)
            assert result.ci_low is not None and result.ci_low <= result.value <= result.ci_high
            rates[attack] = result.value
        assert rates["digits_worst_attack"] >= max(rates["digits_fgsm"], rates["digits_pgd"])
    shifted = [r for r in first.report.results if r.metric == "attack_success_rate"]
    assert {r.kind for r in shifted} == {"adversarial"}  # not reported for shifts
