"""Image corruptions through a suite (issue 13, item 1): ``image:`` says where the images are,
``severity: all`` makes one set per severity, ids pair with the clean set, values stay in the
declared range, and bad declarations fail at the dataset's key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from assay.errors import UserError
from assay.suites.data import load_datasets
from assay.suites.loading import load_suite

SIDE = 10


def write_suite(folder: Path, image: dict[str, Any] | None, **shift: Any) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, SIDE * SIDE))
    frame = pd.DataFrame(pixels, columns=[f"p{i}" for i in range(SIDE * SIDE)])
    frame.insert(0, "photo", [f"img-{i:02d}" for i in range(40)])
    frame["y"] = rng.integers(0, 2, size=40)
    frame.to_csv(folder / "images.csv", index=False)
    clean: dict[str, Any] = {
        "name": "clean",
        "source": {"type": "file", "path": "images.csv"},
        "id": "photo",
        "label": "y",
    }
    if image is not None:
        clean["image"] = image
    suite = {
        "name": "images",
        "version": "1",
        "models": [{"name": "m", "type": "python", "object": "tests.suites.test_image_sets:Mean"}],
        "datasets": [
            clean,
            {
                "name": "blur",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "image.gaussian_blur", "params": {"severity": "all"}},
            },
            {
                "name": "jpeg",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "image.jpeg_compression", "params": {"severity": [2, 4]}},
                **shift,
            },
        ],
        "metrics": ["accuracy"],
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


class Mean:
    """Class 1 when the mean pixel is above the middle."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        share = (x.mean(axis=1) / 255.0).clip(0, 1)
        return np.column_stack([1 - share, share])


IMAGE = {"layout": "HW", "shape": [SIDE, SIDE], "range": [0, 255]}


def test_severity_all_makes_one_paired_set_per_level(tmp_path: Path) -> None:
    path = write_suite(tmp_path, IMAGE)
    loaded = load_datasets(load_suite(path).suite, path)
    names = [f"blur_s{s}" for s in range(1, 6)] + ["jpeg_s2", "jpeg_s4"]
    assert list(loaded) == ["clean", *names]
    clean = loaded["clean"].features.numeric
    changes = []
    for name in names:
        data = loaded[name]
        assert data.ids.to_pylist() == loaded["clean"].ids.to_pylist()
        assert (data.labels == loaded["clean"].labels).all()
        pixels = data.features.numeric
        assert pixels.shape == clean.shape and pixels.min() >= 0 and pixels.max() <= 255
        changes.append(float(np.abs(pixels - clean).mean()))
    assert changes[:5] == sorted(changes[:5]) and changes[0] > 0
    again = load_datasets(load_suite(path).suite, path)
    assert np.array_equal(again["blur_s3"].features.numeric, loaded["blur_s3"].features.numeric)


def test_the_expanded_sets_are_reported_as_one_family(tmp_path: Path) -> None:
    from assay.runners.run import run_suite

    path = write_suite(tmp_path, IMAGE)
    report = run_suite(load_suite(path), cache_dir=None).report
    family = {d.name: (d.family, d.severity) for d in report.datasets}
    assert family["clean"] == (None, None)
    assert family["blur_s4"] == ("image.gaussian_blur", 4)
    assert family["jpeg_s2"] == ("image.jpeg_compression", 2)


def test_a_corruption_needs_the_image_declaration(tmp_path: Path) -> None:
    path = write_suite(tmp_path, None)
    with pytest.raises(UserError, match=r"declare where they are with 'image' on dataset 'clean'"):
        load_datasets(load_suite(path).suite, path)["blur_s1"].features.numeric  # noqa: B018


def test_a_shape_that_does_not_fit_the_columns_is_refused(tmp_path: Path) -> None:
    path = write_suite(tmp_path, {**IMAGE, "shape": [8, 8]})
    with pytest.raises(UserError, match=r"holds 64 values per example; the image columns hold 100"):
        load_datasets(load_suite(path).suite, path)


