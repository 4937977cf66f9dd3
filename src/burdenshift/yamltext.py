"""The one way burdenshift reads YAML: safe, bounded, and with the line of every problem.

PyYAML alone accepts what a scenario or data file should not: keys given twice (the last wins
silently), nesting deep enough to exhaust the stack, integers of thousands of digits, and
aliases that expand into structures far larger than the text. Each is refused here with the
file and line, so every loader (scenario, sweep, data folder) shares the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from burdenshift.errors import InputError

MAX_DEPTH = 32
"""Nesting levels; the deepest real file (a sweep case's scenario field) needs fewer than 8."""
MAX_NODES = 200_000
"""Scalars, lists and mappings in one document."""
MAX_NUMBER_CHARS = 40
"""Characters in one integer or decimal; years and money need far fewer."""


@dataclass(frozen=True)
class Document:
    """A parsed YAML text: the Python data and the node tree behind it (for line numbers)."""

    data: Any
    root: yaml.Node | None


class _Refused(Exception):
    def __init__(self, problem: str, mark: Any, fix: str) -> None:
        self.problem, self.mark, self.fix = problem, mark, fix


class _Checks:
    """No repeated keys, no over-long numbers: checked while constructing, whichever parser."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise _Refused(
                    "has a key that is a list or mapping",
                    key_node.start_mark,
                    "use a plain name as the key",
                ) from None
            if first is not None:
                raise _Refused(
                    f"gives the key '{key}' twice (first on line {first})",
                    key_node.start_mark,
                    "keep one of them; YAML would silently use the last",
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: Any) -> Any:
        self._short_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: Any) -> Any:
        self._short_number(node)
        return super().construct_yaml_float(node)

    def _short_number(self, node: Any) -> None:
        if len(str(node.value)) > MAX_NUMBER_CHARS:
            raise _Refused(
                f"has a number of {len(str(node.value))} characters",
                node.start_mark,
                "write the figure with fewer digits (quote it if it is a name)",
            )


class _Loader(_Checks, yaml.SafeLoader):
    """SafeLoader with a depth, a size and a number-length limit, no aliases and no repeated
    keys."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                "uses an alias (*name)", event.start_mark, "write the values out in full"
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(
                f"has more than {MAX_NODES:,} values", event.start_mark, "split or shorten it"
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                f"is nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
                "flatten the structure; no burdenshift file needs that depth",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


class _Embedded(_Checks, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser, for the data that ship inside the package only: the test suite reads
    the same files with the bounded reader and checks that both give the same data."""


_Embedded.add_constructor("tag:yaml.org,2002:int", _Embedded.construct_yaml_int)
_Embedded.add_constructor("tag:yaml.org,2002:float", _Embedded.construct_yaml_float)


def read_yaml(text: str, file: str, embedded: bool = False) -> Document:
    """Parse one YAML document; every refusal is an InputError naming the file and line.

    `embedded`: the file ships with the package (never a user's or a request's text), so the C
    parser may read it, about ten times faster."""
    loader = None
    try:
        loader = _Embedded(text) if embedded else _Loader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _Refused as exc:
        raise InputError(
            exc.problem, file=file, line=exc.mark.line + 1 if exc.mark else None, fix=exc.fix
        ) from None
    except yaml.reader.ReaderError as exc:
        raise InputError(
            f"has a character YAML does not allow (#x{exc.character:04x})",
            file=file,
            line=text[: exc.position].count("\n") + 1,
            fix="remove control characters; save the file as plain UTF-8 text",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"is not valid YAML ({getattr(exc, 'problem', None) or exc})",
            file=file,
            line=mark.line + 1 if mark else None,
            fix="check indentation, colons and quotes near that line",
        ) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError(
            f"has a value YAML cannot hold ({type(exc).__name__})",
            file=file,
            fix="check the numbers and the nesting",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(data, root)


def line_of(node: Any, loc: list[Any] | tuple[Any, ...]) -> int | None:
    """The 1-based line of a nested key in a composed YAML document."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if str(k.value) == str(part)]
            if not match:
                return line
            key, node = match[0]
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def key_path(root: Any, loc: tuple[Any, ...] | list[Any], show: Any = str) -> tuple[list[Any], str]:
    """The part of a pydantic location that names keys in the YAML (for its line) and the
    dotted field to report: tags of tagged unions (a distribution's `uniform`) are dropped."""
    kept: list[Any] = []
    node = root
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if str(k.value) == str(part)]
            if match:
                kept.append(part)
                node = match[0]
            elif last:
                kept.append(part)
            continue
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            kept.append(part)
            node = node.value[part] if part < len(node.value) else None
            continue
        if last or node is None:
            kept.append(part)
    return kept, ".".join(show(str(p)) for p in kept if p != "[key]")
