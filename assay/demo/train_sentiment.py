"""Train the sentiment demo's transformers checkpoint and write its data (``assay demo
sentiment``).

    python -m assay.demo.train_sentiment --data ../shared/data/sentiment_labelled_sentences

Sentiment Labelled Sentences (Kotzias et al., KDD 2015; UCI, CC BY 4.0): 1,000 sentences
each from Amazon, Yelp and IMDB reviews. A 2-layer BERT with a word-level tokenizer trains on
800 Amazon and 800 Yelp sentences; the demo evaluates it on the other 400 (in distribution),
on the same 400 with seeded typos (a shifted copy, paired by id) and on 400 IMDB sentences
(a natural domain shift). Seeded throughout; see SOURCE.md.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
MODEL_FOLDER = HERE / "sentiment_model"
LABELS = ("negative", "positive")
SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
TRAIN_PER_DOMAIN = 800
EVALUATED_IMDB = 400


def word_level_tokenizer(words: list[str], max_length: int) -> Any:
    """A BERT-style fast tokenizer over ``words`` ([CLS] a [SEP] b [SEP], lower case,
    unknown words as [UNK]) — small enough to ship, no download.

    Example:
        >>> tokenizer = word_level_tokenizer(["good", "film"], max_length=16)
        >>> tokenizer("A good film!")["input_ids"]
        [2, 1, 4, 5, 1, 3]
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*SPECIAL, *words])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=max_length,
    )


def with_typos(sentence: str, seed: int, rate: float = 0.25) -> str:
    """``sentence`` with a typo (swap, drop or double a letter) in about ``rate`` of its
    words of three or more letters, drawn from ``seed``.

    Example:
        >>> with_typos("the battery life is great", seed=1) != "the battery life is great"
        True
    """
    rng = np.random.default_rng(seed)

    def typo(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        at = int(rng.integers(0, len(word) - 1))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        if kind == 1:
            return word[:at] + word[at + 1 :]
        return word[: at + 1] + word[at] + word[at + 1 :]

    return re.sub(r"[A-Za-z]{3,}", typo, sentence)


def read_domain(folder: Path, domain: str, file: str) -> pd.DataFrame:
    frame = pd.read_csv(
        folder / file, sep="\t", header=None, names=["sentence", "label"], quoting=csv.QUOTE_NONE
    )
    frame["sentence"] = frame.sentence.str.strip()
    frame["review_id"] = [f"{domain}-{i:04d}" for i in range(len(frame))]
    frame["domain"] = domain
    frame["sentiment"] = [LABELS[int(v)] for v in frame.label]
    return frame[["review_id", "domain", "sentence", "sentiment"]]


def split(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, held-out test, IMDB sample), each shuffled by a fixed seed."""
    rng = np.random.default_rng(0)
    train, test = [], []
    for domain, file in (("amazon", "amazon_cells_labelled.txt"), ("yelp", "yelp_labelled.txt")):
        frame = read_domain(folder, domain, file)
        order = rng.permutation(len(frame))
        train.append(frame.iloc[order[:TRAIN_PER_DOMAIN]])
        test.append(frame.iloc[order[TRAIN_PER_DOMAIN:]])
    imdb = read_domain(folder, "imdb", "imdb_labelled.txt")
    imdb = imdb.iloc[rng.permutation(len(imdb))[:EVALUATED_IMDB]]
    return pd.concat(train), pd.concat(test), imdb


def bert_config(vocab_size: int, labels: tuple[str, ...], *, hidden: int, max_length: int) -> Any:
    """A 2-layer, 2-head BERT sequence classifier's config naming its labels."""
    from transformers import BertConfig

    return BertConfig(  # type: ignore[call-arg]  # transformers 5 types no PretrainedConfig kwargs
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=max_length,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def train_model(train: pd.DataFrame, epochs: int = 30, seed: int = 0) -> tuple[Any, Any]:
    """A 2-layer BERT (hidden 64) and its tokenizer, trained with AdamW on ``train``."""
    import torch
    from transformers import BertForSequenceClassification

    words = Counter(w for s in train.sentence for w in re.findall(r"\w+|[^\w\s]", s.lower()))
    vocabulary = sorted(w for w, count in words.items() if count >= 2)
    tokenizer = word_level_tokenizer(vocabulary, max_length=128)
    config = bert_config(len(SPECIAL) + len(vocabulary), LABELS, hidden=64, max_length=128)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    labels = torch.tensor([LABELS.index(s) for s in train.sentiment])
    texts = train.sentence.tolist()
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(texts), generator=generator).split(32):
            encoded = tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, return_tensors="pt"
            )
            loss = model(**encoded, labels=labels[batch]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval(), tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, required=True, help="sentiment_labelled_sentences folder"
    )
    args = parser.parse_args()
    train, test, imdb = split(args.data)
    model, tokenizer = train_model(train)
    model.save_pretrained(MODEL_FOLDER)
    tokenizer.save_pretrained(MODEL_FOLDER)
    train.to_csv(HERE / "sentiment_train.csv", index=False)  # the suite checks against it
    test.to_csv(HERE / "sentiment_test.csv", index=False)
    typos = test.assign(sentence=[with_typos(s, seed=i) for i, s in enumerate(test.sentence)])
    typos.to_csv(HERE / "sentiment_typos.csv", index=False)
    imdb.to_csv(HERE / "sentiment_imdb.csv", index=False)
    print(f"wrote {MODEL_FOLDER}, its training file and the three evaluation files beside it")


if __name__ == "__main__":
    main()
