"""Pair AdvGLUE's SST-2 sentences with the GLUE SST-2 dev set they were rewritten from, and
fit a sentiment model to evaluate on both.

    python prepare.py DATA

``DATA`` holds ``advglue_dev/advglue_dev.json`` (AdvGLUE's dev.json, CC BY-SA 4.0, from
https://adversarialglue.github.io) and ``sst2_glue/`` (GLUE's SST-2: the dev set as
``sst2_glue_dev_872.tsv``, train phrases as ``sst2_alps_train_60614.tsv``; "sentence\\tlabel").
Neither ships with assay. Writes beside this file: ``sst2_dev.csv`` (id ``sst2-dev-<row>``),
``advglue_sst2.csv`` and ``words.skops``.

AdvGLUE's ``idx`` counts its own items, not SST-2 dev rows, so each adversarial sentence is
paired with the dev sentence it is closest to (word-level difflib ratio) when that is at
least :data:`SAME_SOURCE` and the labels agree; the rest (AdvGLUE also has human-written
sentences that no dev sentence underlies) are left out and counted. Several rewrites of
one dev sentence get ids ``sst2-dev-<row>``, ``…#2``, ``…#3`` — assay pairs them all with
that row.
"""

from __future__ import annotations

import csv
import difflib
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
SAME_SOURCE = 0.5  # word-level similarity from which a rewrite is taken to be of that sentence


def read_sst2(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False)


def clean_set(data: Path) -> pd.DataFrame:
    """GLUE SST-2 dev with an id per row."""
    dev = read_sst2(data / "sst2_glue" / "sst2_glue_dev_872.tsv")
    dev.insert(0, "id", [f"sst2-dev-{row}" for row in range(len(dev))])
    return dev


def paired_adversarial_set(data: Path, dev: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """AdvGLUE's SST-2 items whose source dev sentence is found, with that sentence's id
    (versioned #2, #3 on repeats), and how many were left out."""
    items = json.loads((data / "advglue_dev" / "advglue_dev.json").read_text())["sst2"]
    words = [sentence.split() for sentence in dev["sentence"]]
    rows, left_out, seen = [], 0, {}
    for item in items:
        mine = item["sentence"].split()
        scores = [difflib.SequenceMatcher(None, mine, w, autojunk=False).ratio() for w in words]
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] < SAME_SOURCE or int(dev["label"][best]) != int(item["label"]):
            left_out += 1
            continue
        seen[best] = seen.get(best, 0) + 1
        version = "" if seen[best] == 1 else f"#{seen[best]}"
        rows.append((f"{dev['id'][best]}{version}", item["sentence"], int(item["label"])))
    return pd.DataFrame(rows, columns=["id", "sentence", "label"]), left_out


def sentiment_model(data: Path) -> object:
    """Word uni- and bigram TF-IDF and logistic regression on 20,000 SST-2 train phrases."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    train = read_sst2(data / "sst2_glue" / "sst2_alps_train_60614.tsv")
    train = train.sample(20_000, random_state=0)
    text = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = Pipeline(
        [
            ("features", ColumnTransformer([("tfidf", text, "sentence")])),
            ("classify", LogisticRegression(C=4.0, max_iter=1000)),
        ]
    )
    return model.fit(train[["sentence"]], train["label"])


def main(data: Path, out: Path = HERE) -> None:
    import skops.io

    dev = clean_set(data)
    adversarial, left_out = paired_adversarial_set(data, dev)
    dev.to_csv(out / "sst2_dev.csv", index=False)
    adversarial.to_csv(out / "advglue_sst2.csv", index=False)
    skops.io.dump(sentiment_model(data), out / "words.skops")
    print(f"{len(adversarial)} AdvGLUE sentences paired, {left_out} left out (no dev source)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python prepare.py DATA  (the folder holding advglue_dev/ and sst2_glue/)")
    main(Path(sys.argv[1]))
