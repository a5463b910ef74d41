"""One error hierarchy for assay; the CLI maps each class to an exit code.

User-fixable problems (a broken suite, bad data, an unsafe artifact) are subclasses of
:class:`UserError` and exit with code 2; anything else that goes wrong while running is a
:class:`RunFailure` (exit 3).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class AssayError(Exception):
    """Base class of every error assay raises on purpose."""

    exit_code: int = 3


class UserError(AssayError):
    """An error the user can fix by changing the suite, the data or the command line."""

    exit_code = 2


class ConfigError(UserError):
    """A suite file is malformed; names the file, the key path and the bad value.

    Example:
        >>> str(ConfigError("must be an int >= 1", file="s.yaml", key_path=("metrics", 0), value=0))
        's.yaml: metrics[0]: must be an int >= 1 (got 0)'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key_path: Sequence[str | int] = (),
        value: Any = None,
        show_value: bool = True,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.key_path = tuple(key_path)
        self.value = value
        self.reason = message
        self.show_value = show_value
        super().__init__(self._render())

    def _render(self) -> str:
        where = [self.file] if self.file else []
        if self.key_path:
            where.append(format_key_path(self.key_path))
        text = ": ".join([*where, self.reason])
        if self.show_value:
            text += f" (got {self.value!r})"
        return text

    def with_file(self, file: str | Path) -> ConfigError:
        """Return a copy of this error that names ``file``."""
        return ConfigError(
            self.reason,
            file=file,
            key_path=self.key_path,
            value=self.value,
            show_value=self.show_value,
        )


class UnknownNameError(ConfigError):
    """A name (metric, shift, attack, model type, loader) is not registered."""

    def __init__(
        self,
        kind: str,
        name: str,
        known: Iterable[str],
        *,
        file: str | Path | None = None,
        key_path: Sequence[str | int] = (),
    ) -> None:
        known_sorted = sorted(known)
        close = difflib.get_close_matches(name, known_sorted, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown {kind} {name!r}{hint} Known: {', '.join(known_sorted)}"
        self.kind = kind
        self.name = name
        super().__init__(message, file=file, key_path=key_path, value=name, show_value=False)

    def with_file(self, file: str | Path) -> ConfigError:
        err = ConfigError(self.reason, file=file, key_path=self.key_path, show_value=False)
        err.value = self.value
        return err


class InvalidInputError(UserError):
    """Data or model output is unusable: wrong shape, NaN probabilities, unknown labels."""


class UnsafeArtifactError(UserError):
    """Loading an artifact would execute code (pickle) and the suite does not trust it."""


class RunFailureError(AssayError):
    """Something failed while running a suite that is not the user's input."""


def format_key_path(key_path: Sequence[str | int]) -> str:
    """Render ``("datasets", 1, "source")`` as ``datasets[1].source``.

    Example:
        >>> format_key_path(("datasets", 1, "source", "path"))
        'datasets[1].source.path'
    """
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
