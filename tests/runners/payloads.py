"""Harmless pickle payloads: loading them would create a marker file."""

from __future__ import annotations

from pathlib import Path


def touch(path: str) -> None:
    Path(path).write_text("payload ran")


class MarkerPayload:
    """Unpickling this calls ``touch(marker)`` — the kind of code a pickle can run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple:
        return (touch, (self.marker,))
