"""Reading configuration YAML strictly: duplicate keys refused, numbers read as written.

PyYAML's safe loader lets a repeated key silently win (``minutes: 15`` ... ``minutes:
30`` runs at 30) and, following YAML 1.1, reads ``1e9`` (no dot) as text. The
:class:`StrictLoader` refuses a repeated key, naming it and both lines, and reads
YAML 1.2 numbers (``1e9``, ``1E-3``) as numbers that print as they were written, so a
message about them quotes the file.

Examples
--------
>>> strict_load("minutes: 1e9")
{'minutes': 1e9}
>>> strict_load("a: 1\\na: 2")
Traceback (most recent call last):
...
coverage.config_yaml.DuplicateKeyError: key 'a' is given twice (lines 1 and 2)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

__all__ = [
    "DuplicateKeyError",
    "StrictLoader",
    "WrittenFloat",
    "number",
    "read_yaml",
    "strict_load",
]


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping gives the same key twice."""

    def __init__(self, key: Any, first_line: int, line: int) -> None:
        super().__init__(None, None, f"key {key!r} is given twice (lines {first_line} and {line})")
        self.key, self.first_line, self.line = key, first_line, line

    def __str__(self) -> str:
        return str(self.problem)


class WrittenFloat(float):
    """A float read from YAML that shows itself as written (``1e9``, not ``1000000000.0``)."""

    text: str

    def __new__(cls, value: float, text: str) -> WrittenFloat:
        new = super().__new__(cls, value)
        new.text = text
        return new

    def __repr__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[WrittenFloat], tuple[float, str]]:
        return (WrittenFloat, (float(self), self.text))  # picklable, e.g. for a Dask batch

    __str__ = __repr__


def number(text: str) -> float:
    """A number typed on the command line, shown as typed in messages (``--minutes 1e9``).

    Raises
    ------
    ValueError
        If ``text`` is not a number (argparse reports it as an invalid number value).
    """
    return WrittenFloat(float(text), text)


class StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys and reads YAML 1.2 floats."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DuplicateKeyError(key, seen[key], line)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:  # type: ignore[override]
        value = super().construct_yaml_float(node)
        text = str(node.value).strip()
        return WrittenFloat(value, text) if value == value else value


# YAML 1.2 floats: an exponent without a dot (1e9, 2E-3) is a number, not text.
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def read_yaml(path: Path, what: str) -> Any:
    """The parsed YAML of a file, or a one-line :class:`~coverage.errors.ConfigError`.

    Parameters
    ----------
    path : pathlib.Path
        The file (UTF-8, with or without BOM).
    what : str
        What the file is, for messages (e.g. ``"configuration file"``).

    Returns
    -------
    object
        The document (None when empty).

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, not YAML (with the line), or gives a key
        twice (naming the key and both lines).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc})") from None
    try:
        return strict_load(text)
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{path}: line {exc.line}: key {exc.key!r} is given twice (also on line "
            f"{exc.first_line}); keep one of them"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}: not valid YAML{where}; write one 'key: value' per line"
        ) from None


def strict_load(text: str) -> Any:
    """One YAML document read with :class:`StrictLoader` (a safe loader: no objects).

    Parameters
    ----------
    text : str
        The YAML text.

    Returns
    -------
    object
        The document (None when empty).

    Raises
    ------
    DuplicateKeyError
        If a mapping gives a key twice.
    yaml.YAMLError
        If the text is not YAML.
    """
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
