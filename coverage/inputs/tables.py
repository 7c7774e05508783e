"""Tables as planners keep them: CSV in any Chinese encoding, Excel workbooks, Chinese headers.

Used by the station reader and the population-table reader. A CSV's encoding is
detected (UTF-8 with or without BOM, then GB18030, which is a superset of GBK and
GB2312) unless given. An ``.xlsx`` is read with openpyxl (first sheet unless named).
A title row above the header (``XX县医保服务点一览表``) is skipped when the header is
found on a later row. Headers are matched case-insensitively, ignoring spaces and any
bracketed note (``经度（GCJ-02）`` matches ``经度``).
"""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = [
    "EXCEL_SUFFIXES",
    "TEXT_SUFFIXES",
    "TableWarning",
    "find_column",
    "find_columns",
    "header_key",
    "read_table",
    "read_vector",
    "rename_columns",
    "strip_control_characters",
]

#: Suffixes read as delimited text.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
#: Suffixes read as Excel workbooks.
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class TableWarning(UserWarning):
    """A table was usable but odd: mixed encodings, control characters, output columns."""


_NOTE = re.compile(r"[（(\[【].*?[)）\]】]")
_SPACE = re.compile(r"[\s_]+")
_HEADER_SCAN_ROWS = 5


def header_key(name: object) -> str:
    """A header reduced for matching: lower case, no spaces or bracketed notes.

    Examples
    --------
    >>> header_key(" 经度（GCJ-02） "), header_key("Site_Name")
    ('经度', 'sitename')
    """
    text = _NOTE.sub("", str(name))
    return _SPACE.sub("", text).strip().lower()


def find_column(columns: Sequence[object], names: Sequence[str]) -> str | None:
    """The first column whose :func:`header_key` equals one of ``names`` (in their order)."""
    keyed: dict[str, str] = {}
    for c in columns:
        keyed.setdefault(header_key(c), str(c))
    for name in names:
        key = header_key(name)
        if key in keyed:
            return keyed[key]
    return None


def find_columns(
    columns: Sequence[object],
    aliases: Mapping[str, Sequence[str]],
    *,
    source: str,
    exclusive: Sequence[str] = (),
    mapping: str = "columns",
    chosen: Sequence[str] = (),
) -> dict[str, str | None]:
    """The column of each standard name, refusing columns that make it ambiguous.

    Parameters
    ----------
    columns : sequence
        The table's headers.
    aliases : mapping of str to sequence of str
        Standard name -> recognised headers in order of preference (e.g.
        :data:`~coverage.inputs.stations.STATION_COLUMNS`).
    source : str
        The file, for messages.
    exclusive : sequence of str
        Standard names (e.g. coordinates) for which two different recognised headers
        (``经度`` and ``lon``) are refused too; for the others the first in order of
        preference is taken.
    mapping : str
        The configuration key that maps headers, for the fix in messages.
    chosen : sequence of str
        Standard names the user mapped to a header (already renamed to the standard
        name by :func:`rename_columns`): taken as they are, whatever else matches.

    Returns
    -------
    dict of str to str or None
        Standard name -> header (None where absent).

    Raises
    ------
    InputError
        Naming both headers, when two headers differ only in case, spacing or a
        bracketed note (``lon`` and ``Lon``), or are two names of an ``exclusive`` column.

    Examples
    --------
    >>> find_columns(["编号", "lon", "lat"], {"id": ["id", "编号"]}, source="s.csv")
    {'id': '编号'}
    >>> find_columns(["lon", "Lon"], {"lon": ["lon"]}, source="s.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage.errors.InputError: s.csv: columns 'lon' and 'Lon' both read as lon ...
    """
    found: dict[str, str | None] = {}
    for std, names in aliases.items():
        if std in chosen and std in [str(c) for c in columns]:
            found[std] = std
            continue
        keys = [header_key(n) for n in names]
        matching = [str(c) for c in columns if header_key(c) in keys]
        if not matching:
            found[std] = None
            continue
        best = min(keys.index(header_key(c)) for c in matching)
        same = [c for c in matching if header_key(c) == keys[best]]
        if len(same) > 1:
            raise InputError(
                f"{source}: columns {same[0]!r} and {same[1]!r} both read as {std} (they "
                "differ only in case, spaces or a note); delete or rename one"
            )
        if std in exclusive and len(matching) > 1:
            other = next(c for c in matching if c != same[0])
            raise InputError(
                f"{source}: columns {same[0]!r} and {other!r} are both names of {std}; delete "
                f"or rename one, or choose one with {mapping}: {{{std}: {same[0]}}}"
            )
        found[std] = same[0]
    return found


