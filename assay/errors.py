"""One error hierarchy for assay; the CLI maps each class to an exit code.

User-fixable problems (a broken suite, bad data, an unsafe artifact) are subclasses of
:class:`UserError` and exit with code 2; anything else that goes wrong while running is a
:class:`RunFailure` (exit 3).
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
            text += f" (got {short_repr(self.value)})"
        return text

    def with_file(self, file: str | Path) -> ConfigError:
        """Return a copy of this error that names ``file`` (if it names none yet)."""
        return self.within(file, ())

    def within(self, file: str | Path | None, prefix: Sequence[str | int]) -> ConfigError:
        """A copy placed in ``file`` under the key ``prefix``; an error that names its file
        already is placed and comes back as it is.

        Example:
            >>> str(ConfigError("not found", key_path=("checkpoint",), value="w.pt")
            ...     .within("s.yaml", ("models", 0)))
            "s.yaml: models[0].checkpoint: not found (got 'w.pt')"
        """
        if self.file is not None:
            return self
        copy = ConfigError.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.file = str(file) if file is not None else None
        copy.key_path = (*prefix, *self.key_path)
        Exception.__init__(copy, copy._render())
        return copy


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


# Library exceptions whose own message says nothing; their cause says what went wrong.
_GENERIC_WRAPPERS = {"DatasetGenerationError"}
_REASON_LIMIT = 400
_SHORT = reprlib.Repr()
_SHORT.maxlevel = 2
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 8
_SHORT.maxstring = _SHORT.maxother = 160
_SHORT.maxlong = 10**6  # never abbreviate a number


def short_repr(value: Any) -> str:
    """``repr`` of a value, with long containers and strings abbreviated at element
    boundaries (numbers are never cut), so a hostile value cannot flood a message.

    Example:
        >>> short_repr(list(range(100)))
        '[0, 1, 2, 3, 4, 5, 6, 7, ...]'
    """
    return _SHORT.repr(value)


def reason_of(error: BaseException) -> str:
    r"""What a library said went wrong, on one line: the first meaningful message along the
    exception's cause chain, whitespace folded, cut at a word boundary if very long.

    Example:
        >>> reason_of(ValueError("Error tokenizing data.\n  C error: Expected 5 fields"))
        'Error tokenizing data. C error: Expected 5 fields'
    """
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = " ".join(str(current).split())
        if text and type(current).__name__ not in _GENERIC_WRAPPERS:
            break
        current = current.__cause__ or current.__context__
    chosen = current if current is not None else error
    text = " ".join(str(chosen).split()) or type(chosen).__name__
    if isinstance(chosen, LookupError):  # their message is only the key: 'x'
        text = f"{type(chosen).__name__}: {text}"
    if len(text) > _REASON_LIMIT:
        text = text[:_REASON_LIMIT].rsplit(" ", 1)[0] + " …"
    return text


def is_out_of_memory(error: BaseException) -> bool:
    """MemoryError, or a framework's out-of-memory error (torch raises a RuntimeError).

    Example:
        >>> is_out_of_memory(RuntimeError("CUDA out of memory")), is_out_of_memory(ValueError())
        (True, False)
    """
    return isinstance(error, MemoryError) or "out of memory" in str(error).lower()


@contextmanager
def located(file: str | Path | None, key_path: Sequence[str | int], what: str) -> Iterator[None]:
    """Turn whatever goes wrong inside into one user error placed at ``file`` and
    ``key_path``: assay's own errors keep their message; a library's exception becomes
    ``what: <its reason>``. Interrupts, running out of memory and assay's runtime failures
    pass through (exit 3).

    Example:
        >>> try:
        ...     with located("s.yaml", ("datasets", 0, "source"), "cannot read 'a.csv'"):
        ...         raise ValueError("No columns to parse from file")
        ... except ConfigError as error:
        ...     print(error)
        s.yaml: datasets[0].source: cannot read 'a.csv': No columns to parse from file
    """
    try:
        yield
    except ConfigError as error:
        raise error.within(file, key_path) from None
    except UserError as error:
        # keep the class (an unsafe artifact stays one), add the place and what failed
        message = str(error) if str(error).startswith(what) else f"{what}: {error}"
        where = [str(file)] if file is not None else []
        if key_path:
            where.append(format_key_path(key_path))
        raise type(error)(": ".join([*where, message])) from None
    except AssayError:
        raise
    except Exception as error:
        if is_out_of_memory(error):
            raise  # the machine's limit, not the input's fault: a runtime failure (exit 3)
        message = f"{what}: {reason_of(error)}"
        raise ConfigError(message, file=file, key_path=key_path, show_value=False) from None
