"""YAML to plain data, remembering the line of every value so errors can point at it.

PyYAML's composer already keeps a mark on every node; we build the data ourselves from the node
tree, which also lets us refuse duplicate keys and anchors (PyYAML silently keeps the last
duplicate, and aliases make a "billion laughs" file expand exponentially).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dozvon.dialog.errors import ScenarioError

DataPath = tuple[str | int, ...]
MAX_FILE_BYTES = 512 * 1024
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass(frozen=True, slots=True)
class LocatedData:
    data: Any
    lines: dict[DataPath, int]
    """1-based line of every mapping key's value and every list item, by its path."""
    file: str

    def line_of(self, path: DataPath) -> int | None:
        """The line of the deepest known part of `path` (a missing field points at its parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load_yaml(text: str, file: str) -> LocatedData:
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise ScenarioError(file, None, f"файл больше {MAX_FILE_BYTES // 1024} КБ")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, line, f"это не YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(file, None, f"это не YAML: {exc}") from None
    if root is None:
        raise ScenarioError(file, 1, "файл пуст: ожидался сценарий (name, title, steps)")
    builder = _Builder(file)
    data = builder.build(root, ())
    return LocatedData(data=data, lines=builder.lines, file=file)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[DataPath, int] = {}
        self._seen: set[int] = set()
        self._scalars = yaml.SafeLoader("")

    def build(self, node: Node, path: DataPath) -> Any:
        if id(node) in self._seen:
            raise ScenarioError(
                self.file, node.start_mark.line + 1, "якоря и ссылки YAML (&, *) не поддерживаются"
            )
        self._seen.add(id(node))
        self.lines[path] = node.start_mark.line + 1
        if node.tag not in _PLAIN_TAGS and not isinstance(node, ScalarNode):
            raise ScenarioError(
                self.file, node.start_mark.line + 1, f"тег YAML «{node.tag}» не поддерживается"
            )
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            return self._scalars.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise ScenarioError(
                self.file, node.start_mark.line + 1, f"непонятное значение: {exc.problem}"
            ) from None

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise ScenarioError(
                    self.file, key_node.start_mark.line + 1, "ключ должен быть простым словом"
                )
            key = str(self._scalars.construct_object(key_node))
            if key in result:
                raise ScenarioError(
                    self.file,
                    key_node.start_mark.line + 1,
                    f"ключ «{key}» повторяется: оставьте один",
                )
            result[key] = self.build(value_node, (*path, key))
            self.lines[(*path, key)] = key_node.start_mark.line + 1
        return result
