"""Dependencies point one way: metrics ← suites ← runners → reports (reports never runners)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "metrics": {"assay.suites", "assay.runners", "assay.reports"},
    "suites": {"assay.runners", "assay.reports"},
    "reports": {"assay.runners", "assay.suites"},
    "assay": {"assay.runners", "assay.reports", "assay.suites", "assay.metrics"},
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_against_the_flow(folder: str) -> None:
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if folder == "assay" and path.parent.name == "demo":
            continue  # the demo's training script may use anything
        if folder == "assay" and path.name == "__main__.py":
            continue  # `python -m assay` is the command line's entry point
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN[folder]):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_root_package_reexports_the_api_lazily() -> None:
    """``assay/__init__.py`` imports no subsystem (``import assay`` stays light) and names
    exactly one module to re-export from: the Python API."""
    init = ROOT / "assay" / "__init__.py"
    assert not any(m.startswith("assay.") and m != "assay._version" for m in imported_modules(init))
    assert '_API = "assay.runners.api"' in init.read_text()
