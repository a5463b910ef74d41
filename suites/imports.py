"""Resolve ``module:attribute`` import paths named in a suite."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from assay.errors import ConfigError, UserError, located


def import_object(path: str) -> Any:
    """Import ``module:attr.sub`` and return the object.

    Example:
        >>> import_object("math:sqrt")(9.0)
        3.0
    """
    module_name, _, attribute = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise UserError(f"cannot import module {module_name!r} (from {path!r}): {error}") from error
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise UserError(f"module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    return target


def call_with_params(target: Any, params: dict[str, Any], *, key: str = "params") -> Any:
    """Call ``target(**params)`` after checking the params against its signature, so a
    misspelt or missing parameter is named (under ``key``) rather than failing inside; what
    the call itself raises becomes a user error naming the target and the reason.

    Example:
        >>> call_with_params(dict, {"a": 1})
        {'a': 1}
        >>> try:
        ...     call_with_params(lambda n: n, {"m": 1})
        ... except ConfigError as error:
        ...     print(error.reason)
        these params do not fit <lambda>(n): unexpected keyword argument 'm'
    """
    name = getattr(target, "__name__", type(target).__name__)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        signature = None
    if signature is not None:
        problem = _params_problem(signature, params)
        if problem:
            raise ConfigError(
                f"these params do not fit {name}{signature}: {problem}",
                key_path=(key,),
                value=params,
            )
    with located(None, (), f"{name} failed"):
        return target(**params)


def _params_problem(signature: inspect.Signature, params: dict[str, Any]) -> str | None:
    """Unknown names first (the likelier typo), then whatever else binding finds."""
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        unknown = [k for k in params if k not in signature.parameters]
        if unknown:
            return f"unexpected keyword argument {unknown[0]!r}"
    try:
        signature.bind(**params)
    except TypeError as error:
        return str(error)
    return None