# Control characters other than tab, line feed and carriage return: never meant in a
# name, and refused by spreadsheet writers (openpyxl's IllegalCharacterError).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_control_characters(
    frame: pd.DataFrame, *, source: str, row_word: str = "row"
) -> pd.DataFrame:
    """Remove control characters from headers and text cells, with one warning.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table as read (``attrs["file_rows"]``, when present, numbers its rows).
    source : str
        The file, for the warning.
    row_word : str
        What a row is called in the warning (``"feature"`` for a vector layer).

    Returns
    -------
    pandas.DataFrame
        The same table (a copy when anything was removed), ``attrs`` kept.

    Warns
    -----
    TableWarning
        Naming the columns and the first row where characters were removed.

    Examples
    --------
    >>> import warnings
    >>> t = pd.DataFrame({"name": ["Sta" + chr(7) + "tion", "ok"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", TableWarning)
    ...     strip_control_characters(t, source="s.csv")["name"].tolist()
    ['Station', 'ok']
    """
    rows = frame.attrs.get("file_rows") or [i + 2 for i in range(len(frame))]
    touched: dict[str, int] = {}
    out = frame
    headers = {c: _CONTROL.sub("", c) for c in frame.columns if isinstance(c, str)}
    headers = {c: h for c, h in headers.items() if h != c}
    if headers:
        out = out.rename(columns=headers)
        touched.update({repr(h): 1 for h in headers.values()})
    for col in out.columns:
        values = out[col]
        if values.dtype.kind not in "OSUT":
            continue
        text = values.map(lambda v: v if not isinstance(v, str) else _CONTROL.sub("", v))
        changed = (text != values) & values.map(lambda v: isinstance(v, str))
        if changed.any():
            out = out.copy() if out is frame else out
            out[col] = text
            touched[f"'{col}' ({row_word} {rows[int(np.flatnonzero(changed.to_numpy())[0])]})"] = 1
    if touched:
        out.attrs = dict(frame.attrs)
        warnings.warn(
            f"{source}: control characters (invisible codes such as U+0007) removed from "
            f"{', '.join(touched)}; check the text in the source file",
            TableWarning,
            stacklevel=3,
        )
    return out


def _decode(path: Path, encoding: str | None, what: str) -> tuple[str, str]:
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"{path}: unknown text encoding {encoding!r}; use e.g. utf-8, gbk or gb18030"
            ) from None
        if bom and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            raw = raw[len(codecs.BOM_UTF8) :]  # a UTF-8 mark before text in another encoding
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: the {what} is not valid {encoding} text (byte {exc.start}); "
                "remove the encoding setting to detect it, or save the file as CSV UTF-8"
            ) from None
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if bom:
        # Saved by a tool that wrote a UTF-8 byte-order mark, then GBK text: decoding
        # the mark as GBK would swallow the first header (ids silently lost).
        body = raw[len(codecs.BOM_UTF8) :]
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            warnings.warn(
                f"{path}: the {what} starts with a UTF-8 byte-order mark but its text is "
                "GBK/GB18030; read as GB18030 (save it again as CSV UTF-8 to silence this)",
                TableWarning,
                stacklevel=4,
            )
            return text, "gb18030"
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    raise InputError(
        f"{path}: the {what} is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 "
        "or name its encoding in the configuration"
    )


def _read_text(path: Path, encoding: str | None, what: str) -> tuple[pd.DataFrame, str]:
    import csv
    import io

    text, used = _decode(path, encoding, what)
    if not text.strip():
        raise InputError(f"{path}: the {what} is empty; add a header row and one row per record")
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        sample = "\n".join(text.splitlines()[:20])
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(
            f"{path}: cannot parse the {what} ({exc}); check separators and quotes"
        ) from None
    return _grid(rows), used


def _grid(rows: list[list[str]]) -> pd.DataFrame:
    """Rows of text cells as a rectangular frame (short rows padded, blank tail dropped)."""
    while rows and all(str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)


def _read_excel(path: Path, sheet: str | int | None, what: str) -> pd.DataFrame:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        from ..errors import MissingDependencyError

        raise MissingDependencyError("reading .xlsx needs openpyxl: pip install openpyxl") from None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook styles and data validation it cannot keep;
            # only cell values are read, so these are irrelevant here.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise InputError(
            f"{path}: cannot read the workbook ({type(exc).__name__}: {exc}); save it again "
            "as .xlsx"
        ) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(book.worksheets):
                raise InputError(
                    f"{path}: no sheet number {sheet} (the workbook has "
                    f"{len(book.worksheets)}); sheets count from 0"
                )
            ws = book.worksheets[sheet]
        else:
            if sheet not in book.sheetnames:
                raise InputError(
                    f"{path}: no sheet named {sheet!r} (sheets are "
                    f"{', '.join(book.sheetnames)}); fix the sheet setting"
                )
            ws = book[sheet]
        rows = [
            ["" if v is None else _cell_text(v) for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
    finally:
        book.close()
    grid = _grid(rows)
    if grid.empty:
        raise InputError(f"{path}: the {what} sheet is empty; add a header row and records")
    return grid


def _cell_text(value: object) -> str:
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))
    return str(value)


