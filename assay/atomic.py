"""Atomic writes and the clean-up of what killed writers leave behind.

Every file assay writes (reports, tags, verdicts, cached predictions) is first written under
a hidden temporary name that says which process wrote it, then renamed into place in one
step. A process killed mid-write leaves only such a hidden leftover; the next writer removes
leftovers whose process is gone (or that are a day old), and readers never list them.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SEPARATOR = "~"
STALE_SECONDS = 24 * 3600


def _host() -> str:
    return socket.gethostname().replace(SEPARATOR, "-")


def leftover_name(prefix: str, suffix: str = "") -> str:
    """A hidden name that records this host and process: ``.prefix~host~pid~token``.

    Example:
        >>> leftover_name("report.json", ".tmp").startswith(".report.json~")
        True
    """
    token = secrets.token_hex(4)
    return f".{prefix}{SEPARATOR}{_host()}{SEPARATOR}{os.getpid()}{SEPARATOR}{token}{suffix}"


def is_abandoned(path: Path, *, now: float | None = None) -> bool:
    """True for a leftover whose writer is gone: a process of this host that no longer
    runs, or anything older than a day (a writer on another host, or an unreadable name).
    """
    parts = path.name.split(SEPARATOR)
    try:
        age = (now if now is not None else time.time()) - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_SECONDS:
        return True
    if len(parts) != 4 or parts[1] != _host():
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    return not _process_runs(pid)


def _process_runs(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep(folder: Path, pattern: str) -> list[Path]:
    """Remove abandoned leftovers in ``folder`` matching ``pattern``; returns them."""
    import shutil

    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(pattern):
        if SEPARATOR in path.name and path.name.startswith(".") and is_abandoned(path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` to write to; renamed onto ``final`` on success,
    removed on failure.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "tag"
        >>> with atomic_path(target) as temporary:
        ...     _ = temporary.write_text("v1")
        >>> target.read_text(), [p.name for p in target.parent.iterdir()]
        ('v1', ['tag'])
    """
    temporary = final.parent / leftover_name(final.name, ".tmp")
    try:
        yield temporary
        if temporary.exists():
            temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(final: Path, text: str) -> None:
    """Write ``text`` to ``final`` through a synced temporary file and one rename."""
    with atomic_path(final) as temporary, temporary.open("w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
