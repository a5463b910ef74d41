"""One escaping function per output format, for every user-given string (names, slice
values, paths) that assay writes: user strings are data and no renderer may interpret them.

- :func:`terminal`: control characters (newlines, ANSI escapes) shown as ``\\n``, ``\\x1b``.
- :func:`markdown`: GitHub-flavoured Markdown text or table cell: every ASCII punctuation
  character backslash-escaped, ``<``/``>``/``&`` as entities, line breaks as ``<br>``.
- :func:`workflow_message` / :func:`workflow_property`: GitHub Actions workflow commands.
- :func:`xml_text`: characters XML 1.0 cannot hold, shown as ``\\x01`` (ElementTree escapes
  ``<``, ``&`` and quotes itself).
"""

from __future__ import annotations

import re
import string

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char, f"\\x{ord(char):02x}")


def terminal(text: str) -> str:
    """``text`` safe to print: no control character reaches the terminal.

    Example:
        >>> terminal("a\\nb\\x1b[31m")
        'a\\\\nb\\\\x1b[31m'
    """
    return _CONTROL.sub(_visible, text)


_MARKDOWN_PUNCTUATION = set(string.punctuation) - set("<>&")
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown(text: str) -> str:
    """``text`` as literal GFM inline text, fit for a table cell.

    Example:
        >>> markdown("a|b [x] :warning:")
        'a\\\\|b \\\\[x\\\\] \\\\:warning\\\\:'
    """
    parts = []
    for char in text.replace("\r\n", "\n"):
        if char in _MARKDOWN_PUNCTUATION:
            parts.append("\\" + char)
        elif char in _MARKDOWN_ENTITIES:
            parts.append(_MARKDOWN_ENTITIES[char])
        elif char in "\n\r":
            parts.append("<br>")
        elif char == "\t":
            parts.append("&#9;")
        elif _CONTROL.fullmatch(char):
            parts.append(f"\\x{ord(char):02x}")
        else:
            parts.append(char)
    return "".join(parts)


def workflow_message(text: str) -> str:
    """The message of a workflow command (``::error::MESSAGE``), escaped as GitHub's
    runner unescapes it.

    Example:
        >>> workflow_message("100% done\\nnext")
        '100%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (``::error title=VALUE::``).

    Example:
        >>> workflow_property("a: b, c")
        'a%3A b%2C c'
    """
    return workflow_message(text).replace(":", "%3A").replace(",", "%2C")


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` holding only characters XML 1.0 allows (the rest shown as ``\\x01``).

    Example:
        >>> xml_text("a\\x00b")
        'a\\\\x00b'
    """
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
