"""Model type ``transformers`` (issue 11, item 1) on tiny checkpoints built here: the
adapter's probabilities equal a plain forward pass and the HF pipeline; labels are matched
by name; unsafe checkpoints and unpinned Hub ids exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from assay.errors import ConfigError, UnsafeArtifactError  # noqa: E402
from assay.runners.adapters import load_model  # noqa: E402
from assay.runners.run import SuiteRun, run_suite  # noqa: E402
from assay.suites.loading import load_suite  # noqa: E402
from assay.suites.schema import PluginModelSpec  # noqa: E402
from tests.runners.tiny_transformers import WORDS, save_tiny_bert, save_tiny_vit  # noqa: E402


def mixed_texts(n: int, seed: int = 0) -> list[str]:
    """Texts of 1 to 40 words (and some unknown ones), in no order of length."""
    rng = np.random.default_rng(seed)
    vocabulary = [*WORDS, "zebra", "Quixotic"]
    return [" ".join(rng.choice(vocabulary, size=rng.integers(1, 41))) for _ in range(n)]


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("bert") / "model")


def spec(**params: Any) -> PluginModelSpec:
    return PluginModelSpec.model_validate({"name": "m", "type": "transformers", "params": params})


def plain_probabilities(
    folder: Path, texts: list[str], pairs: list[str] | None = None
) -> np.ndarray:
    """One text at a time through AutoModelForSequenceClassification: no padding at all."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    rows = []
    with torch.inference_mode():
        for i, text in enumerate(texts):
            encoded = tokenizer(
                text, pairs[i] if pairs else None, return_tensors="pt", truncation=True
            )
            rows.append(torch.softmax(model(**encoded).logits[0].double(), dim=-1).numpy())
    return np.stack(rows)


def test_probabilities_equal_a_plain_forward_pass_and_the_pipeline(bert: Path) -> None:
    texts = mixed_texts(67)
    adapter = load_model(spec(path=str(bert), text="text"), bert.parent)
    frame = pd.DataFrame({"text": texts})
    found = adapter.predict_batches(frame, 8, lambda n: None)  # type: ignore[attr-defined]
    np.testing.assert_allclose(found, plain_probabilities(bert, texts), atol=1e-5)
    pipeline = transformers.pipeline(
        "text-classification", model=str(bert), top_k=None, device="cpu"
    )
    by_label = [{d["label"]: d["score"] for d in row} for row in pipeline(texts, batch_size=32)]
    expected = np.array([[row["negative"], row["positive"]] for row in by_label])
    np.testing.assert_allclose(found, expected, atol=1e-5)
    assert adapter.classes == ("negative", "positive")
    logits = adapter.predict_logits(frame, 16)  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        np.exp(logits) / np.exp(logits).sum(1, keepdims=True), found, atol=1e-6
    )


def test_text_pairs_and_truncation_follow_the_tokenizer(bert: Path) -> None:
    first, second = mixed_texts(20, seed=1), mixed_texts(20, seed=2)
    adapter = load_model(spec(path=str(bert), text="a", text_pair="b"), bert.parent)
    found = adapter.predict_batches(pd.DataFrame({"a": first, "b": second}), 4, lambda n: None)  # type: ignore[attr-defined]
    np.testing.assert_allclose(found, plain_probabilities(bert, first, second), atol=1e-5)
    short = load_model(spec(path=str(bert), text="a", max_length=6), bert.parent)
    tokenizer = transformers.AutoTokenizer.from_pretrained(bert)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(bert).eval()
    with torch.inference_mode():
        encoded = tokenizer(first, truncation=True, max_length=6, padding=True, return_tensors="pt")
        expected = torch.softmax(model(**encoded).logits.double(), dim=-1).numpy()
    np.testing.assert_allclose(short.predict_proba(pd.DataFrame({"a": first})), expected, atol=1e-5)


