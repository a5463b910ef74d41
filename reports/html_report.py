"""One self-contained HTML page: inline CSS, figures as inline PNG with alt text, real
tables with header cells, no script and nothing fetched. Every user string goes through
``html.escape``; flagged rows carry the word, not only a colour.

Example:
    >>> from assay.reports.sections import Section, TableData
    >>> page = html_page("r <b>", [Section("s", tables=[TableData("c", ("h",), [("<x>",)])])])
    >>> "&lt;x&gt;" in page and "<x>" not in page
    True
"""

from __future__ import annotations

import base64
from html import escape

from assay.reports.plot_style import Figure
from assay.reports.sections import Section, TableData

CSS = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2rem; color: #1a1a1a;
       background: #ffffff; line-height: 1.4; }
main { max-width: 80rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 1px solid #cccccc; }
table { border-collapse: collapse; margin: 0.75rem 0 1.5rem; font-size: 0.85rem; }
caption { text-align: left; font-style: italic; padding-bottom: 0.25rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.2rem 0.5rem; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #eef2f7; }
td:nth-child(-n+2) { overflow-wrap: normal; white-space: nowrap; }
tr.flagged td { background: #fde8e0; font-weight: bold; }
.verdict-failed { border-left: 0.4rem solid #b3261e; padding-left: 0.75rem; }
.verdict-passed { border-left: 0.4rem solid #1b6e3a; padding-left: 0.75rem; }
figure { display: inline-block; margin: 0 1rem 1rem 0; vertical-align: top; }
figcaption { font-size: 0.8rem; max-width: 32rem; }
img { max-width: 100%; height: auto; }
"""


def html_page(title: str, sections: list[Section], *, verdict: bool | None = None) -> str:
    """The page: the title, then each section in order (put the verdict first)."""
    body = [f"<h1>{escape(title)}</h1>"]
    for index, section in enumerate(sections):
        body.append(_section(section, index, verdict if index == 0 else None))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def _section(section: Section, index: int, verdict: bool | None) -> str:
    css = "" if verdict is None else f' class="verdict-{"passed" if verdict else "failed"}"'
    parts = [f'<section id="section-{index}"{css}>', f"<h2>{escape(section.title)}</h2>"]
    parts += [f"<p>{escape(line)}</p>" for line in section.text]
    parts += [_table(table) for table in section.tables]
    parts += [_figure(figure) for figure in section.figures]
    parts.append("</section>")
    return "\n".join(parts)


def _table(table: TableData) -> str:
    header = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in table.header)
    rows = []
    for index, row in enumerate(table.rows):
        css = ' class="flagged"' if index in table.flagged else ""
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        rows.append(f"<tr{css}>{cells}</tr>")
    return (
        f"<table>\n<caption>{escape(table.caption)}</caption>\n<thead><tr>{header}</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.alt)}">'
        f"<figcaption>{escape(figure.title)}</figcaption></figure>"
    )
