"""The report store: one folder per run, written atomically, never overwritten.

Layout: ``<store>/<UTC timestamp>-<suite>-<run id prefix>/report.json`` beside
``predictions.parquet``; folder names sort by time. The default store is ``.assay/reports``
under the working directory (or ``$ASSAY_STORE``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa

from assay.errors import InvalidInputError, UserError
from assay.hashing import hash_file
from assay.reports.predictions import write_predictions
from assay.reports.schema import PredictionsRecord, Report, parse_report

REPORT_FILE = "report.json"
PREDICTIONS_FILE = "predictions.parquet"


def default_store() -> Path:
    """``$ASSAY_STORE`` if set, else ``.assay/reports`` in the working directory."""
    return Path(os.environ.get("ASSAY_STORE", ".assay/reports"))


def report_folder_name(report: Report) -> str:
    """``20261126T144517123456Z-digits-demo-1a2b3c4d`` (sorts by creation time)."""
    stamp = report.created_at.replace("-", "").replace(":", "").replace(".", "")
    stamp = stamp.replace("+0000", "Z").replace("+00:00", "Z")
    return f"{stamp}-{report.suite.name}-{report.run_id[:8]}"


class ReportStore:
    """Writes and finds reports under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, report: Report, predictions: pa.Table) -> Path:
        """Write both files into a hidden folder, then rename it into place in one step."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / report_folder_name(report)
        if final.exists():
            raise UserError(f"{final} already exists; reports are never overwritten")
        staging = self.root / f".staging-{report.run_id}"
        staging.mkdir()
        try:
            predictions_path = staging / PREDICTIONS_FILE
            write_predictions(predictions, predictions_path)
            record = PredictionsRecord(
                file=PREDICTIONS_FILE, sha256=hash_file(predictions_path), rows=predictions.num_rows
            )
            sealed = report.model_copy(update={"predictions": record})
            _write_synced(staging / REPORT_FILE, sealed.model_dump_json(indent=2) + "\n")
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return final

    def folders(self) -> list[Path]:
        """Report folders, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if (p / REPORT_FILE).is_file())

    def resolve(self, reference: str) -> Path:
        """A report folder from a path, ``latest``, a folder name or a run-id prefix."""
        as_path = Path(reference)
        if as_path.is_file() and as_path.name == REPORT_FILE:
            return as_path.parent
        if (as_path / REPORT_FILE).is_file():
            return as_path
        folders = self.folders()
        if reference == "latest" and folders:
            return folders[-1]
        matches = [
            p
            for p in folders
            if p.name == reference
            or (len(reference) >= 4 and p.name.rsplit("-", 1)[-1].startswith(reference))
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UserError(f"report reference {reference!r} is ambiguous in {self.root}")
        raise UserError(f"no report {reference!r} (looked at the path and in {self.root})")


def load_report(folder: Path) -> Report:
    """Read and validate ``folder/report.json``."""
    path = folder / REPORT_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"{path}: cannot read report ({error})") from None
    return parse_report(data, str(path))


def _write_synced(path: Path, text: str) -> None:
    with path.open("w") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
