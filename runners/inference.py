"""Batched inference of one cell: inputs (clean, shifted or attacked) → checked probabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from assay.errors import InvalidInputError, UserError
from assay.runners.adapters import (
    BatchedModel,
    EmbeddingModel,
    GradientModel,
    LossModel,
    ModelAdapter,
    PrecomputedModel,
)
from assay.suites.attack_domain import FeatureLayout
from assay.suites.attacks import ATTACKS, AttackInfo
from assay.suites.data import LoadedDataset
from assay.suites.derived_sets import attacked_text_column
from assay.suites.features import FeatureBlock
from assay.suites.images import image_columns
from assay.suites.perturbations import perturbation_sizes
from assay.suites.queries import Oracle

PROBABILITY_TOLERANCE = 1e-3


def predict_batched(
    adapter: ModelAdapter,
    inputs: np.ndarray | pd.DataFrame,
    batch_size: int,
    on_batch: Callable[[int], None] = lambda n: None,
) -> np.ndarray:
    """Run ``adapter`` over ``inputs`` in slices of ``batch_size`` into one preallocated array.

    Example:
        >>> from assay.demo.models import UniformModel
        >>> model = UniformModel(n_classes=4)
        >>> predict_batched(model, np.zeros((5, 2), np.float32), batch_size=2).shape
        (5, 4)
    """
    if isinstance(adapter, BatchedModel):
        return _as_probabilities(adapter.predict_batches(inputs, batch_size, on_batch), len(inputs))
    return _predict_batches(adapter, inputs, batch_size, on_batch)


def _predict_batches(
    adapter: ModelAdapter,
    inputs: np.ndarray | pd.DataFrame,
    batch_size: int,
    on_batch: Callable[[int], None],
) -> np.ndarray:
    n_rows = len(inputs)
    output: np.ndarray | None = None
    for start in range(0, n_rows, batch_size):
        stop = min(start + batch_size, n_rows)
        batch = inputs[start:stop] if isinstance(inputs, np.ndarray) else inputs.iloc[start:stop]
        probs = _as_probabilities(adapter.predict_proba(batch), stop - start)
        if output is None:
            output = np.empty((n_rows, probs.shape[1]), dtype=np.float32)
        elif probs.shape[1] != output.shape[1]:
            raise InvalidInputError(f"model {adapter.name!r} changed its number of classes")
        output[start:stop] = probs
        on_batch(stop - start)
    return output if output is not None else np.zeros((0, 0), np.float32)


def _as_probabilities(returned: Any, n_rows: int) -> np.ndarray:
    """``returned`` as an N×C real array, or an error saying what the model gave instead."""
    try:
        probs = np.asarray(returned)
    except ValueError:  # ragged nested lists
        probs = np.asarray(returned, dtype=object)
    if probs.dtype.kind not in "biuf":
        shown = type(returned).__name__ if probs.dtype == object else str(probs.dtype)
        raise InvalidInputError(
            f"predict_proba must return N×C real numbers, but gave {shown} values"
            + (" (rows of different lengths?)" if probs.dtype == object and probs.ndim else "")
        )
    if probs.ndim != 2 or probs.shape[0] != n_rows:
        raise InvalidInputError(
            f"predict_proba returned shape {probs.shape} for {n_rows} rows; it must return N×C"
        )
    return probs


def model_inputs(adapter: ModelAdapter, block: FeatureBlock) -> Any:
    """The features in the form the model takes (array or data frame)."""
    owner = f"model {adapter.name!r}"
    return block.as_array(owner) if adapter.input_kind == "array" else block.as_frame(owner)


def embedding_attack(dataset: LoadedDataset, attacker: ModelAdapter) -> bool:
    """Whether the dataset's attack runs in ``attacker``'s input embeddings (a text model
    that offers them, and an attack that declares it can)."""
    assert dataset.transform is not None
    return (
        ATTACKS.get(dataset.transform.name).embeddings
        and isinstance(attacker, EmbeddingModel)
        and attacker.attackable_in_embeddings
    )


def attacked_in_embeddings(
    dataset: LoadedDataset,
    rows: slice,
    adapter: ModelAdapter,
    batch_size: int,
    on_batch: Callable[[int], None],
    *,
    block: FeatureBlock | None = None,
) -> np.ndarray:
    """Probabilities of the rows after the dataset's attack on the model's own input
    embeddings (embeddings belong to one model: such an attack is never transferred);
    ``block``: the rows' features, where already read."""
    assert dataset.transform is not None and isinstance(adapter, EmbeddingModel)
    attack = ATTACKS.get(dataset.transform.name)
    params = dataset.transform.params

    def perturb(vectors: np.ndarray, labels: np.ndarray, gradient: Any) -> np.ndarray:
        return attack.function(vectors, labels, gradient=gradient, **params)

    order = class_order(adapter.classes, dataset.classes, f"model {adapter.name!r}")
    labels = dataset.labels[rows] if order is None else np.asarray(order)[dataset.labels[rows]]
    inputs = model_inputs(adapter, dataset.features.rows(rows) if block is None else block)
    return adapter.predict_attacked_embeddings(inputs, labels, perturb, batch_size, on_batch)


