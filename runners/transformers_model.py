"""Model type ``transformers``: a Hugging Face sequence classifier (text, or text pairs) or
image classifier, with the tokenizer or image processor saved beside it.

Registered through assay's own ``assay.models`` entry point, like any plugin model type;
``transformers`` is imported only when a model runs (``pip install 'assay[transformers]'``).
Texts are batched by length (each batch padded to its own longest text) and the results put
back in dataset order; the model runs in eval mode under ``torch.inference_mode``. Output
columns are named by ``config.id2label`` and matched to the dataset's ``classes`` by name.

Example suite entry::

    - name: sentiment
      type: transformers
      params: {path: checkpoints/sentiment, text: sentence, max_length: 128}
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assay.errors import ConfigError, InvalidInputError, UserError, located
from assay.params import Param
from assay.runners.adapters import EmbeddingAttack, InputKind, softmax
from assay.runners.length_buckets import length_buckets
from assay.runners.transformers_source import CheckpointSource
from assay.suites.model_types import register_model_type
from assay.suites.schema import PluginModelSpec

DTYPES = ("float32", "float16", "bfloat16")
TRUNCATION = ("longest_first", "only_first", "only_second", "do_not_truncate")
FALLBACK_MAX_LENGTH = 512  # when the tokenizer states no real limit
# where the model comes from is fingerprinted by its files (or Hub commit), not these
OUTSIDE_FINGERPRINT = ("path", "revision", "device")


class TransformersAdapter:
    """A sequence or image classifier from ``from_pretrained``; gives logits."""

    default_batch_size = 32

    def __init__(self, spec: PluginModelSpec, base_dir: Path) -> None:
        params = spec.params
        self.name = spec.name
        self.text: str | None = params.get("text")
        self.text_pair: str | None = params.get("text_pair")
        self.image: str | None = params.get("image")
        if (self.text is None) == (self.image is None):
            raise ConfigError(
                "name the input column: 'text' (and 'text_pair') for a text classifier, or "
                "'image' for an image classifier",
                key_path=("params",),
                value=params,
            )
        if self.text_pair is not None and self.text is None:
            raise ConfigError("'text_pair' needs 'text'", key_path=("params", "text_pair"))
        self.input_kind: InputKind = "dataframe" if self.text is not None else "array"
        self.image_shape = _image_shape(params.get("image_shape"), self.image)
        self.max_length: int | None = params.get("max_length")
        self.truncation: str = params.get("truncation", "longest_first")
        self.dtype: str = params.get("dtype", "float32")
        self.device_name: str = params.get("device", "auto")
        self.classes_from: str = params.get("classes_from", "config")
        self.source = CheckpointSource(
            path=str(params["path"]),
            revision=params.get("revision"),
            base_dir=base_dir,
            trusted=bool(params.get("trusted", False)),
            trust_remote_code=bool(params.get("trust_remote_code", False)),
        )
        self.source.check()
        settings = {k: v for k, v in sorted(params.items()) if k not in OUTSIDE_FINGERPRINT}
        self.fingerprint = self.source.fingerprint(settings)

    @property
    def classes(self) -> tuple[str, ...] | None:
        if self.classes_from == "dataset":
            return None
        return self.source.label_names()

    @property
    def gives_logits(self) -> bool:
        return True

    @cached_property
    def model(self) -> Any:
        transformers = _transformers()
        import torch

        from assay.runners.torch_adapter import resolve_device

        kind = (
            "AutoModelForSequenceClassification" if self.text else "AutoModelForImageClassification"
        )
        with (
            located(None, ("params", "path"), f"cannot load {self.source.path!r}"),
            _quiet(transformers),
        ):
            model = getattr(transformers, kind).from_pretrained(
                self.source.location,
                revision=self.source.revision,
                use_safetensors=None if self.source.trusted else True,
                trust_remote_code=self.source.trust_remote_code,
                dtype=getattr(torch, self.dtype),
            )
        self.device = resolve_device(self.device_name)
        return model.to(self.device).eval()

    @cached_property
    def preprocessor(self) -> Any:
        transformers = _transformers()
        kind = "AutoTokenizer" if self.text else "AutoImageProcessor"
        with located(
            None, ("params", "path"), f"cannot load the {kind[4:]} of {self.source.path!r}"
        ):
            return getattr(transformers, kind).from_pretrained(
                self.source.location,
                revision=self.source.revision,
                trust_remote_code=self.source.trust_remote_code,
            )

    def predict_proba(self, batch: Any) -> np.ndarray:
        return softmax(self._logits(batch, len(batch) or 1, lambda n: None))

    def predict_batches(self, inputs: Any, batch_size: int, on_batch: Any) -> np.ndarray:
        return softmax(self._logits(inputs, batch_size, on_batch))

    def predict_logits(self, inputs: Any, batch_size: int) -> np.ndarray:
        return self._logits(inputs, batch_size, lambda n: None)

    def _logits(self, inputs: Any, batch_size: int, on_batch: Any) -> np.ndarray:
        if self.text is not None:
            return self._text_logits(inputs, batch_size, on_batch)
        return self._image_logits(np.asarray(inputs), batch_size, on_batch)

    def _text_logits(self, frame: pd.DataFrame, batch_size: int, on_batch: Any) -> np.ndarray:
        import torch

        logits = np.empty((len(frame), self.model.config.num_labels), dtype=np.float32)
        with torch.inference_mode():
            for rows, batch in self._text_batches(frame, batch_size):
                logits[rows] = self.model(**batch).logits.float().cpu().numpy()
                on_batch(len(rows))
        return logits

    def _text_batches(
        self, frame: pd.DataFrame, batch_size: int
    ) -> Iterator[tuple[np.ndarray, dict]]:
        """(rows, padded model inputs on the device) of length-bucketed batches."""
        first = _texts(frame, self.text, "text")
        second = _texts(frame, self.text_pair, "text_pair") if self.text_pair else None
        tokenizer = self.preprocessor
        _ = self.model  # loaded (and its device chosen) before the first batch
        truncation = False if self.truncation == "do_not_truncate" else self.truncation
        max_length = self.max_length or _tokenizer_limit(tokenizer)

        def encode(rows: slice) -> dict[str, list[list[int]]]:
            pair = second[rows] if second is not None else None
            encoded = tokenizer(first[rows], pair, truncation=truncation, max_length=max_length)
            return dict(encoded)

        for bucket in length_buckets(len(first), encode, batch_size):
            padded = tokenizer.pad(bucket.encodings, return_tensors="pt")
            yield bucket.rows, {k: v.to(self.device) for k, v in padded.items()}

    @property
    def attackable_in_embeddings(self) -> bool:
        return self.text is not None

    def predict_attacked_embeddings(
        self,
        inputs: Any,
        labels: np.ndarray,
        attack: EmbeddingAttack,
        batch_size: int,
        on_batch: Any,
    ) -> np.ndarray:
        """Probabilities after ``attack`` on each batch's token embeddings."""
        from assay.runners.embedding_attacks import attacked_logits  # imports torch

        probabilities = np.empty((len(inputs), self.model.config.num_labels), dtype=np.float32)
        for rows, batch in self._text_batches(inputs, batch_size):
            logits = attacked_logits(self.model, batch, labels[rows], attack)
            probabilities[rows] = softmax(logits)
            on_batch(len(rows))
        return probabilities

    def _image_logits(self, pixels: np.ndarray, batch_size: int, on_batch: Any) -> np.ndarray:
        import torch

        processor, model = self.preprocessor, self.model
        assert self.image_shape is not None
        if pixels.shape[1] != np.prod(self.image_shape):
            raise ConfigError(
                f"each row has {pixels.shape[1]} feature values, not the "
                f"{int(np.prod(self.image_shape))} pixels of image_shape; list only the image "
                f"column {self.image!r} among the dataset's features",
                key_path=("params", "image_shape"),
                value=",".join(map(str, self.image_shape)),
            )
        images = pixels.reshape(len(pixels), *self.image_shape)
        if images.ndim == 3:  # grayscale: as many channels as the model takes
            images = np.repeat(images[..., None], model.config.num_channels, axis=-1)
        if _takes_bytes(processor):  # 0-255 pixels, as image files hold them (and PIL takes)
            images = np.clip(np.rint(images), 0, 255).astype(np.uint8)
        logits = np.empty((len(images), model.config.num_labels), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = list(images[start : start + batch_size])
                encoded = processor(
                    images=batch, return_tensors="pt", input_data_format="channels_last"
                )
                pixel_values = encoded["pixel_values"].to(self.device, dtype=model.dtype)
                logits[start : start + len(batch)] = (
                    model(pixel_values=pixel_values).logits.float().cpu().numpy()
                )
                on_batch(len(batch))
        return logits


def _takes_bytes(processor: Any) -> bool:
    """Whether the image processor rescales 0-255 pixels (by 1/255) itself: shifted pixels
    are then rounded and clipped to bytes, as an image file would hold them."""
    factor = getattr(processor, "rescale_factor", None)
    return (
        bool(getattr(processor, "do_rescale", False))
        and factor is not None
        and abs(float(factor) - 1 / 255) < 1e-9
    )


def _transformers() -> Any:
    try:
        import transformers
    except ImportError as error:
        raise UserError(
            "transformers models need Hugging Face transformers: "
            "pip install 'assay[transformers]' (or transformers)"
        ) from error
    return transformers


@contextmanager
def _quiet(transformers: Any) -> Iterator[None]:
    """No progress bar of transformers' own while a model loads: assay reports progress."""
    bars = transformers.utils.logging
    shown = bars.is_progress_bar_enabled()
    bars.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            bars.enable_progress_bar()


def _texts(frame: pd.DataFrame, column: str | None, param: str) -> list[str]:
    if column not in frame.columns:
        raise ConfigError(
            f"the model's inputs are {list(frame.columns)}; list the column among the "
            "dataset's features",
            key_path=("params", param),
            value=column,
        )
    values = frame[column].tolist()
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        row, value = next((i, v) for i, v in enumerate(values) if not isinstance(v, str))
        raise InvalidInputError(
            f"text column {column!r} holds a {type(value).__name__} at row {row}, not text"
        )
    return values


def _tokenizer_limit(tokenizer: Any) -> int:
    """The tokenizer's own maximum length, when it states a real one."""
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if isinstance(limit, int) and 0 < limit < 1_000_000 else FALLBACK_MAX_LENGTH


def _image_shape(text: str | None, image: str | None) -> tuple[int, ...] | None:
    """``"28,28"`` or ``"224,224,3"`` (height, width[, channels]) as a tuple."""
    if image is None:
        return None
    try:
        shape = tuple(int(part) for part in str(text).split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ConfigError(
            "an image classifier needs image_shape: 'height,width' or 'height,width,channels' "
            "(the pixels of the image column, row-major)",
            key_path=("params", "image_shape"),
            value=text,
        )
    return shape


@register_model_type(
    "transformers",
    description="a Hugging Face sequence or image classifier (save_pretrained folder or "
    "pinned Hub id) with its tokenizer or image processor",
    params={
        "path": Param("str", description="a save_pretrained folder, or a Hub id"),
        "revision": Param(
            "str",
            default=None,
            nullable=True,
            description="the Hub commit or tag (required for a Hub id)",
        ),
        "text": Param("str", default=None, nullable=True, description="the text column"),
        "text_pair": Param(
            "str", default=None, nullable=True, description="the second text of pairs"
        ),
        "image": Param("str", default=None, nullable=True, description="the image column (pixels)"),
        "image_shape": Param("str", default=None, nullable=True, description="'H,W' or 'H,W,C'"),
        "max_length": Param(
            "int", default=None, nullable=True, low=1, description="default: the tokenizer's limit"
        ),
        "truncation": Param("str", default="longest_first", choices=TRUNCATION),
        "dtype": Param("str", default="float32", choices=DTYPES),
        "device": Param("str", default="auto", choices=("cpu", "cuda", "auto")),
        "classes_from": Param(
            "str",
            default="config",
            choices=("config", "dataset"),
            description="config: match config.id2label to the dataset's classes by name; "
            "dataset: output i is the dataset's class i",
        ),
        "trusted": Param("bool", default=False, description="allow pickled (.bin) weights"),
        "trust_remote_code": Param("bool", default=False, description="run the checkpoint's code"),
    },
)
def build_transformers(spec: PluginModelSpec, base_dir: Path) -> TransformersAdapter:
    return TransformersAdapter(spec, base_dir)
