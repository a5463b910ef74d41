"""Attacks in a text model's input-embedding space: the token embeddings of a padded batch
are perturbed by a registered attack (through d loss / d embeddings), and the model runs on
the perturbed embeddings (``inputs_embeds``). Padding positions are never perturbed."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional

from assay.runners.adapters import EmbeddingAttack


def attacked_logits(
    model: Any, batch: dict[str, torch.Tensor], labels: np.ndarray, attack: EmbeddingAttack
) -> np.ndarray:
    """The model's logits on ``batch`` after ``attack`` perturbs its input embeddings.

    ``model`` is a transformers model in eval mode taking ``inputs_embeds``; ``labels`` are
    output indices. The attack sees the embeddings as a B × (L·H) float array.
    """
    inputs = {k: v for k, v in batch.items() if k != "input_ids"}
    mask = batch["attention_mask"].unsqueeze(-1).to(torch.float32)
    with torch.inference_mode():
        embedded = model.get_input_embeddings()(batch["input_ids"]).float()
    shape = tuple(embedded.shape)

    def gradient(vectors: np.ndarray, targets: np.ndarray) -> np.ndarray:
        expected = torch.as_tensor(targets, dtype=torch.long, device=embedded.device)
        points = torch.tensor(vectors.reshape(shape), dtype=torch.float32, device=embedded.device)
        points.requires_grad_(True)
        with torch.enable_grad():
            logits = model(inputs_embeds=points.to(model.dtype), **inputs).logits
            loss = functional.cross_entropy(logits.float(), expected, reduction="sum")
            (grad,) = torch.autograd.grad(loss, points)
        return (grad * mask).cpu().numpy().reshape(shape[0], -1)

    clean = embedded.cpu().numpy().reshape(shape[0], -1).astype(np.float64)
    perturbed = np.asarray(attack(clean, labels, gradient), dtype=np.float32).reshape(shape)
    kept = torch.from_numpy(perturbed).to(embedded.device) * mask + embedded * (1 - mask)
    with torch.inference_mode():
        return model(inputs_embeds=kept.to(model.dtype), **inputs).logits.float().cpu().numpy()
