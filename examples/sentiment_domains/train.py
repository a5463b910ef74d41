"""Fit two sentiment models on Amazon reviews and write the three review domains as CSV.

    python train.py

Writes ``words.skops`` (word unigrams and bigrams, TF-IDF, logistic regression),
``chars.skops`` (character 2-5-grams, same classifier), and ``amazon_test.csv``,
``yelp.csv``, ``imdb.csv`` (columns review_id, text, label) beside this file. The models
see 70% of the Amazon sentences; the rest is the in-distribution test set, and Yelp and
IMDB are natural shifts: other products, other writers, the same task.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

HERE = Path(__file__).parent
DOMAINS = {
    "amazon": "amazon_cells_labelled.txt",
    "yelp": "yelp_labelled.txt",
    "imdb": "imdb_labelled.txt",
}


def read_domain(name: str) -> pd.DataFrame:
    frame = pd.read_csv(
        HERE / "data" / DOMAINS[name],
        sep="\t",
        header=None,
        names=["text", "label"],
        quoting=csv.QUOTE_NONE,
    )
    frame["text"] = frame["text"].str.strip()
    frame.insert(0, "review_id", [f"{name}-{i}" for i in range(len(frame))])
    return frame


def model(analyzer: str, ngrams: tuple[int, int]) -> Pipeline:
    text = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=2)
    return Pipeline(
        [
            ("features", ColumnTransformer([("tfidf", text, "text")])),
            ("classify", LogisticRegression(C=10.0, max_iter=2000)),
        ]
    )


def main(out: Path = HERE) -> None:
    amazon = read_domain("amazon")
    train, test = train_test_split(amazon, test_size=0.3, random_state=0, stratify=amazon["label"])
    for name, pipeline in (("words", model("word", (1, 2))), ("chars", model("char_wb", (2, 5)))):
        pipeline.fit(train[["text"]], train["label"])
        skops.io.dump(pipeline, out / f"{name}.skops")
    test.to_csv(out / "amazon_test.csv", index=False)
    for name in ("yelp", "imdb"):
        read_domain(name).to_csv(out / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
