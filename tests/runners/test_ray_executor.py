"""The Ray executor (issue 16, items 1-2): on a private local Ray instance a suite's report
equals the local executor's number for number (shifted and attacked sets made on the
workers, predictions through the shared cache), a rerun is served from that cache, and the
private instance listens on loopback addresses only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assay.reports.schema import Report
from assay.runners.run import run_suite
from assay.suites.loading import load_suite
from tests.demo_copies import portable_demo

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

KEPT = ("digits_test", "digits_noise", "digits_contrast", "digits_fgsm", "digits_square")


def _suite(folder: Path) -> Path:
    """The digits demo (both models, a shift, a corruption ladder, a transferred white-box
    and a black-box attack), smaller: a few sets, no ood or worst case."""
    suite: dict[str, Any] = portable_demo("digits")
    suite["datasets"] = [d for d in suite["datasets"] if d["name"] in KEPT]
    for dataset in suite["datasets"]:
        if dataset["name"] == "digits_contrast":
            dataset["shift"]["params"]["severity"] = [1, 3]
        if dataset["name"] == "digits_square":
            dataset["attack"]["params"]["max_queries"] = 20
    for model in suite["models"]:
        model.pop("training_data", None)
    suite["intervals"] = {"method": "percentile", "n_resamples": 200}
    (folder / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "s.yaml"


def _numbers(report: Report) -> dict[str, Any]:
    document = json.loads(report.model_dump_json())
    parts = ("datasets", "results", "reliability", "data_checks", "contamination")
    return {part: document[part] for part in parts}


def test_the_ray_report_equals_the_local_one_and_reruns_from_the_cache(tmp_path: Path) -> None:
    loaded = load_suite(_suite(tmp_path))
    local = run_suite(loaded, cache_dir=None).report
    first = run_suite(loaded, cache_dir=tmp_path / "cache", executor="ray")
    assert _numbers(first.report) == _numbers(local)
    assert all(not c.cached for c in first.report.cells)
    again = run_suite(loaded, cache_dir=tmp_path / "cache", executor="ray").report
    assert all(c.cached for c in again.cells)
    assert _numbers(again) == _numbers(local)
    assert not ray.is_initialized()  # the private instance stopped with the run


def test_the_private_instance_listens_on_loopback_only() -> None:
    import psutil  # Ray ships it

    from assay.runners.ray_executor import RayExecutor

    executor = RayExecutor(num_cpus=1)
    executor._connect()
    try:
        ours = {p.pid for p in psutil.Process().children(recursive=True)}
        ours.add(psutil.Process().pid)
        listening = [
            c.laddr.ip
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in ours
        ]
        assert listening  # Ray's servers were found
        assert all(ip in ("127.0.0.1", "::1", "::ffff:127.0.0.1") for ip in listening), listening
    finally:
        executor.close()


def _first_pixels(batch: Any) -> Any:
    """A softmax over each digit's first ten pixels: a deterministic stand-in model."""
    import numpy as np

    scores = np.asarray(batch, dtype=np.float64)[:, :10]
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


def _digits_suite(folder: Path, model: dict[str, Any], **extra: Any) -> Path:
    """A suite of one python model (``object``: in this module unless it names its own)
    on scikit-learn's digits."""
    suite = {
        "name": "digits-python", "version": "1", **extra,
        "models": [{"name": "m", "type": "python", **model}],
        "datasets": [{"name": "digits", "source": {"type": "sklearn", "loader": "load_digits"},
                      "label": "target"}],
        "intervals": {"method": "none"},
    }  # fmt: skip
    if ":" not in model["object"]:
        suite["models"][0]["object"] = f"tests.runners.test_ray_executor:{model['object']}"
    (folder / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "s.yaml"


class DiesOnce:
    """Scores digits by their first ten pixels, but the first call in a fresh process with
    ``marker`` absent writes it and kills that process (a worker lost mid-cell)."""

    def __init__(self, marker: str) -> None:
        self.marker = Path(marker)

    def predict_proba(self, batch: Any) -> Any:
        import os

        if not self.marker.exists():
            self.marker.write_text("died once")
            os._exit(1)
        return _first_pixels(batch)


def test_a_worker_lost_mid_cell_is_replaced_and_the_report_unchanged(tmp_path: Path) -> None:
    marker = tmp_path / "died"
    model = {"object": "DiesOnce", "params": {"marker": str(marker)}}
    loaded = load_suite(_digits_suite(tmp_path, model, metrics=["accuracy", "nll"]))
    marker.write_text("no dying here")
    local = run_suite(loaded, cache_dir=None, shard_size=300).report
    marker.unlink()
    remote = run_suite(loaded, cache_dir=tmp_path / "cache", shard_size=300, executor="ray")
    assert marker.read_text() == "died once"  # a worker did die
    assert _numbers(remote.report) == _numbers(local)
    assert len(remote.report.cells) == 6


class Slow:
    """Scores digits by their first ten pixels, a quarter of a second per batch."""

    def predict_proba(self, batch: Any) -> Any:
        import time

        time.sleep(0.25)
        return _first_pixels(batch)


def test_a_killed_driver_resumes_from_the_cached_shards(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    _digits_suite(tmp_path, {"object": "Slow"}, metrics=["accuracy"], batch_size=30)
    cache, store = tmp_path / "cache", tmp_path / "store"
    entry = "from assay.runners.cli import main; main()"
    command = [sys.executable, "-c", entry, "run", str(tmp_path / "s.yaml"),
               "--executor", "ray", "--cache-dir", str(cache), "--store", str(store),
               "--shard-size", "60"]  # fmt: skip
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(cache.rglob("*.npy"))) < 3:
        assert driver.poll() is None, "the run ended before it was killed"
        time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    finished = len(list(cache.rglob("*.npy")))
    assert 3 <= finished < 30  # killed with most of its 30 cells still to run
    assert not store.exists() or not any(store.iterdir())  # no report, not even a partial one
    resumed = run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=cache, shard_size=60,
                        executor="ray")  # fmt: skip
    cached = sum(c.cached for c in resumed.report.cells)
    assert cached >= finished - 1  # every finished shard is reused (one may be mid-write)
    local = run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None, shard_size=60)
    assert _numbers(resumed.report) == _numbers(local.report)


def test_a_model_asking_for_more_than_the_cluster_has_is_refused(tmp_path: Path) -> None:
    from assay.errors import UserError

    model = {"name": "needs-gpu", "object": "assay.demo.models:UniformModel",
             "params": {"n_classes": 10}, "resources": {"gpus": 1}}  # fmt: skip
    loaded = load_suite(_digits_suite(tmp_path, model, metrics=["accuracy"]))
    with pytest.raises(UserError, match=r"model 'needs-gpu' asks for 1 GPUs .*resources\.gpus"):
        run_suite(loaded, cache_dir=None, executor="ray")
    assert not ray.is_initialized()


class NanModel:
    def predict_proba(self, batch: Any) -> Any:
        import numpy as np

        return np.full((len(batch), 10), np.nan)


def test_a_bad_model_output_on_a_worker_is_the_same_one_line_error(tmp_path: Path) -> None:
    from assay.errors import UserError

    loaded = load_suite(_digits_suite(tmp_path, {"object": "NanModel"}, metrics=["accuracy"]))
    with pytest.raises(UserError) as local:
        run_suite(loaded, cache_dir=None)
    with pytest.raises(UserError) as remote:
        run_suite(loaded, cache_dir=None, executor="ray")
    assert type(remote.value) is type(local.value)
    assert str(remote.value) == str(local.value) and "\n" not in str(remote.value)
    assert "models[0]" in str(remote.value)
