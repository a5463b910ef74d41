"""A small sentiment model the text-attack tests train on the shared SST-2 sample: word
uni- and bigram tf-idf and a logistic regression on 20,000 phrases of the GLUE SST-2
train split (80% accuracy on the GLUE dev set). Trained once per process."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import SHARED_DATA

SST2 = SHARED_DATA / "sst2_glue"


def read_sst2(name: str) -> pd.DataFrame:
    """One of the SST-2 files ("sentence\\tlabel", no quoting)."""
    return pd.read_csv(SST2 / name, sep="\t", quoting=3, keep_default_na=False)


@cache
def sentiment_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = read_sst2("sst2_alps_train_60614.tsv").sample(20_000, random_state=0)
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=4.0, max_iter=1000),
    )
    return model.fit(train["sentence"], train["label"])


class SentimentModel:
    """The pipeline as an assay python model over a frame with a ``sentence`` column
    (probabilities of labels 0 and 1, in that order)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(sentiment_pipeline().predict_proba(frame["sentence"].astype(str)))
