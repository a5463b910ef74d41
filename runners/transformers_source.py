"""Where a ``transformers`` model comes from, and what may load from there: a local folder
written by ``save_pretrained`` or a Hub id at a pinned revision; safetensors weights only
(pickled ``.bin`` files need ``trusted: true``); no code from the checkpoint unless
``trust_remote_code: true``.

Reading ``config.json`` (from the folder, or the one file fetched into the Hub cache) needs
no transformers import: the label names and the fingerprint are known before (and without)
loading the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from assay.errors import ConfigError, UnsafeArtifactError, located
from assay.hashing import hash_file, hash_value
from assay.runners.adapters import package_version
from assay.suites.sources import resolve_path

PICKLED_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "training_args.bin")
SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


@dataclass(frozen=True)
class CheckpointSource:
    """A checkpoint's location and the trust the suite grants it.

    Example:
        >>> try:
        ...     CheckpointSource("org/model", None, Path("."), False, False).check()
        ... except ConfigError as error:
        ...     print(error.key_path)
        ('params', 'revision')
    """

    path: str
    revision: str | None
    base_dir: Path
    trusted: bool
    trust_remote_code: bool

    @cached_property
    def folder(self) -> Path | None:
        """The local folder, or None for a Hub id."""
        local = resolve_path(self.path, self.base_dir)
        return local if local.is_dir() else None

    @property
    def location(self) -> str:
        """What ``from_pretrained`` is given."""
        return str(self.folder) if self.folder is not None else self.path

    def check(self) -> None:
        """Refuse an unpinned Hub id, pickled weights and checkpoint code not trusted."""
        if self.folder is None and not self.revision:
            raise ConfigError(
                f"{self.path!r} is not a folder beside the suite, so it is read as a Hub "
                "id, which needs a pinned revision (a commit hash or tag)",
                key_path=("params", "revision"),
                show_value=False,
            )
        if self.folder is not None:
            files = {p.name for p in self.folder.iterdir()}
            if not files & set(SAFE_WEIGHTS) and not self.trusted:
                pickled = sorted(files & set(PICKLED_WEIGHTS)) or ["no safetensors weights"]
                raise UnsafeArtifactError(
                    f"{self.folder}: {', '.join(pickled)} — pickled weights run code when "
                    "loaded; save the model again with save_pretrained (safetensors) or "
                    "set 'trusted: true' in the model's params if you trust this checkpoint"
                )
        if self.config.get("auto_map") and not self.trust_remote_code:
            raise UnsafeArtifactError(
                f"{self.location}: config.json names its own code (auto_map), which would run "
                "on load; set 'trust_remote_code: true' in the model's params if you trust it"
            )

    @cached_property
    def config(self) -> dict[str, Any]:
        """config.json, read as JSON: from the folder, or (a Hub id) the one file fetched
        into the Hub cache at the pinned revision, without importing transformers."""
        path = self.config_file
        if not path.is_file():
            raise ConfigError(
                f"{self.location} has no config.json (not a save_pretrained folder)",
                key_path=("params", "path"),
                value=self.path,
            )
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(
                f"{path} is not valid JSON: {error}", key_path=("params", "path"), show_value=False
            ) from None
        if not isinstance(config, dict):
            raise ConfigError(f"{path} is not a JSON object", key_path=("params", "path"))
        return config

    @cached_property
    def config_file(self) -> Path:
        """Where config.json is (a Hub id's is fetched once, into the Hub cache)."""
        if self.folder is not None:
            return self.folder / "config.json"
        from huggingface_hub import hf_hub_download

        with located(None, ("params", "path"), f"cannot fetch config.json of {self.path!r}"):
            return Path(hf_hub_download(self.path, "config.json", revision=self.revision))

    def label_names(self) -> tuple[str, ...] | None:
        """``config.id2label`` in output order, when the folder's config names labels."""
        id2label = self.config.get("id2label")
        if not isinstance(id2label, dict) or not id2label:
            return None
        try:
            by_index = {int(k): str(v) for k, v in id2label.items()}
        except ValueError:
            raise ConfigError(
                "config.json's id2label keys must be output indices",
                key_path=("params", "path"),
                value=sorted(id2label)[:5],
            ) from None
        if sorted(by_index) != list(range(len(by_index))):
            raise ConfigError(
                "config.json's id2label must number the outputs 0..C-1",
                key_path=("params", "path"),
                value=sorted(by_index),
            )
        return tuple(by_index[i] for i in range(len(by_index)))

    def fingerprint(self, settings: dict[str, Any]) -> str:
        """Every file of a local folder (weights, config, tokenizer), or the Hub id and the
        commit its revision names, with the settings and the versions that compute the
        outputs."""
        if self.folder is not None:
            with located(None, ("params", "path"), f"cannot read {self.path!r}"):
                origin: dict[str, Any] = {
                    str(p.relative_to(self.folder)): hash_file(p)
                    for p in sorted(self.folder.rglob("*"))
                    if p.is_file()
                }
        else:  # the commit the revision resolved to (a tag can move; a commit cannot)
            origin = {"hub": self.path, "commit": self.config_file.parent.name}
        return hash_value(
            {
                "type": "transformers",
                "origin": origin,
                "settings": settings,
                "transformers": package_version("transformers"),
                "tokenizers": package_version("tokenizers"),
                "torch": package_version("torch"),
            }
        )