def _pick_header(grid: pd.DataFrame, required: Sequence[Sequence[str]]) -> int:
    """Index of the header row: the first of the top rows naming every required column."""
    for i in range(min(_HEADER_SCAN_ROWS, len(grid))):
        cells = [str(v) for v in grid.iloc[i].tolist()]
        if all(find_column(cells, names) is not None for names in required):
            return i
    return 0


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    required: Sequence[Sequence[str]] = (),
    what: str = "table",
) -> pd.DataFrame:
    """Read a CSV or Excel table as text columns, detecting encoding and header row.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt``/``.tsv`` or ``.xlsx``.
    encoding : str, optional
        Text encoding of a CSV; detected when None (UTF-8, UTF-8 with BOM, GB18030/GBK).
    sheet : str or int, optional
        Excel sheet name or 0-based number (default: the first sheet).
    required : sequence of sequences of str
        Alternative names of columns the header must contain; the header is the first
        of the top five rows that has them all (a title row above it is skipped).
    what : str
        What the table is, for messages.

    Returns
    -------
    pandas.DataFrame
        Text cells (empty text for blanks). ``attrs``: ``encoding`` (CSV), ``header_row``
        (1-based file row of the header) and ``source``.

    Raises
    ------
    InputError
        If the file is unreadable, empty, in an undetectable encoding, or of another type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    used: str | None = None
    if suffix in TEXT_SUFFIXES:
        grid, used = _read_text(path, encoding, what)
    elif suffix in EXCEL_SUFFIXES:
        grid = _read_excel(path, sheet, what)
    elif suffix == ".xls":
        raise InputError(
            f"{path}: old-style .xls workbooks are not read; save the sheet as .xlsx or CSV"
        )
    else:
        raise InputError(f"{path}: unknown {what} type '{suffix}'; use CSV or .xlsx")
    if grid.empty:  # only blank cells and separators, e.g. a CSV of commas
        raise InputError(f"{path}: the {what} is empty; add a header row and one row per record")
    header = _pick_header(grid, required)
    names = [str(v).strip() for v in grid.iloc[header].tolist()]
    names = [n if n else f"column_{i + 1}" for i, n in enumerate(names)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"{path}: row {header + 1}: column {repeated[0]!r} appears more than once in the "
            "header; give every column its own name"
        )
    body = grid.iloc[header + 1 :].reset_index(drop=True)
    body.columns = pd.Index(names)
    # Blank rows are dropped; each kept row remembers its row number in the file.
    blank = (body.map(lambda v: str(v).strip() == "")).all(axis=1).to_numpy()
    body = body[~blank]
    body.attrs.update(
        {
            "encoding": used,
            "header_row": header + 1,
            "source": str(path),
            "file_rows": [int(i) + header + 2 for i in body.index],
        }
    )
    return body.reset_index(drop=True)


def rename_columns(
    frame: pd.DataFrame, mapping: Mapping[str, str] | None, *, source: str
) -> pd.DataFrame:
    """Apply a user mapping ``{standard name: column in the file}`` to a table."""
    if not mapping:
        return frame
    missing = [col for col in mapping.values() if col not in frame.columns]
    if missing:
        raise InputError(
            f"{source}: column(s) {', '.join(map(repr, missing))} named in the columns mapping "
            f"are not in the file (columns are {', '.join(map(str, frame.columns))}); fix the "
            "mapping"
        )
    clashing = [std for std in mapping if std in frame.columns and std not in mapping.values()]
    renamed = frame.drop(columns=clashing)
    renamed = renamed.rename(columns={col: std for std, col in mapping.items()})
    renamed.attrs = dict(frame.attrs)
    return renamed


def read_vector(path: Path, what: str) -> gpd.GeoDataFrame:
    """Read a vector file; a Shapefile without a ``.cpg`` is read as UTF-8, else GB18030.

    The one encoding rule of every layer (stations, boundaries, road layers): GDAL
    reads a Shapefile without ``.cpg`` as Latin-1, which turns the GBK names of
    most Chinese county files into mojibake without an error.
    """
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").is_file():
        for encoding in ("utf-8", "gb18030"):
            try:
                return gpd.read_file(path, encoding=encoding)
            except UnicodeDecodeError:
                continue
            except Exception as exc:  # pyogrio raises its own DataSourceError family
                raise InputError(f"{path}: cannot read the {what} ({exc})") from None
        raise InputError(
            f"{path}: the {what}'s attributes are neither UTF-8 nor GBK; add a .cpg file "
            "naming their encoding"
        )
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise InputError(f"{path}: cannot read the {what} ({exc})") from None
