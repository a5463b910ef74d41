"""Numbers as every output writes them: in full (the shortest text that reads back as the
same float, ``repr``), never cut to a few places."""

from __future__ import annotations


def number(value: float | None) -> str:
    """A value in full (``repr``), or "too small" for a group left unscored.

    Example:
        >>> number(0.1 + 0.2), number(None)
        ('0.30000000000000004', 'too small')
    """
    return "too small" if value is None else repr(float(value))


def signed(value: float) -> str:
    """A difference in full with its sign.

    Example:
        >>> signed(0.1 + 0.2), signed(-0.25), signed(0.0)
        ('+0.30000000000000004', '-0.25', '+0.0')
    """
    return format(float(value), "+")


def percent(share: float) -> str:
    """A share as a percentage with every digit it has (floating-point noise beyond ten
    places dropped).

    Example:
        >>> percent(0.95), percent(0.975), percent(0.07)
        ('95%', '97.5%', '7%')
    """
    return repr(round(float(share) * 100, 10)).removesuffix(".0") + "%"
