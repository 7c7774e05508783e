"""Service-item lists (服务事项清单): inline in the configuration, or a CSV, Excel or YAML file.

A list is a name and its items: the provincial list, a village list, the 16 items
a partner hospital handles. A file gives them in one of three shapes:

- YAML: ``{省级清单: [参保登记, ...], 村级清单: [...]}``;
- a table with a list column and an item column (headers ``list``/``清单``/``清单名称``
  and ``item``/``事项``/``服务事项``), one item per row;
- a table with one column per list, its items below the header.

Items are trimmed and full-width characters folded (NFKC), so ``参保登记`` written
with a full-width space still matches; repeats are kept once.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .tables import EXCEL_SUFFIXES, TEXT_SUFFIXES, find_column, read_table

__all__ = ["item_key", "read_service_lists", "service_lists_from_mapping"]

_LIST_NAMES = ("list", "清单", "清单名称", "目录", "list_name")
_ITEM_NAMES = ("item", "事项", "服务事项", "事项名称", "items", "service")
_SEPARATORS = re.compile(r"[,;，；、|\n]")


def item_key(item: object) -> str:
    """A service item as compared: trimmed, full-width characters folded."""
    return unicodedata.normalize("NFKC", str(item)).strip()


def _items(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts: list[Any] = _SEPARATORS.split(value)
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        parts = list(value)
    elif value is None:
        parts = []
    else:
        parts = [value]
    keys = (item_key(p) for p in parts if p is not None)
    return tuple(dict.fromkeys(k for k in keys if k))


def service_lists_from_mapping(value: Any) -> dict[str, tuple[str, ...]]:
    """Validate ``service_lists``: list name -> its items.

    Parameters
    ----------
    value : mapping
        List name -> items, as a YAML list or text separated by ``、`` ``,`` ``;`` etc.

    Returns
    -------
    dict of str to tuple of str

    Raises
    ------
    ValueError
        If the value is not a mapping, a name is empty or a list has no items.

    Examples
    --------
    >>> service_lists_from_mapping({"村级清单": "参保登记、缴费"})
    {'村级清单': ('参保登记', '缴费')}
    """
    if not isinstance(value, dict) or not value:
        raise ValueError(
            "must map list names to their items, e.g. {村级清单: [参保登记, 缴费]}, or name a "
            "CSV, .xlsx or YAML file"
        )
    out: dict[str, tuple[str, ...]] = {}
    for name, items in value.items():
        key = str(name).strip()
        if not key:
            raise ValueError("has a list with an empty name")
        out[key] = _items(items)
        if not out[key]:
            raise ValueError(f"list {key!r} has no items")
    return out


def read_service_lists(path: str | os.PathLike[str]) -> dict[str, tuple[str, ...]]:
    """Read service-item lists from a YAML, CSV or Excel file (shapes in the module doc).

    Parameters
    ----------
    path : path-like
        ``.yaml`` / ``.yml``, ``.csv`` / ``.txt`` (UTF-8 or GBK, detected) or ``.xlsx``.

    Returns
    -------
    dict of str to tuple of str
        List name -> items, in file order.

    Raises
    ------
    InputError
        If the file is missing, unreadable or holds no list.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: service list file not found; check the 'service_lists' path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
            except yaml.YAMLError:
                raise InputError(
                    f"{path}: not valid YAML; write one 'list name: [item, item]' per line"
                ) from None
            return service_lists_from_mapping(data)
        if suffix not in TEXT_SUFFIXES + EXCEL_SUFFIXES:
            raise InputError(
                f"{path}: unknown service list file type '{suffix}'; use YAML, CSV or .xlsx"
            )
        table = read_table(path, what="service list")
        names = [str(c) for c in table.columns]
        list_col, item_col = find_column(names, _LIST_NAMES), find_column(names, _ITEM_NAMES)
        lists: dict[str, list[str]] = {}
        if list_col is not None and item_col is not None:
            for name, item in zip(table[list_col], table[item_col], strict=True):
                if str(name).strip() and str(item).strip():
                    lists.setdefault(str(name).strip(), []).append(str(item))
        else:
            for col in table.columns:
                lists[str(col).strip()] = [str(v) for v in table[col] if str(v).strip()]
        return service_lists_from_mapping({k: v for k, v in lists.items() if k})
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: the service lists {exc}") from None
