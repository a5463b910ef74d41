"""Declared parameters: what a shift, attack (and later any registered object) accepts,
checked before any work with one message template, as scikit-learn's
``_parameter_constraints`` are.

Example:
    >>> severity = Param("int", default=1, low=1, high=5)
    >>> try:
    ...     check_params("gaussian_noise", {"severity": severity}, {"severity": 7})
    ... except InvalidInputError as error:
    ...     print(error)
    The 'severity' parameter of gaussian_noise must be an int in [1, 5]. Got 7 instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar, Literal

from assay.errors import InvalidInputError

REQUIRED: Any = object()
Kind = Literal["int", "number", "bool", "str", "columns", "weights", "ranges"]
_ARTICLE = {
    "int": "an int",
    "number": "a number",
    "bool": "true or false",
    "str": "a string",
    "columns": "a column name or a list of them",
    "weights": "a mapping of names to numbers >= 0, some above 0",
    "ranges": "a mapping of column names to [low, high] with low < high",
}


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, bounds (``low``/``high``, ``low_open`` to exclude the low
    end) or ``choices``, its default (``REQUIRED`` if none), whether None is allowed, and
    what it means."""

    kind: Kind
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[Any, ...] = field(default=())
    nullable: bool = False
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def expectation(self) -> str:
        """``an int in [1, 5]``, ``a number > 0``, ``one of 'column', 'global'``."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            text = _ARTICLE[self.kind]
            if self.low is not None and self.high is not None:
                text += f" in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
            elif self.low is not None:
                text += f" {'>' if self.low_open else '>='} {self.low:g}"
            elif self.high is not None:
                text += f" <= {self.high:g}"
        return text + (" or null" if self.nullable else "")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.choices:
            return value in self.choices
        # numbers.Integral / Real also take numpy scalars (np.int64(15) is a valid n_bins)
        kinds = {"int": (Integral,), "number": (Real,), "bool": (bool,), "str": (str,)}
        if self.kind == "columns":
            # names in a suite; matrix positions once resolved (or from Python)
            names = value if isinstance(value, list) else [value]
            return bool(names) and all(
                isinstance(n, str | Integral) and not isinstance(n, bool) for n in names
            )
        if self.kind == "weights":
            return _is_weights(value)
        if self.kind == "ranges":
            return _is_ranges(value)
        if isinstance(value, bool) and self.kind != "bool":
            return False
        if not isinstance(value, kinds[self.kind]):
            return False
        if self.kind in ("str", "bool"):
            return True
        number = float(value)  # type: ignore[arg-type]  # an Integral or Real here
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        return self.high is None or number <= self.high


def _is_weights(value: Any) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    numbers = list(value.values())
    if not all(isinstance(v, Real) and not isinstance(v, bool) for v in numbers):
        return False
    return all(float(v) >= 0 for v in numbers) and any(float(v) > 0 for v in numbers)


def _is_ranges(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    for pair in value.values():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return False
        if not all(isinstance(v, Real) and not isinstance(v, bool) for v in pair):
            return False
        if not float(pair[0]) < float(pair[1]):
            return False
    return True


def check_params(owner: str, declared: Mapping[str, Param], given: Mapping[str, Any]) -> None:
    """Refuse unknown, missing or out-of-range ``given`` params of ``owner``."""
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise InvalidInputError(f"{owner} has no parameter {name!r} (its parameters: {known})")
    missing = [name for name, param in declared.items() if param.required and name not in given]
    if missing:
        raise InvalidInputError(f"{owner} needs parameter(s) {', '.join(missing)}")
    for name, value in given.items():
        param = declared[name]
        if not param.accepts(value):
            raise InvalidInputError(
                f"The {name!r} parameter of {owner} must be {param.expectation()}. "
                f"Got {value!r} instead."
            )


class DeclaresParams:
    """A registry entry with declared parameters (a metric, shift, attack or model type):
    ``check`` refuses params it does not declare, or values outside their constraints."""

    kind: ClassVar[str]
    name: str
    params: Mapping[str, Param]

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidInputError` naming the parameter, the entry and the value."""
        check_params(f"{self.kind} {self.name!r}", self.params, params)
