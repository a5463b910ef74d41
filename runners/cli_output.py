"""What every command shares: the two consoles, the store and cache options, one-line
errors with exit codes, quiet libraries, and output paths checked before any work."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from assay.errors import AssayError, UserError
from assay.reports.escaping import terminal


def console_width(stream: Any) -> int | None:
    """A terminal's own width; elsewhere (pipes, CI logs) $COLUMNS if set, else no limit to
    speak of, so tables keep their natural width and no number is ever cut."""
    if stream.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else UNLIMITED_WIDTH


UNLIMITED_WIDTH = 100_000

# No markup, emoji or highlighting anywhere: tables and messages show user-given strings such
# as the slice cell `digits [site=a]` or a value `:warning:`, which must print as they are.
out = Console(highlight=False, markup=False, emoji=False, width=console_width(sys.stdout))
err = Console(
    stderr=True, highlight=False, markup=False, emoji=False, width=console_width(sys.stderr)
)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="report store folder [default: $ASSAY_STORE or .assay/reports]"),
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="prediction cache [default: $ASSAY_CACHE or .assay/cache]"),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="ignore and skip the cache")]
ExecutorOption = Annotated[
    str | None,
    typer.Option("--executor", help="local or ray [default: the suite's executor, else local]"),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address", help="ray: a cluster's address; unset: a private local instance on loopback"
    ),
]

IGNORE_ALL = "# written by assay: reports and caches, not source\n*\n"


def keep_out_of_git(folder: Path) -> None:
    """Create ``.assay/`` (the default home of reports and cache) with a ``.gitignore``
    that ignores it, as pytest does for its cache; an existing folder is left as it is."""
    if folder.exists():
        return
    folder.mkdir(parents=True)
    (folder / ".gitignore").write_text(IGNORE_ALL)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Print user errors as one line (exit 2) and failures with their cause (exit 3)."""
    try:
        yield
    except AssayError as error:
        print_error("error:", str(error))
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if os.environ.get("ASSAY_DEBUG"):
            traceback.print_exc()
        print_error("runtime failure:", f"{type(error).__name__}: {error}")
        err.print("(set ASSAY_DEBUG=1 for the traceback)")
        raise typer.Exit(3) from None


def print_error(label: str, message: str) -> None:
    """One line: the label in red, the message as plain text with control characters
    shown escaped (a newline in a value cannot split the line, nor markup be read)."""
    err.print(Text.assemble((label, "bold red"), " ", terminal(message)), soft_wrap=True)


def quiet_libraries() -> None:
    """No library progress bars or log lines: a file datasets cannot read is reported once,
    as assay's own one-line error naming the file (ASSAY_DEBUG=1 keeps the logs)."""
    import datasets

    datasets.disable_progress_bars()
    if not os.environ.get("ASSAY_DEBUG"):
        datasets.logging.set_verbosity(datasets.logging.CRITICAL + 1)


def prepare_output(option: str, path: Path | None, *, folder: bool) -> None:
    """Before any work: an output's folder exists (made if need be) and the path is not
    taken by the wrong kind of entry, so a bad path cannot fail after the run is stored."""
    if path is None:
        return
    parent = path if folder else path.parent
    if not folder and path.is_dir():
        raise UserError(f"{option} {path}: is a folder; give a file path")
    if folder and path.exists() and not path.is_dir():
        raise UserError(f"{option} {path}: is a file; give a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{option} {path}: cannot create {parent} ({error.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise UserError(f"{option} {path}: {parent} is not writable")
