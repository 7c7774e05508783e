"""The Chinese font of the figures: bundled subset, system fonts first, every label drawable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from matplotlib.ft2font import FT2Font

import coverage.outputs.labels as labels_module
import coverage.outputs.style as style_module
from coverage.outputs.fonts import BUNDLED_FONT, drawable, find_cjk_font


def test_the_bundled_font_is_small_licensed_and_chinese():
    assert BUNDLED_FONT.stat().st_size < 2_000_000
    licence = (BUNDLED_FONT.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Noto Sans CJK SC" in licence
    font = FT2Font(str(BUNDLED_FONT))
    assert font.family_name == "Noto Sans SC coverage15"  # never shadows a full Noto font
    chars = set(font.get_charmap())
    # all 3,755 level-1 characters of GB 2312 (rows 0xB0-0xD7; 0xD7FA-0xD7FE are unassigned)
    level1 = {
        bytes([hi, lo]).decode("gb2312")
        for hi in range(0xB0, 0xD8)
        for lo in range(0xA1, 0xFF)
        if not (hi == 0xD7 and lo > 0xF9)
    }
    assert len(level1) == 3755
    assert {ord(c) for c in level1} <= chars


@pytest.mark.parametrize("module", [labels_module, style_module])
def test_every_character_of_the_labels_is_in_the_bundled_font(module):
    chars = set(FT2Font(str(BUNDLED_FONT)).get_charmap())
    text = Path(module.__file__).read_text(encoding="utf-8")
    missing = sorted({c for c in text if ord(c) > 0x7F and ord(c) not in chars})
    assert not missing


def test_a_system_chinese_font_is_preferred(tmp_path):
    """Found by scanning the font folders, not through matplotlib's cache."""
    assert find_cjk_font([tmp_path]) == BUNDLED_FONT  # nothing installed
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")  # not Chinese by name
    shutil.copy(BUNDLED_FONT, tmp_path / "wqy-microhei.otf")
    assert find_cjk_font([tmp_path]) == tmp_path / "wqy-microhei.otf"
    shutil.copy(BUNDLED_FONT, tmp_path / "NotoSansCJKsc-Regular.otf")  # more preferred
    assert find_cjk_font([tmp_path]) == tmp_path / "NotoSansCJKsc-Regular.otf"
    (tmp_path / "SimHei.otf").write_bytes(b"broken")  # unreadable files are skipped
    (tmp_path / "NotoSansCJKsc-Regular.otf").unlink()
    assert find_cjk_font([tmp_path]) == tmp_path / "wqy-microhei.otf"


def test_drawable_checks_every_character():
    assert drawable("北 公里 ≤15 分钟 Comoros") == "北 公里 ≤15 分钟 Comoros"
    assert drawable("\U0010fffd", "?") == "?"
