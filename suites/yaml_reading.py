"""YAML for suites: safe tags only, duplicate keys refused, ``version`` kept as written.

PyYAML's ``safe_load`` silently keeps the last of two equal keys and reads ``version: 1.10``
as the float 1.1; a suite is a record of what ran, so both are refused or kept verbatim here.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_DEPTH = 64  # suites are a few levels deep; deeper input is hostile or a mistake
VERBATIM_KEYS = frozenset({"version"})
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


class DuplicateKeyError(yaml.MarkedYAMLError):
    """Two equal keys in one mapping."""


class TooDeepError(yaml.MarkedYAMLError):
    """Collections nested deeper than :data:`MAX_DEPTH`."""


class SuiteLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys and over-deep nesting, and keeps the text
    of scalar ``version`` values (``1.10`` stays ``"1.10"``)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooDeepError(
                    problem=f"nested too deeply (more than {MAX_DEPTH} levels)",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key; construct_mapping names it below
                    break
                if duplicate:
                    raise DuplicateKeyError(
                        problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                    )
                seen.add(key)
                if (
                    key in VERBATIM_KEYS
                    and isinstance(value_node, ScalarNode)
                    and value_node.tag in _NUMBER_TAGS
                ):
                    value_node.tag = "tag:yaml.org,2002:str"
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def load_suite_yaml(raw: bytes) -> Any:
    """Parse suite YAML bytes with :class:`SuiteLoader`.

    Example:
        >>> load_suite_yaml(b"version: 1.10\\nseed: 1")
        {'version': '1.10', 'seed': 1}
    """
    return yaml.load(raw, Loader=SuiteLoader)
