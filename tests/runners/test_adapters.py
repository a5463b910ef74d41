"""Model adapters load only safe artifacts unless the suite trusts them."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io
import torch
from safetensors.torch import save_model
from sklearn.linear_model import LogisticRegression

from assay.demo.models import digits_mlp
from assay.errors import ConfigError, UnsafeArtifactError
from assay.runners.adapters import SklearnAdapter, load_model
from assay.suites.schema import SklearnModelSpec, TorchModelSpec
from tests.runners.payloads import MarkerPayload


def torch_spec(checkpoint: Path) -> TorchModelSpec:
    return TorchModelSpec(
        type="torch",
        name="mlp",
        factory="assay.demo.models:digits_mlp",
        checkpoint=str(checkpoint),
        device="cpu",
    )


def test_torch_safetensors_and_state_dict_agree(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = digits_mlp()
    save_model(module, str(tmp_path / "w.safetensors"))
    torch.save(module.state_dict(), tmp_path / "w.pt")
    x = np.random.default_rng(0).uniform(0, 16, size=(7, 64)).astype(np.float32)
    from_safetensors = load_model(torch_spec(tmp_path / "w.safetensors"), tmp_path)
    from_state_dict = load_model(torch_spec(tmp_path / "w.pt"), tmp_path)
    expected = torch.softmax(module(torch.from_numpy(x)), dim=1).detach().numpy()
    assert np.allclose(from_safetensors.predict_proba(x), expected, atol=1e-6)
    assert np.array_equal(from_safetensors.predict_proba(x), from_state_dict.predict_proba(x))
    assert from_safetensors.fingerprint != from_state_dict.fingerprint  # different file bytes


def test_torch_pickle_payload_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    torch.save({"weights": MarkerPayload(marker)}, tmp_path / "evil.pt")
    with pytest.raises(UnsafeArtifactError, match="could run code"):
        load_model(torch_spec(tmp_path / "evil.pt"), tmp_path)
    assert not marker.exists()


def test_torch_checkpoint_that_does_not_fit(tmp_path: Path) -> None:
    save_model(torch.nn.Linear(3, 2), str(tmp_path / "w.safetensors"))
    with pytest.raises(ConfigError, match="does not fit"):
        load_model(torch_spec(tmp_path / "w.safetensors"), tmp_path)


def sklearn_spec(path: Path, **extra: object) -> SklearnModelSpec:
    return SklearnModelSpec.model_validate(
        {"type": "sklearn", "name": "lr", "path": str(path), **extra}
    )


def test_pickle_model_refused_without_trust_and_payload_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    joblib.dump(MarkerPayload(marker), tmp_path / "model.joblib")
    # the estimator is loaded on first use (a cached run never loads it)
    untrusted = load_model(sklearn_spec(tmp_path / "model.joblib"), tmp_path)
    with pytest.raises(UnsafeArtifactError, match="trusted: true"):
        untrusted.predict_proba(np.zeros((1, 3)))
    assert not marker.exists()
    # the same file with trust runs the payload: the reason trust must be explicit
    trusted = load_model(sklearn_spec(tmp_path / "model.joblib", trusted=True), tmp_path)
    with pytest.raises(ConfigError, match="no predict_proba"):
        _ = trusted.classes
    assert marker.read_text() == "payload ran"


def test_skops_model_loads_and_unknown_types_need_naming(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int))
    skops.io.dump(model, tmp_path / "lr.skops")
    adapter = load_model(sklearn_spec(tmp_path / "lr.skops"), tmp_path)
    assert isinstance(adapter, SklearnAdapter)
    assert adapter.classes == ("0", "1")
    assert np.allclose(adapter.predict_proba(x), model.predict_proba(x), atol=1e-6)
    skops.io.dump({"model": MarkerPayload(tmp_path / "m.txt")}, tmp_path / "odd.skops")
    odd = load_model(sklearn_spec(tmp_path / "odd.skops"), tmp_path)
    with pytest.raises(UnsafeArtifactError, match="MarkerPayload"):
        odd.predict_proba(x)
    assert not (tmp_path / "m.txt").exists()