@dataclass(frozen=True)
class AttackedRows:
    """A cell's rows after an attack: their features, each example's perturbation size in
    the attack's norm (``norm``, L∞ unless it declares another), and for a black-box
    attack the queries each example took (None for white-box attacks)."""

    block: FeatureBlock
    sizes: np.ndarray
    norm: str
    queries: np.ndarray | None = None

    def statistics(self) -> np.ndarray:
        """N × 2: queries (NaN for a white-box attack) and perturbation size."""
        queries = np.full(len(self.sizes), np.nan) if self.queries is None else self.queries
        return np.stack([queries.astype(np.float64), self.sizes], axis=1)


def attacked_block(
    dataset: LoadedDataset,
    rows: slice,
    attacker: ModelAdapter,
    batch_size: int,
    seed: int,
    *,
    block: FeatureBlock | None = None,
) -> AttackedRows:
    """The rows' features after the dataset's attack, crafted against ``attacker`` (random
    draws seeded by ``seed`` and each example's id), batch by batch. A text attack edits
    one text column; every other attack, the numeric matrix. ``block``: the rows'
    features, where already read."""
    assert dataset.transform is not None
    attack = ATTACKS.get(dataset.transform.name)
    params = dataset.transform.params
    _check_attacker(dataset, attack, attacker)
    features = dataset.features.rows(rows) if block is None else block
    column = (
        attacked_text_column(features, attack.name, params)
        if attack.column_kinds == {"text"}
        else None
    )
    clean = features.numeric if column is None else features.other[column].to_numpy(object)
    # the attacker's gradient, scores and predictions index its own outputs: labels follow
    order = class_order(attacker.classes, dataset.classes, f"model {attacker.name!r}")
    labels = dataset.labels[rows] if order is None else np.asarray(order)[dataset.labels[rows]]
    keys = dataset.keys[rows]
    layout = feature_layout(dataset) if column is None else None
    crafted = np.empty_like(clean)
    queries = np.zeros(len(clean), np.int64) if attack.budget is not None else None

    def predict(points: np.ndarray) -> np.ndarray:
        return np.asarray(attacker.predict_proba(points)).argmax(axis=1)

    for start in range(0, len(clean), batch_size):
        batch = slice(start, start + batch_size)
        inputs: dict[str, Any] = {"predict": predict, "layout": layout, "seed": seed}
        if isinstance(attacker, GradientModel):
            inputs["gradient"] = attacker.loss_gradient
        if isinstance(attacker, LossModel):
            inputs["loss_at"] = attacker.loss_at
        oracle = None
        if attack.budget is not None:
            oracle = _oracle(attacker, features.rows(batch), column, attack, params)
            inputs["oracle"] = oracle
        crafted[batch] = attack.function(
            clean[batch], labels[batch], example_keys=keys[batch], **inputs, **params
        )
        if queries is not None and oracle is not None:
            queries[batch] = oracle.queries
    norm = attack.norm(params)
    return AttackedRows(
        _placed(features, column, crafted), perturbation_sizes(clean, crafted, norm), norm, queries
    )


def _placed(block: FeatureBlock, column: str | None, values: np.ndarray) -> FeatureBlock:
    """``block`` with an attack's output in place: the numeric matrix, or the text column."""
    if column is None:
        return block.with_numeric(values)
    return block.with_other(lambda: block.other.assign(**{column: values}))


def feature_layout(dataset: LoadedDataset) -> FeatureLayout:
    """The dataset's matrix columns and images, as attacks that take ``layout`` see them."""
    positions = dataset.features.matrix_positions()
    if dataset.image is None:
        return FeatureLayout(positions)
    columns = image_columns(dataset.features, dataset.image, f"dataset {dataset.name!r}")
    return FeatureLayout(positions, dataset.image, columns)


