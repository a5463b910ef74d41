"""Run the assay CLI and SIGKILL this process at a named point of a write.

``python -m tests.hardening.kill_at POINT assay-args...``, POINT one of:
``report-json`` (half of report.json written in the staging folder), ``store-rename`` (both
files staged, before the rename), ``cache-put`` (a cached array half written), ``tag`` (a
tag's temporary file written, before its rename).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_before(owner: type, method: str, when: Callable[[Any], bool]) -> None:
    """Patch ``owner.method`` to SIGKILL the process when called on a matching object."""
    original = getattr(owner, method)

    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        if when(self):
            die()
        return original(self, *args, **kwargs)

    setattr(owner, method, patched)


def main() -> None:
    point, args = sys.argv[1], sys.argv[2:]
    if point == "report-json":
        import assay.reports.store as store

        def torn(path: Path, text: str) -> None:
            path.write_text(text[: len(text) // 2])
            die()

        store._write_synced = torn
    elif point == "store-rename":
        die_before(Path, "rename", lambda path: path.name.startswith(".staging-"))
    elif point == "cache-put":
        import numpy as np

        def save(stream: Any, array: Any, *args: Any, **kwargs: Any) -> None:
            stream.write(b"\x93NUMPY half")
            stream.flush()
            die()

        np.save = save
    elif point == "tag":
        die_before(Path, "replace", lambda path: path.name.endswith(".tmp"))
    else:
        raise SystemExit(f"unknown kill point {point!r}")
    from assay.runners.cli import main as cli

    sys.argv = ["assay", *args]
    cli()


if __name__ == "__main__":
    main()
