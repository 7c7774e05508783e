"""A local HTTP server on 127.0.0.1 with Range support, and the small files it serves.

The server is a ``ThreadingHTTPServer`` in a thread. It serves bytes from a dict of
paths, honours ``Range: bytes=a-`` (206 with ``Content-Range``, 416 past the end),
and can be told to cut a transfer short once (to test resuming) or to ignore
ranges (to test a restart). Every request is logged with its Range header.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin


@dataclass
class FileServer:
    """State shared with the request handler."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_once: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before closing
    ignore_range: set[str] = field(default_factory=set)
    range_skew: dict[str, int] = field(default_factory=dict)  # path -> bytes off the asked start
    log: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add(self, path: str, data: bytes, *, md5: bool = False, sha256: bool = False) -> str:
        self.files[path] = data
        if md5:
            self.files[path + ".md5"] = (
                f"{hashlib.md5(data).hexdigest()}  {path.rsplit('/', 1)[-1]}\n".encode()
            )
        if sha256:
            self.files[path + ".sha256"] = f"{hashlib.sha256(data).hexdigest()}\n".encode()
        return self.url(path)

    def requests_for(self, path: str) -> list[str | None]:
        return [r for p, r in self.log if p == "/" + path.lstrip("/")]


def _handler(state: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            rng = self.headers.get("Range")
            state.log.append((path, rng))
            data = state.files.get(path.lstrip("/"))
            if data is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", rng or "")
            if match and path.lstrip("/") not in state.ignore_range:
                start = int(match.group(1)) + state.range_skew.get(path.lstrip("/"), 0)
                if start >= len(data):
                    self.send_response(416, "Range Not Satisfiable")
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206, "Partial Content")
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            cut = state.cut_once.pop(path.lstrip("/"), None)
            if cut is not None:
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def running_server() -> Iterator[FileServer]:
    """Start a fresh local file server; stop it on exit."""
    state = FileServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# --- the small files -------------------------------------------------------------------

#: The tiny OSM street grid: 6 x 6 nodes, 0.02 degrees apart, from (119.00, 28.00).
GRID_N = 6
GRID_STEP = 0.02
GRID_ORIGIN = (119.0, 28.0)


def grid_node_id(i: int, j: int) -> int:
    """Node at column i (east), row j (north)."""
    return 1000 + j * GRID_N + i


def grid_ways() -> dict[int, list[int]]:
    """Way id -> node ids: one residential street per row and per column."""
    ways = {}
    for j in range(GRID_N):
        ways[100 + j] = [grid_node_id(i, j) for i in range(GRID_N)]
    for i in range(GRID_N):
        ways[200 + i] = [grid_node_id(i, j) for j in range(GRID_N)]
    return ways


def grid_lonlat(node_id: int) -> tuple[float, float]:
    k = node_id - 1000
    i, j = k % GRID_N, k // GRID_N
    return (round(GRID_ORIGIN[0] + i * GRID_STEP, 7), round(GRID_ORIGIN[1] + j * GRID_STEP, 7))


def write_grid_pbf(path: Path) -> Path:
    """Write the street grid as a real OSM PBF with pyosmium (plus one route relation)."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    with osmium.SimpleWriter(str(path)) as writer:
        for j in range(GRID_N):
            for i in range(GRID_N):
                nid = grid_node_id(i, j)
                tags = {"amenity": "pharmacy"} if (i, j) == (1, 1) else {}
                writer.add_node(Node(id=nid, location=grid_lonlat(nid), tags=tags, version=1))
        for wid, refs in grid_ways().items():
            writer.add_way(Way(id=wid, nodes=refs, tags={"highway": "residential"}, version=1))
        writer.add_relation(
            Relation(
                id=900,
                members=[("w", 100, ""), ("w", 105, "")],
                tags={"type": "route", "route": "bus"},
                version=1,
            )
        )
    return path


#: The population raster: 40 rows x 50 columns of 0.004 degrees from (119.0, 28.2).
POP_TRANSFORM = from_origin(119.0, 28.2, 0.004, 0.004)
POP_SHAPE = (40, 50)


def population_array() -> np.ndarray:
    rng = np.random.default_rng(20240601)
    data = rng.gamma(2.0, 15.0, size=POP_SHAPE).astype(np.float32)
    data[:3, :4] = -99999.0  # a nodata corner
    return data


def write_population_tif(path: Path) -> Path:
    data = population_array()
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=POP_SHAPE[0],
        width=POP_SHAPE[1],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=POP_TRANSFORM,
        nodata=-99999.0,
    ) as ds:
        ds.write(data, 1)
    return path


#: SRTM-like tiles: 121 x 121 pixels per degree (30 arc-seconds), pixel centres on the edges.
TILE_SIDE = 121


def dem_value(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The known height at pixel centres: a function of the global pixel index."""
    gx = np.rint((np.asarray(lon) + 180.0) * (TILE_SIDE - 1)).astype(np.int64)
    gy = np.rint((90.0 - np.asarray(lat)) * (TILE_SIDE - 1)).astype(np.int64)
    return ((gx * 7 + gy * 13) % 3000).astype(np.int16)


def hgt_tile(name: str) -> bytes:
    """A gzipped big-endian int16 HGT tile named like N28E119."""
    lat0 = int(name[1:3]) * (1 if name[0] == "N" else -1)
    lon0 = int(name[4:7]) * (1 if name[3] == "E" else -1)
    k = np.arange(TILE_SIDE) / (TILE_SIDE - 1)
    lon, lat = np.meshgrid(lon0 + k, lat0 + 1 - k)
    heights = dem_value(lon, lat).astype(">i2")
    return gzip.compress(heights.tobytes(), mtime=0)
