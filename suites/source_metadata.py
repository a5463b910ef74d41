"""What a Hub dataset says about itself: the commit its files came from, and the license,
citation, homepage and card ``datasets`` and the dataset card record. Read from what
loading it left on disk (its Arrow cache files, the card in the Hub cache): nothing here
goes to the network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import datasets

from assay.suites.schema import HubSource

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
HUB_DATASETS = "https://huggingface.co/datasets"


@dataclass(frozen=True)
class SourceMetadata:
    """A source's own account of itself; None where it says nothing."""

    revision: str | None = None
    license: str | None = None
    citation: str | None = None
    homepage: str | None = None
    card: str | None = None


def hub_metadata(
    source: HubSource, loaded: datasets.Dataset, readme: Path | None = None
) -> SourceMetadata:
    """A Hub dataset's resolved commit (the folder ``datasets`` caches its files in is named
    by it) and its DatasetInfo's license, citation and homepage, else its card's
    (``readme``; by default the README.md the local Hub cache holds at that commit), with
    the card's link at that commit.

    Example:
        >>> import tempfile, pyarrow as pa
        >>> folder = Path(tempfile.mkdtemp()) / ("a" * 40)  # as datasets caches a Hub set
        >>> folder.mkdir()
        >>> table = pa.table({"x": [1]})
        >>> with pa.ipc.new_stream(folder / "set-test.arrow", table.schema) as stream:
        ...     stream.write_table(table)
        >>> loaded = datasets.Dataset.from_file(str(folder / "set-test.arrow"))
        >>> found = hub_metadata(HubSource(type="hub", path="org/set"), loaded)
        >>> found.revision == "a" * 40, found.card.endswith("org/set/tree/" + "a" * 40)
        (True, True)
    """
    if Path(source.path).expanduser().exists():  # a local folder read as a Hub layout
        return SourceMetadata(
            revision=source.revision,
            license=loaded.info.license or None,
            citation=loaded.info.citation or None,
            homepage=loaded.info.homepage or None,
        )
    revision = source.revision
    files = loaded.cache_files
    if files:
        folder = Path(files[0]["filename"]).parent.name
        if _COMMIT.match(folder):
            revision = folder
    info = loaded.info
    card_license = card_citation = None
    readme = readme if readme is not None else cached_readme(source, revision)
    if readme is not None and readme.is_file():
        card_license, card_citation = _card_fields(readme)
    link = f"{HUB_DATASETS}/{source.path}" + (f"/tree/{revision}" if revision else "")
    return SourceMetadata(
        revision=revision,
        license=(info.license or None) or card_license,
        citation=(info.citation or None) or card_citation,
        homepage=info.homepage or None,
        card=link,
    )


def cached_readme(source: HubSource, revision: str | None) -> Path | None:
    """The dataset card's README.md in the local Hub cache (loading put it there), or None."""
    from huggingface_hub import hf_hub_download

    try:
        found = hf_hub_download(
            source.path,
            "README.md",
            repo_type="dataset",
            revision=revision,
            local_files_only=True,
        )
    except Exception:  # not cached (or no card): the card says nothing then
        return None
    return Path(found)


def _card_fields(readme: Path) -> tuple[str | None, str | None]:
    """A card's license (its metadata's) and first BibTeX block (its citation)."""
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(readme)
    license_value = card.data.get("license")
    if isinstance(license_value, list):
        license_value = ", ".join(str(v) for v in license_value)
    bibtex = re.search(r"```(?:bibtex)?\s*\n(@\w+\{.*?)\n```", card.text, flags=re.DOTALL)
    return (str(license_value) if license_value else None), (bibtex.group(1) if bibtex else None)
