"""Rebuild the vendored Chinese font subset of the static maps.

The package ships ``coverage/outputs/fonts/NotoSansSC-coverage15.otf``: Noto Sans CJK SC
Regular (SIL Open Font License 1.1) cut down to the characters a county map needs, so
Chinese labels draw on a machine without any Chinese font:

- the 3,755 level-1 characters of GB 2312 (the common simplified characters) with its
  punctuation, symbols and full-width forms (rows 0xA1-0xD7; 1.6 MB, where all of
  GB 2312 would take 2.9 MB);
- printable ASCII, Latin-1 and the punctuation, arrows and maths signs of the labels;
- every non-ASCII character in the package's own source (labels, tiers, reports).

The family is renamed (``Noto Sans SC coverage15``) so it never shadows a full Noto
Sans CJK installed on the system, which the maps prefer.

Usage::

    python scripts/build_cjk_font.py NotoSansCJK-Regular.ttc

(the ``.ttc`` of Debian's ``fonts-noto-cjk`` package or the upstream release).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "coverage" / "outputs" / "fonts" / "NotoSansSC-coverage15.otf"
FAMILY = "Noto Sans SC coverage15"


def gb2312_level1() -> set[str]:
    """The symbols and level-1 characters of GB 2312 (rows 0xA1-0xD7, cells 0xA1-0xFE)."""
    chars = set()
    for hi in range(0xA1, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def package_text() -> set[str]:
    """Every non-ASCII character in the package's source files."""
    chars: set[str] = set()
    for path in (REPO / "coverage").rglob("*"):
        if path.suffix in {".py", ".yaml", ".json", ".csv", ".txt"} and path.is_file():
            chars |= {c for c in path.read_text(encoding="utf-8") if ord(c) > 0x7F}
    return chars


def characters() -> set[str]:
    chars = gb2312_level1() | package_text()
    chars |= {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    chars |= set("–—‘’“”…·•※→←↑↓≤≥≈±×÷°‰℃№①②③④⑤⑥⑦⑧⑨⑩、。，；：？！（）《》「」【】")
    return {c for c in chars if c.isprintable() or c == " "}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source", type=Path, help="NotoSansCJK-Regular.ttc or NotoSansCJKsc-Regular.otf"
    )
    args = parser.parse_args()
    if args.source.suffix.lower() == ".ttc":
        fonts = TTCollection(args.source).fonts
        font = next(f for f in fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    else:
        font = TTFont(args.source)
    options = subset.Options()
    options.layout_features = ["kern", "liga", "vert", "locl"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(characters())))
    sub.subset(font)
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 16):
            names.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 4:
            names.setName(FAMILY + " Regular", 4, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            names.setName("NotoSansSC-coverage15", 6, rec.platformID, rec.platEncID, rec.langID)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    print(f"{OUT.name}: {len(font.getBestCmap())} characters, {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
