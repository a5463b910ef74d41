"""The torch adapter: a module from a factory, weights from safetensors or a weights-only
state_dict, inference under ``torch.inference_mode()``."""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assay.errors import (
    ConfigError,
    InvalidInputError,
    UnsafeArtifactError,
    UserError,
    located,
    reason_of,
)
from assay.hashing import hash_file, hash_value, source_hash
from assay.runners.adapters import InputKind
from assay.suites.attacks import LossAt
from assay.suites.imports import call_with_params, import_object
from assay.suites.schema import TorchModelSpec
from assay.suites.sources import resolve_path

try:
    import torch
    from torch.nn import functional
except ImportError as error:  # pragma: no cover - torch is a core dependency
    raise UserError("torch models need PyTorch: pip install torch") from error


TORCH_FOLDER = Path(torch.__file__).parent


class TorchAdapter:
    """Runs an ``nn.Module`` in eval mode; ``output`` says whether it gives logits."""

    input_kind: InputKind = "array"
    classes: tuple[str, ...] | None = None

    def __init__(self, spec: TorchModelSpec, base_dir: Path) -> None:
        self.name = spec.name
        self.output = spec.output
        self.device = resolve_device(spec.device)
        checkpoint = resolve_path(spec.checkpoint, base_dir)
        with located(None, ("factory",), "cannot import"):
            factory = import_object(spec.factory)
        module = call_with_params(factory, spec.params)
        if not isinstance(module, torch.nn.Module):
            raise ConfigError(
                f"did not return a torch.nn.Module but a {type(module).__name__}",
                key_path=("factory",),
                value=spec.factory,
            )
        with located(None, ("checkpoint",), f"cannot load {str(checkpoint)!r}"):
            state = load_state_dict(checkpoint)
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as error:
            raise ConfigError(
                f"{str(checkpoint)!r} does not fit the module {spec.factory} builds: "
                + " ".join(str(error).split()),
                key_path=("checkpoint",),
                show_value=False,
            ) from None
        self.module = module.to(self.device).eval()
        self.fingerprint = hash_value(
            {
                "type": "torch",
                "weights": hash_file(checkpoint),
                "factory": spec.factory,
                "params": spec.params,
                "output": spec.output,
                # the code that computes the outputs: the factory's module and every layer
                # class outside torch itself (torch's own code is covered by its version)
                "code": source_hash([factory, *module.modules()], skip=[TORCH_FOLDER]),
                "torch": torch.__version__,
            }
        )

    def _probabilities(self, raw: torch.Tensor) -> torch.Tensor:
        if self.output == "probabilities":
            return raw
        if raw.ndim == 2 and raw.shape[1] == 1:
            positive = torch.sigmoid(raw)
            return torch.cat([1 - positive, positive], dim=1)
        return torch.softmax(raw, dim=1)

    def predict_proba(self, batch: Any) -> np.ndarray:
        with torch.inference_mode():
            probs = self._probabilities(self.module(self._tensor(batch)))
            return probs.to(dtype=torch.float32, device="cpu").numpy()

    def predict_batches(
        self, inputs: np.ndarray, batch_size: int, on_batch: Callable[[int], None]
    ) -> np.ndarray:
        """All rows in slices of ``batch_size``, written into one preallocated array.

        The whole matrix becomes one tensor (zero-copy on CPU) and each batch's output is
        copied straight into the result, so the loop costs what a plain torch loop costs.
        """
        n_rows = len(inputs)
        output = np.empty((n_rows, 0), dtype=np.float32)
        with torch.inference_mode():
            tensor = self._tensor(inputs)
            for start in range(0, n_rows, batch_size):
                probs = self._probabilities(self.module(tensor[start : start + batch_size]))
                if start == 0:
                    output = np.empty((n_rows, probs.shape[1]), dtype=np.float32)
                    target = torch.from_numpy(output)
                target[start : start + len(probs)].copy_(probs)
                on_batch(len(probs))
        return output

    @property
    def gives_logits(self) -> bool:
        return self.output == "logits"

    def predict_logits(self, inputs: np.ndarray, batch_size: int) -> np.ndarray:
        """The module's raw outputs (logits), batch by batch, as float32."""
        parts = []
        with torch.inference_mode():
            tensor = self._tensor(inputs)
            for start in range(0, len(inputs), batch_size):
                raw = self.module(tensor[start : start + batch_size])
                parts.append(raw.to(dtype=torch.float32, device="cpu").numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)

    def _tensor(self, batch: Any) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        return tensor if self.device.type == "cpu" else tensor.to(self.device)

    def loss_gradient(self, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """d(summed cross-entropy)/d(features), so each row's gradient is its own."""
        inputs = torch.from_numpy(np.asarray(features, dtype=np.float32)).to(self.device)
        inputs.requires_grad_(True)
        targets = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(self.device)
        raw = self.module(inputs)
        if self.output == "logits":  # log-softmax from the logits: exact where p underflows
            loss = functional.cross_entropy(raw, targets, reduction="sum")
        else:
            log_probs = torch.log(self._probabilities(raw).clamp_min(1e-12))
            loss = functional.nll_loss(log_probs, targets, reduction="sum")
        (gradient,) = torch.autograd.grad(loss, inputs)
        return gradient.detach().cpu().numpy()

    def loss_at(self, features: np.ndarray, labels: np.ndarray, loss: str) -> LossAt:
        """Per-example ``cross_entropy`` or ``dlr`` loss at ``features``, its gradient and
        the predicted classes, from one forward and backward pass. Both losses are taken
        over log-probabilities, whose differences are the logits' (so DLR is the same
        for a model giving logits or probabilities)."""
        inputs = torch.from_numpy(np.asarray(features, dtype=np.float32)).to(self.device)
        inputs.requires_grad_(True)
        targets = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(self.device)
        raw = self.module(inputs)
        if self.output == "logits":
            scores = raw
        else:
            scores = torch.log(self._probabilities(raw).clamp_min(1e-12))
        if loss == "dlr":
            per_example = difference_of_logits_ratio(scores, targets)
        else:
            per_example = functional.cross_entropy(scores, targets, reduction="none")
        (gradient,) = torch.autograd.grad(per_example.sum(), inputs)
        return LossAt(
            loss=per_example.detach().to(dtype=torch.float64, device="cpu").numpy(),
            gradient=gradient.detach().cpu().numpy(),
            predicted=scores.detach().argmax(dim=1).cpu().numpy(),
        )


def difference_of_logits_ratio(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Croce & Hein's DLR loss per example: −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3), with
    z_π the logits sorted in decreasing order (needs three or more classes).

    Example:
        >>> z = torch.tensor([[3.0, 1.0, 0.0]])
        >>> difference_of_logits_ratio(z, torch.tensor([0])).tolist()
        [-0.6666666865348816]
    """
    if logits.shape[1] < 3:
        raise InvalidInputError(
            f"the DLR loss needs three or more classes; the model gives {logits.shape[1]}"
        )
    ordered, order = logits.sort(dim=1, descending=True)
    true = logits.gather(1, targets[:, None])[:, 0]
    top_is_true = order[:, 0] == targets
    other = torch.where(top_is_true, ordered[:, 1], ordered[:, 0])
    return -(true - other) / (ordered[:, 0] - ordered[:, 2] + 1e-12)


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from ``.safetensors``, or from a torch file with ``weights_only=True``."""
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "weights only load failed" not in str(error).lower():
            raise InvalidInputError(
                f"{path} is not a torch checkpoint ({reason_of(error)})"
            ) from None
        raise UnsafeArtifactError(
            f"{path} holds more than tensors, and loading it could run code; save a state_dict "
            f"or safetensors instead ({reason_of(error)})"
        ) from None
    except (EOFError, RuntimeError, zipfile.BadZipFile, IndexError, ValueError) as error:
        raise InvalidInputError(
            f"{path} is not a torch checkpoint (truncated or another format: {reason_of(error)})"
        ) from None
    if not isinstance(loaded, dict):
        raise InvalidInputError(f"{path} is not a state_dict (got {type(loaded).__name__})")
    return loaded


def resolve_device(device: str) -> torch.device:
    """``cpu``, ``cuda`` (refused where torch sees none) or ``auto`` (cuda when there)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for, but torch sees no CUDA device")
    return torch.device(device)
