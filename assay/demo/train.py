"""Train the demo checkpoints shipped in ``assay/demo``.

    python -m assay.demo.train --adult-data ../shared/data/adult_uci

Digits models train on the rows the digits suite does not evaluate (its partition's train
side). The Adult models train on UCI Adult's training file; the shipped evaluation sample is
drawn from its test file (CC BY 4.0, see SOURCE.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
import torch
from safetensors.torch import save_model
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from assay.demo.models import digits_mlp
from assay.suites.schema import Partition
from assay.suites.sources import partition_indices

HERE = Path(__file__).parent
DIGITS_PARTITION = Partition(test_fraction=0.3, seed=0, use="train")
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
ADULT_NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_CATEGORICAL = ["workclass", "marital_status", "occupation", "relationship"]
ADULT_SAMPLE_ROWS = 3000


def train_release_pair(out: Path) -> None:
    """Two releases of the digits MLP for the gate demo: v1 trained with pixel-noise
    augmentation, v2 without. v2 holds clean accuracy and loses robustness to noise — a
    silent regression."""
    digits = load_digits()
    rows = partition_indices(len(digits.target), DIGITS_PARTITION)
    features, labels = digits.data[rows].astype(np.float32), digits.target[rows]
    releases = (("digits_mlp_v1", 1.0, 200, 1), ("digits_mlp_v2", 0.0, 300, 3))
    for name, noise_scale, steps, seed in releases:
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = digits_mlp(hidden=64)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
        for _ in range(steps):
            optimiser.zero_grad()
            batch = inputs
            if noise_scale:
                noise = torch.randn(inputs.shape, generator=generator) * noise_scale
                batch = (inputs + noise).clamp(0, 16)
            torch.nn.functional.cross_entropy(model(batch), targets).backward()
            optimiser.step()
        save_model(model, str(out / f"{name}.safetensors"))


def train_digits(out: Path) -> None:
    digits = load_digits()
    rows = partition_indices(len(digits.target), DIGITS_PARTITION)
    features, labels = digits.data[rows].astype(np.float32), digits.target[rows]
    torch.manual_seed(0)
    model = digits_mlp(hidden=64)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    inputs, targets = torch.from_numpy(features), torch.from_numpy(labels)
    for _ in range(150):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        optimiser.step()
    save_model(model, str(out / "digits_mlp.safetensors"))
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    skops.io.dump(logreg.fit(features, labels), out / "digits_logreg.skops")


def read_adult(path: Path, *, skip_first: bool) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
        skiprows=1 if skip_first else 0,
    )
    frame = frame.dropna().reset_index(drop=True)
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def adult_pipeline(classifier: object) -> Pipeline:
    encode = ColumnTransformer(
        [
            ("numeric", StandardScaler(), ADULT_NUMERIC),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ADULT_CATEGORICAL,
            ),
        ]
    )
    return Pipeline([("encode", encode), ("classify", classifier)])


def train_adult(out: Path, data_dir: Path) -> None:
    train = read_adult(data_dir / "adult.data.csv", skip_first=False)
    features = train[ADULT_NUMERIC + ADULT_CATEGORICAL]
    logreg = adult_pipeline(LogisticRegression(max_iter=2000)).fit(features, train["income"])
    skops.io.dump(logreg, out / "adult_logreg.skops")
    boosted = adult_pipeline(HistGradientBoostingClassifier(max_iter=100, random_state=0))
    skops.io.dump(boosted.fit(features, train["income"]), out / "adult_boosted.skops")
    test = read_adult(data_dir / "adult.test.csv", skip_first=True)
    sample = test.sample(n=ADULT_SAMPLE_ROWS, random_state=0).sort_index()
    sample.insert(0, "person_id", [f"adult-test-{i}" for i in sample.index])
    sample["age_band"] = pd.cut(sample["age"], [0, 29, 49, 200], labels=["17-29", "30-49", "50+"])
    keep = ["person_id", *ADULT_NUMERIC, *ADULT_CATEGORICAL, "race", "sex", "age_band", "income"]
    sample[keep].to_csv(out / "adult_sample.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--adult-data", type=Path, help="folder with adult.data.csv/adult.test.csv")
    args = parser.parse_args()
    train_digits(args.out)
    train_release_pair(args.out)
    if args.adult_data:
        train_adult(args.out, args.adult_data)


if __name__ == "__main__":
    main()