def test_a_value_outside_the_declared_range_is_named(tmp_path: Path) -> None:
    path = write_suite(tmp_path, {**IMAGE, "range": [0, 1]})
    loaded = load_datasets(load_suite(path).suite, path)
    outside = r"image value .* is outside the declared range \[0.0, 1.0\]"
    with pytest.raises(UserError, match=outside):
        loaded["blur_s1"].features.numeric  # noqa: B018


def test_a_severity_outside_the_declared_levels_fails_at_its_key(tmp_path: Path) -> None:
    path = write_suite(tmp_path, IMAGE)
    suite = yaml.safe_load(path.read_text())
    suite["datasets"][2]["shift"]["params"]["severity"] = [2, 7]
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(UserError, match=r"suite.yaml: datasets\[2\]\.shift\.params: .* Got 7"):
        load_suite(path)


def image_suite(folder: Path, source: dict[str, Any], **dataset: Any) -> Path:
    suite = {
        "name": "arrays",
        "version": "1",
        "models": [{"name": "m", "type": "python", "object": "tests.suites.test_image_sets:Mean"}],
        "datasets": [
            {"name": "clean", "source": source, **dataset},
            {
                "name": "dim",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "image.brightness", "params": {"severity": 2}},
            },
        ],
        "metrics": ["accuracy"],
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_images_come_from_an_npz_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 12, 9, 3), dtype=np.uint8)
    ids = np.array([f"im{i}" for i in range(30)])
    np.savez(tmp_path / "d.npz", images=images, labels=rng.integers(0, 2, 30), ids=ids)
    image = {"column": "images", "layout": "HWC", "shape": [12, 9, 3]}
    path = image_suite(
        tmp_path, {"type": "file", "path": "d.npz"}, id="ids", label="labels", image=image
    )
    loaded = load_datasets(load_suite(path).suite, path)
    assert np.array_equal(loaded["clean"].features.numeric, images.reshape(30, -1))
    assert loaded["clean"].ids.to_pylist() == ids.tolist()
    assert loaded["dim"].features.numeric.shape == (30, 12 * 9 * 3)
    np.savez(tmp_path / "d.npz", images=images, labels=np.zeros(29))
    with pytest.raises(UserError, match=r"d.npz.*same number of rows .*'images': 30"):
        load_datasets(load_suite(path).suite, path)
    np.savez(tmp_path / "d.npz", images=images, labels=np.array([object()] * 30))
    with pytest.raises(UserError, match=r"never unpickles"):
        load_datasets(load_suite(path).suite, path)


def images_dataset(n: int = 20, sizes: tuple[int, int] = (10, 10)) -> Any:
    """A ``datasets`` Image column of PNG-encoded grayscale images (a python source)."""
    import io

    import datasets
    from PIL import Image

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(n, 10, 10), dtype=np.uint8)
    encoded = []
    for i, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image).resize(sizes if i == n - 1 else (10, 10)).save(buffer, "PNG")
        encoded.append({"bytes": buffer.getvalue(), "path": None})
    features = datasets.Features({"picture": datasets.Image(), "y": datasets.Value("int64")})
    return datasets.Dataset.from_dict(
        {"picture": encoded, "y": [i % 2 for i in range(n)]}, features
    )


def test_images_come_from_a_datasets_image_feature(tmp_path: Path) -> None:
    source = {"type": "python", "callable": "tests.suites.test_image_sets:images_dataset"}
    image = {"column": "picture", "layout": "HW", "shape": [10, 10]}
    path = image_suite(tmp_path, source, label="y", image=image)
    loaded = load_datasets(load_suite(path).suite, path)
    expected = np.random.default_rng(1).integers(0, 256, size=(20, 10, 10), dtype=np.uint8)
    assert np.array_equal(loaded["clean"].features.numeric, expected.reshape(20, -1))
    assert not np.array_equal(loaded["dim"].features.numeric, loaded["clean"].features.numeric)
    source["params"] = {"sizes": [12, 10]}
    path = image_suite(tmp_path, source, label="y", image=image)
    with pytest.raises(UserError, match=r"image column 'picture': row 19 is \(10, 12\), row 0"):
        load_datasets(load_suite(path).suite, path)
