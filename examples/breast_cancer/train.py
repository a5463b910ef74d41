"""Fit a model to evaluate with assay, and save it safely.

    python train.py

Writes ``model.skops`` (a scaler + logistic regression) and ``holdout.csv`` (the rows the
model never saw, with a ``size`` slice column) beside this file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import skops.io
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).parent


def main(out: Path = HERE) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "case_id", [f"case-{i}" for i in range(len(frame))])
    train, holdout = train_test_split(
        frame, test_size=0.4, random_state=0, stratify=frame["target"]
    )
    features = [c for c in frame.columns if c not in ("case_id", "target")]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[features].to_numpy(), train["target"])
    skops.io.dump(model, out / "model.skops")
    holdout = holdout.copy()
    holdout["size"] = pd.cut(
        holdout["mean radius"], [0, 12, 16, 100], labels=["small", "medium", "large"]
    ).astype(str)
    holdout.to_csv(out / "holdout.csv", index=False)


if __name__ == "__main__":
    main()
