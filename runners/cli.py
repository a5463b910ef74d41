"""The ``assay`` command line: the app, its commands (one module per group) and ``main``.

Exit codes: 0 ok, 1 regression found (``gate``), 2 usage or input error (one line, no
traceback), 3 runtime failure.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay._version import __version__
from assay.demo import demo_help
from assay.errors import UserError
from assay.runners import cli_gate, cli_publish, cli_reports, cli_suites
from assay.runners.cli_output import err, out

app = typer.Typer(
    name="assay",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts hold literal brackets: [default: ...]
    help="Evaluate classifiers before they ship: suites in, versioned reports out.",
)


def _version(value: bool) -> None:
    if value:
        out.print(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="show the version")
    ] = False,
) -> None:
    """Evaluate classifiers before they ship."""


app.command()(cli_suites.run)
app.command(help=f"Run a demo suite shipped with assay (offline).\n\n{demo_help()}")(
    cli_suites.demo
)
app.command()(cli_gate.gate)
app.command()(cli_suites.validate)
app.command()(cli_suites.schema)
app.command()(cli_reports.compare)
app.command()(cli_reports.power)
app.command()(cli_reports.tag)
app.command()(cli_reports.history)
app.command()(cli_reports.metrics)
app.command()(cli_reports.show)
app.command()(cli_publish.report)
app.command()(cli_publish.plot)
app.command()(cli_publish.card)
app.command()(cli_reports.plugins)


def main() -> None:
    """Console-script entry point."""
    try:
        # without standalone mode click returns a command's exit code instead of exiting
        code = app(standalone_mode=False)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except typer.Abort:
        sys.exit(130)
    except UserError as error:  # pragma: no cover - commands convert these already
        err.print(f"error: {error}")
        sys.exit(2)
    except Exception as error:
        # click's usage errors (typer may vendor click, so match by behaviour, not class)
        if hasattr(error, "show") and hasattr(error, "exit_code"):
            error.show()
            sys.exit(2)
        raise
    sys.exit(code if isinstance(code, int) else 0)
