"""Tiny, randomly initialised transformers checkpoints built on the spot (no download): a
2-layer BERT with a WordLevel tokenizer, and a small ViT with its image processor."""

from __future__ import annotations

from pathlib import Path

from assay.demo.train_sentiment import bert_config, word_level_tokenizer

WORDS = [
    "the",
    "a",
    "movie",
    "film",
    "was",
    "is",
    "great",
    "good",
    "bad",
    "awful",
    "plot",
    "acting",
    "and",
    "not",
    "very",
    "really",
    "fun",
    "boring",
    "loved",
    "hated",
    "it",
    "this",
    "story",
    "music",
    "long",
    "short",
]


def save_tiny_bert(
    folder: Path,
    labels: tuple[str, ...] = ("negative", "positive"),
    seed: int = 0,
    safe: bool = True,
    hidden: int = 32,
    max_length: int = 64,
) -> Path:
    """A 2-layer BERT sequence classifier and its tokenizer, saved with save_pretrained."""
    import torch
    from transformers import BertForSequenceClassification

    tokenizer = word_level_tokenizer(WORDS, max_length)
    config = bert_config(tokenizer.vocab_size, labels, hidden=hidden, max_length=max_length)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if not safe:  # the older pickled format (transformers 5 writes only safetensors)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    return folder


def save_tiny_vit(folder: Path, labels: tuple[str, ...] = ("cat", "dog", "fox")) -> Path:
    """A 2-layer ViT image classifier (8×8 RGB, 4×4 patches) and its image processor."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(
        image_size=8,
        patch_size=4,
        num_channels=3,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(0)
    ViTForImageClassification(config).eval().save_pretrained(folder)
    ViTImageProcessor(size={"height": 8, "width": 8}).save_pretrained(folder)
    return folder
