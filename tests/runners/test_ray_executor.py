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
