"""The PNG writer of the print maps, read back by an independent decoder (Pillow)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from coverage.outputs.png import encode_png


def _read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("channels, mode", [(3, "RGB"), (4, "RGBA")])
def test_pixels_read_back_exactly(channels: int, mode: str) -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    image = _read(encode_png(pixels))
    assert image.mode == mode
    assert image.size == (53, 37)
    np.testing.assert_array_equal(np.asarray(image), pixels)


def test_a_view_of_a_canvas_buffer_is_written_as_its_pixels() -> None:
    # the print maps pass rgba[..., :3] of the canvas: a strided view, not a copy
    rgba = np.zeros((20, 30, 4), dtype=np.uint8)
    rgba[..., 0] = np.arange(30, dtype=np.uint8)
    rgba[..., 1] = np.arange(20, dtype=np.uint8)[:, None] * 7
    rgba[..., 2] = 200
    rgba[..., 3] = 255
    view = rgba[5:15, ::2, :3]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(np.asarray(_read(encode_png(view))), view)


def test_resolution_as_pillow_writes_it() -> None:
    page = np.full((4, 4, 3), 255, dtype=np.uint8)
    ours = _read(encode_png(page, dpi=150)).info["dpi"]
    buf = io.BytesIO()
    Image.fromarray(page).save(buf, format="png", dpi=(150, 150))
    assert ours == _read(buf.getvalue()).info["dpi"]
    assert ours[0] == pytest.approx(150, abs=0.02)
    assert "dpi" not in _read(encode_png(page)).info


def test_chunks_and_crcs_follow_the_standard() -> None:
    data = encode_png(np.zeros((3, 2, 3), dtype=np.uint8), dpi=300)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        kinds.append(kind)
        if kind == b"IDAT":  # every row: a filter byte (0) and width x 3 samples
            rows = np.frombuffer(zlib.decompress(body), dtype=np.uint8).reshape(3, 1 + 2 * 3)
            assert (rows[:, 0] == 0).all()
        pos += 12 + length
    assert kinds == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((4, 4, 3), dtype=np.float32),
        np.zeros((4, 4), dtype=np.uint8),
        np.zeros((4, 4, 2), dtype=np.uint8),
        np.zeros((0, 4, 3), dtype=np.uint8),
    ],
)
def test_what_is_not_a_page_is_refused(pixels: np.ndarray) -> None:
    with pytest.raises(ValueError, match="PNG page"):
        encode_png(pixels)
