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
from pathlib import Path
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    point, args = sys.argv[1], sys.argv[2:]
    if point == "report-json":
        import assay.reports.store as store

        def torn(path: Path, text: str) -> None:
            path.write_text(text[: len(text) // 2])
            die()

        store._write_synced = torn
    elif point == "store-rename":
        original_rename = Path.rename

        def rename(self: Path, target: Any) -> Any:
            if self.name.startswith(".staging-"):
                die()
            return original_rename(self, target)

        Path.rename = rename  # type: ignore[method-assign]
    elif point == "cache-put":
        import numpy as np

        def save(stream: Any, array: Any, *args: Any, **kwargs: Any) -> None:
            stream.write(b"\x93NUMPY half")
            stream.flush()
            die()

        np.save = save
    elif point == "tag":
        original_replace = Path.replace

        def replace(self: Path, target: Any) -> Any:
            if self.name.endswith(".tmp"):
                die()
            return original_replace(self, target)

        Path.replace = replace  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown kill point {point!r}")
    from assay.runners.cli import main as cli

    sys.argv = ["assay", *args]
    cli()


if __name__ == "__main__":
    main()
