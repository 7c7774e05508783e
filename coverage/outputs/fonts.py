"""The Chinese font of every figure: a system font when present, else the bundled one.

The package ships a subset of Noto Sans CJK SC (SIL Open Font License 1.1, in
``fonts/``): the 3,755 level-1 characters of GB 2312, every character of the package's
own labels, Latin and punctuation. A full Chinese font installed on the system is
preferred, since it also draws rare characters in place names. Fonts are found by
scanning the font folders and registered with matplotlib's font manager explicitly,
so a font installed after matplotlib built its cache is used at once.

Every figure is drawn inside :func:`figure_fonts`, which makes the Chinese font the
first family of every text (north arrow, scale bar, legend, title, labels) and
DejaVu Sans the fallback for the few glyphs it lacks.

Examples
--------
>>> cjk_font()  # doctest: +ELLIPSIS
'...'
>>> drawable("北 公里 ≤15 分钟")
'北 公里 ≤15 分钟'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

__all__ = ["BUNDLED_FONT", "cjk_font", "drawable", "figure_fonts", "find_cjk_font"]

#: The bundled subset of Noto Sans CJK SC (licence: ``fonts/OFL.txt``).
BUNDLED_FONT = Path(__file__).parent / "fonts" / "NotoSansSC-coverage15.otf"

#: File names of full Chinese fonts, most preferred first (simplified Chinese faces).
_SYSTEM_FONTS = (
    r"notosanscjksc",
    r"notosanssc",
    r"sourcehansanssc|sourcehansanscn",
    r"notosanscjk",
    r"sourcehansans",
    r"wqy-?microhei|wqy-?zenhei",
    r"msyh",  # Microsoft YaHei
    r"simhei",
    r"pingfang",
    r"hiragino ?sans ?gb",
    r"stheiti",
    r"droidsansfallback",
)
#: Characters a font must draw to count as Chinese (north, kilometre, minute, walk).
_PROBE = "北公里分钟步行服务圈"
_FALLBACK = "DejaVu Sans"


def _charmap(path: str | Path) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(str(path)).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def find_cjk_font(font_dirs: Iterable[str | Path] | None = None) -> Path:
    """The font file the figures use for Chinese.

    Parameters
    ----------
    font_dirs : iterable of path-like, optional
        Folders to search instead of the system's font folders (for tests).

    Returns
    -------
    pathlib.Path
        The most preferred installed font that draws Chinese (by file name, see the
        module source), else :data:`BUNDLED_FONT`.
    """
    from matplotlib import font_manager

    if font_dirs is None:
        files = font_manager.findSystemFonts()  # .ttf, .otf and .ttc
    else:
        files = font_manager.findSystemFonts(fontpaths=[str(f) for f in font_dirs])
    names = sorted(set(files))
    for pattern in _SYSTEM_FONTS:
        regex = re.compile(pattern, re.IGNORECASE)
        for path in names:
            if regex.search(Path(path).name) and {ord(c) for c in _PROBE} <= _charmap(path):
                return Path(path)
    return BUNDLED_FONT


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Family name of the Chinese font, registered with matplotlib's font manager.

    Returns
    -------
    str
        E.g. ``"Noto Sans CJK JP"`` (a system font) or ``"Noto Sans SC coverage15"``.
    """
    from matplotlib import font_manager

    path = find_cjk_font()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Code points the Chinese font or its fallback can draw."""
    from matplotlib import font_manager

    fallback = font_manager.findfont(_FALLBACK, fallback_to_default=True)
    return _charmap(find_cjk_font()) | _charmap(fallback)


def drawable(text: str, fallback: str = "") -> str:
    """``text`` if the figure fonts can draw every character of it, else ``fallback``.

    Names from the inputs may hold characters no installed font draws (a rare
    character outside the bundled subset); matplotlib would draw empty boxes.

    Examples
    --------
    >>> drawable("Comoros"), drawable("\\U0010fffd", "?")
    ('Comoros', '?')
    """
    glyphs = _glyphs()
    return text if all(ord(c) in glyphs or c in "\n\t" for c in text) else fallback


def font_family() -> list[str]:
    """The font families of every figure text, the Chinese font first."""
    return [cjk_font(), _FALLBACK]


@contextmanager
def figure_fonts() -> Iterator[None]:
    """Draw the figures made inside with the Chinese font (and DejaVu Sans as fallback).

    Only matplotlib's settings inside the block change; they are restored after it.
    """
    from matplotlib import rc_context

    with rc_context({"font.family": font_family()}):
        yield
