"""Model type ``onnx``: an ONNX graph run by ONNX Runtime (an export from a serving stack,
``skl2onnx``, ``torch.onnx``...).

Registered through assay's own ``assay.models`` entry point, like any plugin model type.
The graph takes one float matrix (the dataset's numeric features, N × D), or with
``input: dataframe`` one input per feature column, named after it (as ``skl2onnx`` names a
pipeline's inputs: N × 1 of the graph's type, numbers or strings); it gives probabilities
or logits (N × C) in the order of the dataset's ``classes``. ONNX files hold
no code, so they load without a trust flag; onnxruntime is imported only when a model runs
(a run served from the prediction cache never imports it).

Example suite entry::

    - name: exported
      type: onnx
      params: {path: model.onnx, output: probabilities}
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assay.errors import ConfigError, UserError, located
from assay.hashing import hash_file, hash_value
from assay.params import Param
from assay.runners.adapters import InputKind, package_version, softmax
from assay.suites.model_types import register_model_type
from assay.suites.schema import PluginModelSpec
from assay.suites.sources import resolve_path

ONNX_TYPES: dict[str, type] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(string)": object,
}
PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
}


class OnnxAdapter:
    """One ONNX Runtime session; ``output`` says whether the graph gives logits.

    The fingerprint is the file's hash with the settings and onnxruntime's version, so the
    session is created only when predictions are needed.
    """

    # the graph is vectorised over rows: small batches only add per-call overhead
    default_batch_size = 65_536
    classes = None  # an ONNX graph does not name its output columns: the dataset's order

    def __init__(self, spec: PluginModelSpec, base_dir: Path) -> None:
        params = spec.params
        self.input_kind: InputKind = spec.input
        if spec.input == "dataframe" and params.get("input_name") is not None:
            raise ConfigError(
                "with input: dataframe each graph input takes the feature column of its name",
                key_path=("params", "input_name"),
                value=params["input_name"],
            )
        self.name = spec.name
        self.path = resolve_path(str(params["path"]), base_dir)
        self.output: str = params.get("output", "probabilities")
        self.input_name: str | None = params.get("input_name")
        self.output_name: str | None = params.get("output_name")
        self.device: str = params.get("device", "cpu")
        with located(None, ("params", "path"), f"cannot read {str(self.path)!r}"):
            self.fingerprint = hash_value(
                {
                    "type": "onnx",
                    "file": hash_file(self.path),
                    "output": self.output,
                    "input_name": self.input_name,
                    "output_name": self.output_name,
                    "device": self.device,
                    "input": spec.input,
                    "onnxruntime": package_version("onnxruntime"),
                }
            )

    @cached_property
    def session(self) -> Any:
        try:
            import onnxruntime
        except ImportError as error:
            raise UserError(
                "onnx models need ONNX Runtime: pip install 'assay[onnx]' (or onnxruntime)"
            ) from error
        available = set(onnxruntime.get_available_providers())
        providers = PROVIDERS["cuda" if self.device == "auto" else self.device]
        if self.device == "auto" and "CUDAExecutionProvider" not in available:
            providers = PROVIDERS["cpu"]
        if providers[0] not in available:
            raise ConfigError(
                f"ONNX Runtime here offers {sorted(available)}, not {providers[0]}",
                key_path=("params", "device"),
                value=self.device,
            )
        with located(None, ("params", "path"), f"cannot load {str(self.path)!r}"):
            return onnxruntime.InferenceSession(str(self.path), providers=providers)

    @cached_property
    def _input_name(self) -> str:
        """The one input fed the feature matrix, as declared or found."""
        inputs = [i.name for i in self.session.get_inputs()]
        input_name = self.input_name or _only(inputs, "input_name", "inputs")
        if input_name not in inputs:
            raise ConfigError(
                f"the graph's inputs are {inputs}",
                key_path=("params", "input_name"),
                value=input_name,
            )
        return input_name

    @cached_property
    def _output_name(self) -> str:
        """The output read, as declared or found."""
        outputs = self.session.get_outputs()
        names = [o.name for o in outputs]
        if self.output_name is not None:
            if self.output_name not in names:
                raise ConfigError(
                    f"the graph's outputs are {names}",
                    key_path=("params", "output_name"),
                    value=self.output_name,
                )
            return self.output_name
        # a classifier exported by skl2onnx gives (label, probabilities): take the matrix
        matrices = [o.name for o in outputs if o.type == "tensor(float)" and len(o.shape) == 2]
        return _only(matrices or names, "output_name", "float matrix outputs")

    def predict_proba(self, batch: Any) -> np.ndarray:
        values = self._run(batch)
        if self.output == "logits":
            return softmax(values)
        return values

    @property
    def gives_logits(self) -> bool:
        return self.output == "logits"

    def predict_logits(self, inputs: np.ndarray, batch_size: int) -> np.ndarray:
        return np.vstack(
            [self._run(inputs[s : s + batch_size]) for s in range(0, len(inputs), batch_size)]
        )

    def _feeds(self, batch: Any) -> dict[str, np.ndarray]:
        """The graph's inputs: the float matrix, or each feature column by its name."""
        if self.input_kind == "array":
            return {self._input_name: np.ascontiguousarray(batch, dtype=np.float32)}
        feeds = {}
        for graph_input in self.session.get_inputs():
            if graph_input.name not in batch.columns:
                raise ConfigError(
                    f"the graph's input {graph_input.name!r} names no feature column "
                    f"(features: {list(batch.columns)})",
                    key_path=("input",),
                    value="dataframe",
                )
            kind = ONNX_TYPES.get(graph_input.type)
            if kind is None:
                raise ConfigError(
                    f"the graph's input {graph_input.name!r} is a {graph_input.type}; assay "
                    f"feeds {sorted(ONNX_TYPES)}",
                    key_path=("input",),
                    value="dataframe",
                )
            column = batch[graph_input.name].to_numpy()
            values = column.astype(str).astype(object) if kind is object else column.astype(kind)
            feeds[graph_input.name] = values.reshape(-1, 1)
        return feeds

    def _run(self, batch: Any) -> np.ndarray:
        output_name = self._output_name
        features = self._feeds(batch)
        (found,) = self.session.run([output_name], features)
        if isinstance(found, list):  # skl2onnx's ZipMap: one {class: probability} per row
            raise ConfigError(
                f"output {output_name!r} is a list of maps, not a matrix; export the model "
                "with skl2onnx's options={id(model): {'zipmap': False}}",
                key_path=("params", "output_name"),
                value=output_name,
            )
        values = np.asarray(found, dtype=np.float32)
        if values.ndim != 2 or len(values) != len(batch):
            raise ConfigError(
                f"output {output_name!r} has shape {values.shape} for {len(batch)} rows; "
                "it must be N × classes",
                key_path=("params", "output_name"),
                value=output_name,
            )
        return values


def _only(names: list[str], param: str, what: str) -> str:
    if len(names) != 1:
        raise ConfigError(
            f"the graph has {len(names)} {what} {names}; name one", key_path=("params", param)
        )
    return names[0]


@register_model_type(
    "onnx",
    description="an ONNX graph run by ONNX Runtime (numeric feature matrix in, N × C out)",
    params={
        "path": Param("str", description="the .onnx file"),
        "output": Param(
            "str",
            default="probabilities",
            choices=("probabilities", "logits"),
            description="what the graph gives",
        ),
        "input_name": Param(
            "str", default=None, nullable=True, description="default: the graph's only input"
        ),
        "output_name": Param(
            "str",
            default=None,
            nullable=True,
            description="default: the graph's only float matrix output",
        ),
        "device": Param("str", default="cpu", choices=("cpu", "cuda", "auto")),
    },
)
def build_onnx(spec: PluginModelSpec, base_dir: Path) -> OnnxAdapter:
    return OnnxAdapter(spec, base_dir)
