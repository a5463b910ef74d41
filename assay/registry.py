"""A small typed registry mapping names to entries (metrics, shifts, attacks, loaders).

Third-party packages add entries through a Python entry-point group (``assay.metrics``,
``assay.shifts``, ``assay.attacks``): each entry point names a module (or object) that,
when loaded, registers its entries the way assay's own modules do. Plugins load on the
registry's first lookup.

Example:
    >>> shapes: Registry[int] = Registry("shape")
    >>> shapes.add("square", 4)
    >>> shapes.get("square")
    4
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from importlib import metadata
from typing import Generic, TypeVar

from assay.errors import UnknownNameError, UserError

T = TypeVar("T")
# the distribution whose plugin module is being imported: entries added meanwhile (in any
# registry: one plugin module may add metrics and shifts) are recorded as its
_loading: list[str] = []
_PLUGIN_LOCK = threading.RLock()


class Registry(Generic[T]):
    """Names → entries, with "did you mean" errors for unknown names."""

    def __init__(self, kind: str, *, entry_points: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_points
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._plugins_loaded = entry_points is None
        self._plugins_loading = False
        self.plugins: dict[str, str] = {}  # entry name → the distribution that added it

    def add(self, name: str, entry: T, *, aliases: tuple[str, ...] = ()) -> None:
        """Register ``entry`` under ``name`` (and ``aliases``); names are unique."""
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is already registered")
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name
        defined_in = getattr(getattr(entry, "function", None), "__module__", None) or ""
        if _loading and not defined_in.startswith("assay."):
            self.plugins[name] = _loading[-1]

    def added(self, name: str) -> T | None:
        """The entry added under ``name`` so far (no plugin is loaded to find it)."""
        return self._entries.get(name)

    def load_plugins(self) -> None:
        """Load the entry points of this registry's group (once; a thread that asks while
        another loads them waits for it, so it never sees a half-filled registry)."""
        if self._plugins_loaded:
            return
        with _PLUGIN_LOCK:  # re-entrant: a plugin's own lookups run on the loading thread
            if self._plugins_loaded or self._plugins_loading:
                return
            self._plugins_loading = True
            try:
                self._load_entry_points()
            finally:
                self._plugins_loading = False
                self._plugins_loaded = True  # a plugin that failed is not retried

    def _load_entry_points(self) -> None:
        assert self.entry_point_group is not None
        for point in metadata.entry_points(group=self.entry_point_group):
            _loading.append(point.dist.name if point.dist is not None else point.value)
            try:
                point.load()
            except Exception as error:
                raise UserError(
                    f"plugin {point.name!r} ({point.value}, group {self.entry_point_group}) "
                    f"failed to load: {type(error).__name__}: {error}"
                ) from None
            finally:
                _loading.pop()

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (resolving aliases)."""
        self.load_plugins()
        resolved = self._aliases.get(name, name)
        if resolved not in self._entries:
            raise UnknownNameError(self.kind, name, self.names())
        return resolved

    def get(self, name: str) -> T:
        """The entry registered as ``name``; raises :class:`UnknownNameError` if none."""
        return self._entries[self.canonical(name)]

    def names(self) -> list[str]:
        """Registered names and aliases, sorted."""
        self.load_plugins()
        return sorted([*self._entries, *self._aliases])

    def __contains__(self, name: object) -> bool:
        self.load_plugins()
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        self.load_plugins()
        return iter(sorted(self._entries))

    def items(self) -> list[tuple[str, T]]:
        self.load_plugins()
        return sorted(self._entries.items())

    def registered(self) -> list[tuple[str, T]]:
        """Names and entries in the order they were registered."""
        self.load_plugins()
        return list(self._entries.items())
