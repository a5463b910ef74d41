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
import pyarrow.parquet as pq

from assay.atomic import leftover_name, sweep, write_text_atomically
from assay.errors import InvalidInputError, UnknownNameError, UserError
from assay.hashing import hash_file
from assay.reports.predictions import write_predictions
from assay.reports.schema import PredictionsRecord, Report, parse_report, seal_matches

REPORT_FILE = "report.json"
TAGS_FOLDER = "tags"
PREDICTIONS_FILE = "predictions.parquet"


def default_store() -> Path:
    """``$ASSAY_STORE`` if set, else ``.assay/reports`` in the working directory."""
    return Path(os.environ.get("ASSAY_STORE", ".assay/reports"))


def folder_suite(folder_name: str) -> str:
    """The suite name inside a report folder name (``<stamp>-<suite>-<run id prefix>``).

    Example:
        >>> folder_suite("20261126T144517123456Z-digits-demo-1a2b3c4d")
        'digits-demo'
    """
    return folder_name.split("-", 1)[-1].rsplit("-", 1)[0]


def report_folder_name(report: Report) -> str:
    """``20261126T144517123456Z-digits-demo-1a2b3c4d`` (sorts by creation time)."""
    stamp = report.created_at.replace("-", "").replace(":", "").replace(".", "")
    stamp = stamp.replace("+0000", "Z").replace("+00:00", "Z")
    return f"{stamp}-{report.suite.name}-{report.run_id[:8]}"


class ReportStore:
    """Writes and finds reports under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, report: Report, predictions: pa.Table | Path) -> Path:
        """Write both files into a hidden folder, then rename it into place in one step.

        ``predictions`` is the table, or a Parquet file already holding it (copied as is: a
        rerun whose predictions and scores come from the cache). Staging folders left by
        killed writers are removed first (see :mod:`assay.atomic`).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        final = self.root / report_folder_name(report)
        if final.exists():
            raise UserError(f"{final} already exists; reports are never overwritten")
        staging = self.root / leftover_name(f"staging-{report.run_id[:8]}")
        staging.mkdir()
        try:
            predictions_path = staging / PREDICTIONS_FILE
            if isinstance(predictions, Path):
                shutil.copyfile(predictions, predictions_path)
                rows = pq.ParquetFile(predictions_path).metadata.num_rows
            else:
                write_predictions(predictions, predictions_path)
                rows = predictions.num_rows
            record = PredictionsRecord(
                file=PREDICTIONS_FILE, sha256=hash_file(predictions_path), rows=rows
            )
            with_predictions = report.model_copy(update={"predictions": record})
            sealed = with_predictions.model_copy(
                update={"content_sha256": with_predictions.content_hash()}
            )
            _write_synced(staging / REPORT_FILE, sealed.model_dump_json(indent=2) + "\n")
            staging.rename(final)
            _sync_folder(self.root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return final

    def sweep(self) -> list[Path]:
        """Remove what killed writers left: staging folders, tag and verdict temporaries."""
        removed = sweep(self.root, ".staging-*")
        for folder in (TAGS_FOLDER, "verdicts"):
            removed += sweep(self.root / folder, ".*.tmp")
        return removed

    def tags(self) -> dict[str, str]:
        """Tag → report folder name."""
        folder = self.root / TAGS_FOLDER
        if not folder.is_dir():
            return {}
        return {
            p.name: p.read_text().strip()
            for p in sorted(folder.iterdir())
            if not p.name.startswith(".")
        }

    def folders(self) -> list[Path]:
        """Report folders, oldest first; hidden (staging) folders are not reports yet."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.iterdir()
            if not p.name.startswith(".") and (p / REPORT_FILE).is_file()
        )

    def resolve(self, reference: str) -> Path:
        """A report folder from a path, ``latest``, ``latest:SUITE`` (the newest report of
        that suite), a tag, a folder name or a run-id prefix."""
        as_path = Path(reference)
        if as_path.is_file() and as_path.name == REPORT_FILE:
            return as_path.parent
        if (as_path / REPORT_FILE).is_file():
            return as_path
        folders = self.folders()
        if reference == "latest" and folders:
            return folders[-1]
        if reference.startswith("latest:"):
            suite = reference.removeprefix("latest:")
            of_suite = [p for p in folders if folder_suite(p.name) == suite]
            if not of_suite:
                known = {folder_suite(p.name) for p in folders}
                raise UnknownNameError(f"suite (stored in {self.root})", suite, known)
            return of_suite[-1]
        tag = self.root / TAGS_FOLDER / reference
        if tag.is_file() and (self.root / tag.read_text().strip() / REPORT_FILE).is_file():
            return self.root / tag.read_text().strip()
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


def load_report(folder: Path, *, verify_predictions: bool = False) -> Report:
    """Read ``folder/report.json``, refusing one edited since it was written.

    Reports carry the sha256 of their own content (and of their predictions file, checked
    with ``verify_predictions``); reports from before sealing load unverified.
    """
    path = folder / REPORT_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{path}: cannot read report ({error})") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: not an assay report (not a JSON object)")
    if not seal_matches(data):
        raise InvalidInputError(
            f"{path} was modified after it was written (content hash "
            "mismatch); reports are immutable"
        )
    report = parse_report(data, str(path))
    if verify_predictions:
        predictions = folder / report.predictions.file
        if hash_file(predictions) != report.predictions.sha256:
            raise InvalidInputError(f"{predictions} does not match the hash in {path}")
    return report


def tag_report(store: ReportStore, reference: str, tag: str) -> Path:
    """Point ``tag`` (e.g. ``baseline``) at a report; a tag can be moved, a report not."""
    if not tag.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError(f"tag {tag!r} must be letters, digits, '-', '_' or '.'")
    folder = store.resolve(reference)
    store.sweep()
    tags = store.root / TAGS_FOLDER
    tags.mkdir(parents=True, exist_ok=True)
    write_text_atomically(tags / tag, folder.name + "\n")
    return folder


def _sync_folder(folder: Path) -> None:
    """fsync a folder so a rename into it survives a crash (where the OS allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