def write_project(folder: Path, classes: list[str], labels: list[str], models: list[dict]) -> Path:
    texts = mixed_texts(len(labels), seed=3)
    pd.DataFrame(
        {"review_id": [f"r{i}" for i in range(len(texts))], "review": texts, "sentiment": labels}
    ).to_csv(folder / "reviews.csv", index=False)
    suite = {
        "name": "text",
        "version": "1",
        "models": models,
        "datasets": [
            {
                "name": "reviews",
                "source": {"type": "file", "path": "reviews.csv"},
                "label": "sentiment",
                "id": "review_id",
                "features": ["review"],
                "classes": classes,
            }
        ],
        "metrics": ["accuracy", "nll"],
        "intervals": {"method": "none"},
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_labels_are_matched_to_the_dataset_classes_by_name(bert: Path, tmp_path: Path) -> None:
    labels = ["positive", "negative"] * 20
    model = {"name": "m", "type": "transformers", "params": {"path": str(bert), "text": "review"}}
    output = run_suite(
        load_suite(write_project(tmp_path, ["positive", "negative"], labels, [model])),
        cache_dir=None,
    )
    frame = output.predictions.to_pandas()
    probs = np.stack(frame.probs.to_numpy())
    texts = (
        pd.read_csv(tmp_path / "reviews.csv")
        .set_index("review_id")
        .loc[frame.example_id, "review"]
        .tolist()
    )
    expected = plain_probabilities(bert, texts)[:, ::-1]  # the suite lists positive first
    np.testing.assert_allclose(probs, expected, atol=1e-5)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True)


def assert_refused(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    for fragment in fragments:
        assert fragment in error, error


def test_mismatched_labels_exit_2_naming_both(bert: Path, tmp_path: Path) -> None:
    model = {"name": "m", "type": "transformers", "params": {"path": str(bert), "text": "review"}}
    suite = write_project(tmp_path, ["good", "bad"], ["good", "bad"] * 5, [model])
    assert_refused(
        run_cli("validate", str(suite)), "models[0]", "['negative', 'positive']", "['good', 'bad']"
    )
    by_index = {**model, "params": {**model["params"], "classes_from": "dataset"}}
    suite = write_project(tmp_path, ["good", "bad"], ["good", "bad"] * 5, [by_index])
    SuiteRun(load_suite(suite), cache=None).probe()  # what validate runs: no error


def test_pickled_weights_need_trust(tmp_path: Path) -> None:
    folder = save_tiny_bert(tmp_path / "pickled", safe=False)
    assert (folder / "pytorch_model.bin").is_file() and not (folder / "model.safetensors").exists()
    model = {"name": "m", "type": "transformers", "params": {"path": "pickled", "text": "review"}}
    suite = write_project(tmp_path, ["negative", "positive"], ["negative", "positive"] * 5, [model])
    assert_refused(
        run_cli("validate", str(suite)), "models[0]", "pytorch_model.bin", "trusted: true"
    )
    with pytest.raises(UnsafeArtifactError, match="pickled weights run code"):
        load_model(spec(path="pickled", text="review"), tmp_path)
    trusted = load_model(spec(path="pickled", text="review", trusted=True), tmp_path)
    texts = mixed_texts(5)
    np.testing.assert_allclose(
        trusted.predict_proba(pd.DataFrame({"review": texts})),
        plain_probabilities(folder, texts),
        atol=1e-5,
    )


def test_checkpoint_code_needs_trust_remote_code(bert: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "remote"
    shutil.copytree(bert, folder)
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    model = {"name": "m", "type": "transformers", "params": {"path": "remote", "text": "review"}}
    suite = write_project(tmp_path, ["negative", "positive"], ["negative", "positive"] * 5, [model])
    assert_refused(
        run_cli("validate", str(suite)), "models[0]", "auto_map", "trust_remote_code: true"
    )


def test_a_hub_id_needs_a_pinned_revision_and_params_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"params\.revision: 'org/sentiment' is not a folder"):
        load_model(spec(path="org/sentiment", text="t"), tmp_path)
    with pytest.raises(ConfigError, match="name the input column"):
        load_model(spec(path="org/sentiment", revision="abc"), tmp_path)
    model = {
        "name": "m",
        "type": "transformers",
        "params": {"path": "x", "text": "review", "truncation": "yes"},
    }
    suite = write_project(tmp_path, ["negative", "positive"], ["negative", "positive"] * 5, [model])
    assert_refused(
        run_cli("validate", "--no-data", str(suite)), "models[0].params", "'truncation'", "'yes'"
    )


def test_the_fingerprint_covers_the_weights_and_settings(tmp_path: Path) -> None:
    folder = save_tiny_bert(tmp_path / "a")
    first = load_model(spec(path="a", text="t"), tmp_path).fingerprint
    assert load_model(spec(path="a", text="t", device="cpu"), tmp_path).fingerprint == first
    assert load_model(spec(path="a", text="t", max_length=8), tmp_path).fingerprint != first
    save_tiny_bert(folder, seed=1)
    assert load_model(spec(path="a", text="t"), tmp_path).fingerprint != first


def test_an_image_classifier_equals_its_processor_and_model(tmp_path: Path) -> None:
    folder = save_tiny_vit(tmp_path / "vit")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(13, 8, 8, 3)).astype(np.float32)
    adapter = load_model(spec(path="vit", image="pixels", image_shape="8,8,3"), tmp_path)
    assert adapter.input_kind == "array" and adapter.classes == ("cat", "dog", "fox")
    found = adapter.predict_batches(images.reshape(13, -1), 4, lambda n: None)  # type: ignore[attr-defined]
    processor = transformers.AutoImageProcessor.from_pretrained(folder)
    model = transformers.AutoModelForImageClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        pixel_values = processor(
            images=list(images), return_tensors="pt", input_data_format="channels_last"
        )
        expected = torch.softmax(model(**pixel_values).logits.double(), dim=-1).numpy()
    np.testing.assert_allclose(found, expected, atol=1e-5)
    gray = load_model(spec(path="vit", image="pixels", image_shape="8,8"), tmp_path)
    assert gray.predict_proba(images[..., 0].reshape(13, -1)).shape == (13, 3)
    with pytest.raises(ConfigError, match=r"params\.image_shape: an image classifier needs"):
        load_model(spec(path="vit", image="pixels"), tmp_path)
    with pytest.raises(ConfigError, match=r"each row has 193 feature values, not the 192 pixels"):
        adapter.predict_proba(np.zeros((2, 193), np.float32))


