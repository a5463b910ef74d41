"""The same sections as GitHub-flavoured Markdown (a pull-request comment, a step summary):
every cell through :func:`assay.reports.escaping.markdown`, figures left to the HTML page.

Example:
    >>> from assay.reports.sections import Section, TableData
    >>> print(markdown_page("t", [Section("s", tables=[TableData("c", ("a",), [("x|y",)])])]))
    # t
    <BLANKLINE>
    ## s
    <BLANKLINE>
    | a |
    |---|
    | x\\|y |
    <BLANKLINE>
"""

from __future__ import annotations

from assay.reports.escaping import markdown as escape
from assay.reports.sections import Section, TableData


def markdown_page(title: str, sections: list[Section]) -> str:
    lines = [f"# {escape(title)}", ""]
    for section in sections:
        lines += [f"## {escape(section.title)}", ""]
        for text in section.text:
            lines += [escape(text), ""]
        for table in section.tables:
            lines += [*markdown_table(table), ""]
    return "\n".join(lines)


def markdown_table(table: TableData) -> list[str]:
    """A GFM table, every cell escaped; flagged rows in bold."""
    lines = ["| " + " | ".join(escape(c) for c in table.header) + " |"]
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    for index, row in enumerate(table.rows):
        cells = [escape(c) for c in row]
        if index in table.flagged:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
