"""A small typed registry mapping names to entries (metrics, shifts, attacks, loaders).

Example:
    >>> shapes: Registry[int] = Registry("shape")
    >>> shapes.add("square", 4)
    >>> shapes.get("square")
    4
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from assay.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names → entries, with "did you mean" errors for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, entry: T, *, aliases: tuple[str, ...] = ()) -> None:
        """Register ``entry`` under ``name`` (and ``aliases``); names are unique."""
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is already registered")
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (resolving aliases)."""
        resolved = self._aliases.get(name, name)
        if resolved not in self._entries:
            raise UnknownNameError(self.kind, name, self.names())
        return resolved

    def get(self, name: str) -> T:
        """The entry registered as ``name``; raises :class:`UnknownNameError` if none."""
        return self._entries[self.canonical(name)]

    def names(self) -> list[str]:
        """Registered names and aliases, sorted."""
        return sorted([*self._entries, *self._aliases])

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def registered(self) -> list[tuple[str, T]]:
        """Names and entries in the order they were registered."""
        return list(self._entries.items())