def manual_fgsm_in_embeddings(
    folder: Path, texts: list[str], labels: np.ndarray, eps: float
) -> np.ndarray:
    """FGSM on each text's token embeddings alone (no padding): the oracle."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    rows = []
    for text, label in zip(texts, labels, strict=True):
        ids = tokenizer(text, return_tensors="pt", truncation=True)["input_ids"]
        embedded = model.get_input_embeddings()(ids).detach().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(
            model(inputs_embeds=embedded).logits, torch.tensor([int(label)])
        )
        (grad,) = torch.autograd.grad(loss, embedded)
        with torch.inference_mode():
            logits = model(inputs_embeds=embedded + eps * grad.sign()).logits
        rows.append(torch.softmax(logits[0].double(), dim=-1).numpy())
    return np.stack(rows)


def test_fgsm_in_the_embedding_space_equals_a_hand_written_one(bert: Path) -> None:
    from assay.suites.attacks import ATTACKS

    texts = mixed_texts(30, seed=5)
    labels = np.random.default_rng(0).integers(0, 2, size=30)
    adapter = load_model(spec(path=str(bert), text="text"), bert.parent)
    assert adapter.attackable_in_embeddings  # type: ignore[attr-defined]

    def attack(vectors: np.ndarray, y: np.ndarray, gradient: Any) -> np.ndarray:
        return ATTACKS.get("fgsm").function(vectors, y, gradient=gradient, eps=0.05)

    found = adapter.predict_attacked_embeddings(  # type: ignore[attr-defined]
        pd.DataFrame({"text": texts}), labels, attack, 8, lambda n: None
    )
    np.testing.assert_allclose(
        found, manual_fgsm_in_embeddings(bert, texts, labels, 0.05), atol=1e-4
    )
    clean = adapter.predict_proba(pd.DataFrame({"text": texts}))
    true_class = np.arange(30), labels
    assert (found[true_class] < clean[true_class]).mean() > 0.9  # the loss goes up


def test_a_suite_attacks_a_text_model_in_its_embeddings(bert: Path, tmp_path: Path) -> None:
    labels = ["positive", "negative"] * 20
    model = {"name": "m", "type": "transformers", "params": {"path": str(bert), "text": "review"}}
    path = write_project(tmp_path, ["positive", "negative"], labels, [model])
    suite = yaml.safe_load(path.read_text())
    suite["datasets"].append(
        {
            "name": "fgsm",
            "kind": "adversarial",
            "from": "reviews",
            "attack": {"name": "fgsm", "params": {"eps": 0.5}},
        }
    )
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    output = run_suite(load_suite(path), cache_dir=None)
    frame = output.predictions.to_pandas()
    attacked = frame[frame.dataset == "fgsm"].sort_values("example_id")
    texts = (
        pd.read_csv(tmp_path / "reviews.csv")
        .set_index("review_id")
        .loc[attacked.example_id, "review"]
        .tolist()
    )
    label_index = np.array(
        [["negative", "positive"].index(["positive", "negative"][i]) for i in attacked.label]
    )
    expected = manual_fgsm_in_embeddings(bert, texts, label_index, 0.5)[:, ::-1]  # suite order
    np.testing.assert_allclose(np.stack(attacked.probs.to_numpy()), expected, atol=1e-4)
    drops = [
        r for r in output.report.results if r.metric == "accuracy_drop" and r.dataset == "fgsm"
    ]
    assert len(drops) == 1
    suite["models"].append({**model, "name": "other"})
    suite["datasets"][-1]["attack"]["surrogate"] = "m"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    assert_refused(
        run_cli("validate", "--no-data", str(path)), "surrogate must name a torch model", "'m'"
    )


def test_a_hub_id_at_a_pinned_revision_loads_from_the_hub_cache(bert: Path) -> None:
    """The Hub path is real: with HF_HUB_OFFLINE=1 (conftest) a model id and commit resolve
    from the local Hub cache, laid out as huggingface_hub lays it out after a download."""
    import shutil

    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = Path(constants.HF_HUB_CACHE) / "models--assay-tests--tiny-sentiment"
    shutil.copytree(bert, repo / "snapshots" / commit, dirs_exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "v1").write_text(commit)
    texts = mixed_texts(9)
    by_commit = load_model(
        spec(path="assay-tests/tiny-sentiment", revision=commit, text="t"), bert.parent
    )
    by_tag = load_model(
        spec(path="assay-tests/tiny-sentiment", revision="v1", text="t"), bert.parent
    )
    expected = plain_probabilities(bert, texts)
    for adapter in (by_commit, by_tag):
        np.testing.assert_allclose(
            adapter.predict_proba(pd.DataFrame({"t": texts})), expected, atol=1e-5
        )
        assert adapter.classes == ("negative", "positive")
    assert by_commit.fingerprint == by_tag.fingerprint  # the same commit: the same model
    with pytest.raises(
        ConfigError, match=r"params\.path: cannot fetch config.json of 'assay-tests/absent'"
    ):
        load_model(spec(path="assay-tests/absent", revision=commit, text="t"), bert.parent)


def test_a_lower_precision_dtype_stays_close_to_float32(bert: Path) -> None:
    texts = mixed_texts(16, seed=7)
    frame = pd.DataFrame({"t": texts})
    full = load_model(spec(path=str(bert), text="t"), bert.parent).predict_proba(frame)
    half = load_model(spec(path=str(bert), text="t", dtype="bfloat16"), bert.parent)
    assert half.model.dtype == torch.bfloat16  # type: ignore[attr-defined]
    found = half.predict_proba(frame)
    assert found.dtype == np.float32 and np.abs(found - full).max() < 0.02


def test_an_image_suite_runs_clean_and_shifted_images(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    save_tiny_vit(tmp_path / "vit")
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(30, 8 * 8 * 3)).astype(np.float32)
    table = pa.table(
        {
            "image_id": [f"i{k}" for k in range(30)],
            "pixels": pa.array(list(pixels), pa.list_(pa.float32())),
            "animal": rng.choice(["cat", "dog", "fox"], size=30),
        }
    )
    pq.write_table(table, tmp_path / "images.parquet")
    suite = {
        "name": "images",
        "version": "1",
        "models": [
            {
                "name": "vit",
                "type": "transformers",
                "params": {"path": "vit", "image": "pixels", "image_shape": "8,8,3"},
            }
        ],
        "datasets": [
            {
                "name": "clean",
                "source": {"type": "file", "path": "images.parquet"},
                "id": "image_id",
                "label": "animal",
            },
            {
                "name": "noisy",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "gaussian_noise", "params": {"severity": 5, "scale": "global"}},
            },
        ],
        "metrics": ["accuracy"],
        "intervals": {"method": "none"},
    }
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    output = run_suite(load_suite(tmp_path / "suite.yaml"), cache_dir=None)
    frame = output.predictions.to_pandas()
    clean = np.stack(frame[frame.dataset == "clean"].probs.to_numpy())
    noisy = np.stack(frame[frame.dataset == "noisy"].probs.to_numpy())
    adapter = load_model(spec(path="vit", image="pixels", image_shape="8,8,3"), tmp_path)
    np.testing.assert_allclose(clean, adapter.predict_proba(pixels), atol=1e-5)
    assert np.abs(noisy - clean).max() > 1e-3  # the shifted pixels reached the model