def _check_attacker(dataset: LoadedDataset, attack: AttackInfo, attacker: ModelAdapter) -> None:
    """Refuse an attacker that cannot give what the attack needs."""
    assert dataset.transform is not None
    name = dataset.transform.name
    if attack.needs == "gradients" and not isinstance(attacker, GradientModel):
        raise UserError(
            f"attack {name!r} on {dataset.name!r} needs input gradients, which model "
            f"{attacker.name!r} cannot give; name a torch 'surrogate' for a transfer attack, "
            "or use a black-box attack (square)"
        )
    if "loss_at" in attack.inputs and not isinstance(attacker, LossModel):
        raise UserError(
            f"attack {name!r} on {dataset.name!r} needs per-example losses, which model "
            f"{attacker.name!r} cannot give; name a torch 'surrogate'"
        )


def _oracle(
    attacker: ModelAdapter,
    batch: FeatureBlock,
    column: str | None,
    attack: AttackInfo,
    params: dict[str, Any],
) -> Oracle:
    """The attacker behind the attack's query budget, answering for the batch's rows (a
    data-frame model gets each point with its row's other columns; a text attack's points
    are texts of ``column``)."""
    assert attack.budget is not None
    budget = params.get(attack.budget, attack.params[attack.budget].default)

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        inputs = model_inputs(attacker, _placed(batch.taken(rows), column, points))
        probs = _as_probabilities(attacker.predict_proba(inputs), len(rows))
        check_model_output(probs, probs.shape[1], f"model {attacker.name!r} (attacked)")
        return probs

    labels_only = attack.needs == "labels"
    return Oracle(answer, len(batch.numeric), budget=int(budget), labels_only=labels_only)


def precomputed_rows(
    adapter: PrecomputedModel, dataset: LoadedDataset, rows: slice, owner: str
) -> np.ndarray:
    """A cell's rows of a model's precomputed predictions; an attack crafted by assay (on
    the model itself or a surrogate) gives new inputs such a model has no predictions for."""
    if dataset.kind == "adversarial" and dataset.derived_from is not None:
        assert dataset.transform is not None
        raise UserError(
            f"{owner}: attack {dataset.transform.name!r} makes new inputs, but the model's "
            "predictions were made elsewhere; give the adversarial examples' predictions as "
            "a dataset with a source (kind: adversarial) instead"
        )
    return adapter.predictions_for(dataset)[rows]


def align_classes(
    probabilities: np.ndarray,
    model_classes: tuple[str, ...] | None,
    dataset_classes: tuple[str, ...],
    owner: str,
) -> np.ndarray:
    """Reorder a model's probability columns into the dataset's class order."""
    order = class_order(model_classes, dataset_classes, owner)
    return probabilities if order is None else probabilities[:, order]


def class_order(
    model_classes: tuple[str, ...] | None, dataset_classes: tuple[str, ...], owner: str
) -> list[int] | None:
    """The model's output index of each dataset class, matched by name (None when the
    model names none or already follows the dataset's order).

    Example:
        >>> class_order(("b", "a"), ("a", "b"), "m")
        [1, 0]
    """
    if model_classes is None or model_classes == dataset_classes:
        return None
    missing = [c for c in dataset_classes if c not in model_classes]
    extra = [c for c in model_classes if c not in dataset_classes]
    if missing or extra:
        raise InvalidInputError(
            f"{owner}: the model's classes {list(model_classes)} differ from the dataset's "
            f"{list(dataset_classes)}; declare the dataset's 'classes' to match"
        )
    return [model_classes.index(c) for c in dataset_classes]


def check_model_output(probabilities: np.ndarray, n_classes: int, owner: str) -> None:
    """Refuse NaN, out-of-range or unnormalised outputs with a message naming the cell."""
    if probabilities.shape[1] != n_classes:
        raise InvalidInputError(
            f"{owner}: the model gives {probabilities.shape[1]} class probabilities but the "
            f"dataset has {n_classes} classes"
        )
    bad_rows = ~np.isfinite(probabilities).all(axis=1)
    if bad_rows.any():
        raise InvalidInputError(
            f"{owner}: the model returned NaN or infinite probabilities "
            f"({int(bad_rows.sum())} rows, first at row {int(np.argmax(bad_rows))})"
        )
    low, high = float(probabilities.min(initial=0.0)), float(probabilities.max(initial=1.0))
    if low < -PROBABILITY_TOLERANCE or high > 1 + PROBABILITY_TOLERANCE:
        raise InvalidInputError(
            f"{owner}: outputs outside [0, 1] ({low!r}..{high!r}); if these are logits, "
            "declare a torch model's output: logits"
        )
    off = np.abs(probabilities.sum(axis=1, dtype=np.float64) - 1.0)
    if off.size and off.max() > PROBABILITY_TOLERANCE:
        raise InvalidInputError(
            f"{owner}: probability rows must sum to 1; row {int(np.argmax(off))} is off by "
            f"{float(off.max())!r}"
        )
