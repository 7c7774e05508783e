"""A PBF file's blocks as arrays: road ways, tagged features, the newest edit; no step per node.

The file's blobs are read and inflated here (their small framing messages decoded
by hand, zlib from the standard library), and each ``PrimitiveBlock`` is decoded by
pyrosm's compiled decoder (0.25 and later:
``pyrosm.primitive_block_decoder.decode_primitive_block``) into numpy arrays: node
ids and coordinates, way ids with their node references and tags as string-table
indices, and every element's metadata. From those arrays the highway and ferry
ways are picked, their tags looked up and their nodes placed with array
operations: Python steps per block and per highway or ferry way (a dictionary
look-up of its verdict), none per node (osmium hands each way node to Python:
0.15-0.3 s on a county).

Both readers give the same ways, in file order, with the same nodes and
coordinates (osmium's fixed-point degrees, 1e-7): :mod:`coverage.inputs.osm_ways`
uses this one when the installed pyrosm has the decoder and the file is at most
:data:`MAX_DECODE_BYTES` (every node's id and coordinates are held in memory),
else osmium, whose location index is built for planet-sized files. The tests
compare the two on real extracts.

A :class:`TaggedCollector` takes the ways and relations with some tags (the water
areas and coastlines), every node's coordinates and the relations' member ways from the
same blocks, while :func:`road_ways` reads the roads (the file is decoded once), or
alone (:func:`tagged_elements`), for :mod:`coverage.inputs.osm_areas` to shape as pyrosm
would.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MAX_DECODE_BYTES",
    "UNDEFINED",
    "Tagged",
    "TaggedCollector",
    "UnknownFeature",
    "decoder_available",
    "newest_timestamp",
    "node_positions",
    "road_ways",
    "tagged_elements",
]

#: Largest PBF read through the block decoder (about 24 bytes of memory per node).
MAX_DECODE_BYTES = 1024 * 1024 * 1024

#: osmium's coordinate of a node missing from the file (``Location``'s undefined value).
UNDEFINED = 2**31 - 1

#: PBF coordinates are in nanodegrees; osmium's fixed-point unit is 1e-7 degree.
_NANO_PER_FIXED = 100
#: 1971-01-01 in seconds: older timestamps are "none" (osmium's datetime for a missing one is 1970).
_FIRST_STAMP_S = 365 * 86400


#: The PBF format's largest blob header and decompressed block.
_MAX_HEADER = 64 * 1024
_MAX_BLOCK = 32 * 1024 * 1024
#: Required features of a PBF header this reader knows (others go to osmium).
_KNOWN_FEATURES = frozenset({b"OsmSchema-V0.6", b"DenseNodes", b"HistoricalInformation"})


def _decode_function() -> Callable[..., Any] | None:
    try:  # only this compiled module of pyrosm: its package's readers import far more
        from pyrosm.primitive_block_decoder import decode_primitive_block
    except ImportError:  # a pyrosm without the block decoder
        return None
    return decode_primitive_block  # type: ignore[no-any-return]


def decoder_available(path: Path) -> bool:
    """Whether ``path`` is read through the block decoder (see the module docstring)."""
    return _decode_function() is not None and path.stat().st_size <= MAX_DECODE_BYTES


class UnknownFeature(ValueError):
    """The PBF header requires a feature this reader does not know, or the ways carry
    their nodes' locations (osmium reads those files)."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("a protobuf number runs past its message")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> dict[int, list[Any]]:
    """The fields of a small protobuf message (a blob header, a blob, the file header)."""
    out: dict[int, list[Any]] = {}
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
            if pos > len(buf):
                raise ValueError("a protobuf field runs past its message")
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, pos = int.from_bytes(buf[pos : pos + width], "little"), pos + width
        else:
            raise ValueError(f"protobuf wire type {wire} is not used by the PBF format")
        out.setdefault(field, []).append(value)
    return out


def _read(handle: Any, size: int) -> bytes:
    data: bytes = handle.read(size)
    if len(data) != size:
        raise ValueError("the file ends inside a blob (truncated)")
    return data


def _payload(blob: dict[int, list[Any]]) -> bytes:
    """A blob's block, decompressed (Blob: 1 raw, 2 raw_size, 3 zlib_data, 4 lzma_data)."""
    if 1 in blob:
        data: bytes = blob[1][0]
    elif 3 in blob:
        inflater = zlib.decompressobj()
        data = inflater.decompress(blob[3][0], _MAX_BLOCK)
        if not inflater.eof:
            raise ValueError("a zlib blob is truncated or larger than 32 MiB")
    elif 4 in blob:
        import lzma

        data = lzma.LZMADecompressor().decompress(blob[4][0], _MAX_BLOCK)
    else:
        raise ValueError("a blob uses a compression other than zlib or lzma")
    return data


def _blocks(
    path: Path, *, metadata: bool
) -> Iterator[tuple[list[bytes], dict[str, int], Any, Any, Any]]:
    """Each data block of a PBF file decoded by pyrosm's compiled decoder:
    ``(string table, header, nodes, ways, relations)``, the last three dicts of arrays
    or None. The file header's required features are checked first."""
    decode = _decode_function()
    if decode is None:
        raise ImportError("pyrosm has no block decoder")
    with open(path, "rb") as handle:
        while True:
            head = handle.read(4)
            if not head:
                return
            if len(head) < 4:
                raise ValueError("the file ends inside a blob header (truncated)")
            size = struct.unpack(">I", head)[0]
            if size > _MAX_HEADER:
                raise ValueError("a blob header is larger than 64 KiB: not a PBF file")
            header = _fields(_read(handle, size))
            kind, length = header.get(1, [b""])[0], header.get(3, [0])[0]
            block = _payload(_fields(_read(handle, length)))
            if kind == b"OSMHeader":
                features = _fields(block)
                unknown = set(features.get(4, [])) - _KNOWN_FEATURES
                # node locations carried by the ways (maybe without the nodes): osmium's
                unknown |= set(features.get(5, [])) & {b"LocationsOnWays"}
                if unknown:
                    raise UnknownFeature(b", ".join(sorted(unknown)).decode(errors="replace"))
            elif kind == b"OSMData":
                yield decode(block, metadata)


def _fixed(raw: np.ndarray, granularity: int, offset: int) -> np.ndarray:
    """PBF coordinates to osmium's fixed point, truncated toward zero as libosmium does."""
    nano = raw * granularity + offset
    return np.where(nano >= 0, nano // _NANO_PER_FIXED, -(-nano // _NANO_PER_FIXED))


def _columns(strings: list[bytes], wanted: dict[bytes, int]) -> np.ndarray:
    """Per string-table entry, its column in ``wanted`` (-1 for other strings)."""
    col = np.full(len(strings), -1, dtype=np.int64)
    for i, s in enumerate(strings):
        j = wanted.get(s)
        if j is not None:
            col[i] = j
    return col


def _last_read(ids: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Node ids (with their columns) sorted, each once: a node given twice (merged or
    history files) keeps the last one read."""
    if ids.size > 1 and not (ids[1:] > ids[:-1]).all():
        order = np.argsort(ids, kind="stable")
        ids, columns = ids[order], tuple(c[order] for c in columns)
        last = np.ones(ids.size, dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        ids, columns = ids[last], tuple(c[last] for c in columns)
    return (ids, *columns)


def node_positions(ids: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``refs`` is in the sorted unique node ``ids``, and whether it is
    there at all (a node missing from the file): ``(positions, found)``."""
    at = np.searchsorted(ids, refs)
    found = at < ids.size
    found[found] = ids[at[found]] == refs[found]
    return at, found


def road_ways(
    path: Path,
    tags: tuple[str, ...],
    keep: Callable[[str | None, str | None, str | None], int],
    collect: TaggedCollector | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The ways with a ``highway`` or ``route`` tag that ``keep`` keeps, in file order.

    Parameters
    ----------
    path : pathlib.Path
        An OSM PBF file.
    tags : tuple of str
        The tags to return per way; must include ``highway``, ``area`` and ``route``.
    keep : callable
        ``keep(highway, area, route)``: 2 for a road, 1 for another way to keep (a
        ferry), 0 to leave it out.
    collect : TaggedCollector, optional
        Also given every block (other tagged features read in the same pass); finished
        once the file is read to its end.

    Returns
    -------
    refs, x, y : numpy.ndarray
        Every kept way's node references in order, and their coordinates in osmium's
        fixed point (1e-7 degree; :data:`UNDEFINED` for a node missing from the file).
    counts : numpy.ndarray
        Nodes per kept way.
    way_tags : numpy.ndarray
        (ways, len(tags)) object array of the tags' values (None where unset).
    roads : int
        How many of the kept ways are roads.

    Raises
    ------
    Exception
        pyrosm's errors on a file it cannot decode (the caller names the file).
    """
    wanted = {k.encode(): j for j, k in enumerate(tags)}
    hw, area, route = wanted[b"highway"], wanted[b"area"], wanted[b"route"]
    verdicts: dict[tuple[str | None, str | None, str | None], int] = {}
    node_ids: list[np.ndarray] = []
    node_x: list[np.ndarray] = []
    node_y: list[np.ndarray] = []
    refs: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    way_tags: list[np.ndarray] = []
    roads = 0
    for strings, header, nodes, ways, relations in _blocks(path, metadata=False):
        if collect is not None:
            collect.add(strings, header, nodes, ways, relations)
        if nodes is not None and len(nodes["id"]):
            gran = int(header["granularity"])
            node_ids.append(nodes["id"])
            node_x.append(_fixed(nodes["lon"], gran, int(header["lon_offset"])))
            node_y.append(_fixed(nodes["lat"], gran, int(header["lat_offset"])))
        if ways is None or not len(ways["id"]):
            continue
        n = len(ways["id"])
        col = _columns(strings, wanted)[ways["keys"]]
        hit = np.flatnonzero(col >= 0)
        way_of_tag = np.repeat(np.arange(n), np.diff(ways["tags_off"]))
        table = np.full((n, len(tags)), -1, dtype=np.int64)
        table[way_of_tag[hit], col[hit]] = ways["vals"][hit]
        candidates = np.flatnonzero((table[:, hw] >= 0) | (table[:, route] >= 0))
        if not candidates.size:
            continue
        used, inverse = np.unique(table[candidates], return_inverse=True)
        text = np.array(
            [None if i < 0 else strings[i].decode(errors="replace") for i in used], dtype=object
        )
        values = text[inverse.reshape(candidates.size, len(tags))]
        verdict = np.empty(candidates.size, dtype=np.int8)
        for i, key in enumerate(zip(values[:, hw], values[:, area], values[:, route], strict=True)):
            found = verdicts.get(key)
            if found is None:
                found = verdicts[key] = keep(*key)
            verdict[i] = found
        kept = verdict > 0
        roads += int((verdict == 2).sum())
        chosen = np.zeros(n, dtype=bool)
        chosen[candidates[kept]] = True
        sizes = np.diff(ways["refs_off"])
        refs.append(ways["refs"][np.repeat(chosen, sizes)])
        counts.append(sizes[chosen])
        way_tags.append(values[kept])
    if collect is not None:
        collect.finish()
    if not refs:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty, np.empty((0, len(tags)), dtype=object), 0
    all_refs = np.concatenate(refs)
    x = np.full(all_refs.size, UNDEFINED, dtype=np.int64)
    y = x.copy()
    if node_ids:
        ids, xs, ys = _last_read(
            np.concatenate(node_ids), np.concatenate(node_x), np.concatenate(node_y)
        )
        at, known = node_positions(ids, all_refs)
        x[known], y[known] = xs[at[known]], ys[at[known]]
    return all_refs, x, y, np.concatenate(counts), np.concatenate(way_tags), roads


@dataclass(frozen=True)
class Tagged:
    """The ways and relations of a PBF file with some tags, and what their shapes need
    (:func:`tagged_elements`).

    Attributes
    ----------
    keys : tuple of str
        The keys of the wanted tags.
    node_ids, lon, lat : numpy.ndarray
        Every node of the file, by id (a repeated node: the last one read), in degrees
        as pyrosm computes them (``(raw * granularity + offset) / 1e9``).
    ways : list of (int, dict, numpy.ndarray)
        Each way with a wanted tag, in file order: id, all its tags, node references.
    relations : list of (int, dict, numpy.ndarray)
        Each relation with a wanted tag, in file order: id, all its tags, the ids of its
        way members in member order.
    member_refs : dict
        Way id -> node references, for every member way of those relations found in the file.
    """

    keys: tuple[str, ...]
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    ways: list[tuple[int, dict[str, str], np.ndarray]]
    relations: list[tuple[int, dict[str, str], np.ndarray]]
    member_refs: dict[int, np.ndarray]


def _hits(
    strings: list[bytes],
    element: Mapping[str, np.ndarray],
    wanted: Mapping[bytes, frozenset[bytes] | None],
) -> np.ndarray:
    """The elements of a block's ways or relations that carry a wanted tag (``wanted``:
    key -> values, None for any value)."""
    n = len(element["id"])
    keys, vals = element["keys"], element["vals"]
    if not n or not keys.size:
        return np.empty(0, dtype=np.int64)
    ok = np.zeros((len(wanted), len(strings)), dtype=bool)
    for j, values in enumerate(wanted.values()):
        if values is None:
            ok[j] = True
        else:
            ok[j] = [s in values for s in strings]
    col = _columns(strings, {k: j for j, k in enumerate(wanted)})[keys]
    hit = col >= 0
    hit[hit] = ok[col[hit], vals[hit]]
    owner = np.repeat(np.arange(n), np.diff(element["tags_off"]))
    return np.unique(owner[hit])


def _tags(strings: list[bytes], element: Mapping[str, np.ndarray], i: int) -> dict[str, str]:
    start, end = element["tags_off"][i], element["tags_off"][i + 1]
    return {
        strings[k].decode(errors="replace"): strings[v].decode(errors="replace")
        for k, v in zip(element["keys"][start:end], element["vals"][start:end], strict=True)
    }


class TaggedCollector:
    """Collects the ways and relations with some tags from decoded blocks, one block at
    a time (:func:`tagged_elements`, or :func:`road_ways` while it reads the roads: the
    file decoded once for both).

    Parameters
    ----------
    wanted : mapping
        OSM key -> the values to keep (a list or one value), or True for any value, as
        osmnx and pyrosm take them.
    """

    def __init__(self, wanted: Mapping[str, list[str] | str | bool]) -> None:
        self._keys = tuple(wanted)
        self._wanted: dict[bytes, frozenset[bytes] | None] = {}
        for key, values in wanted.items():
            if values is True:
                self._wanted[key.encode()] = None
            else:
                listed = [values] if isinstance(values, str) else [] if values is False else values
                self._wanted[key.encode()] = frozenset(x.encode() for x in listed)
        self._node_ids: list[np.ndarray] = []
        self._lons: list[np.ndarray] = []
        self._lats: list[np.ndarray] = []
        self._held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._ways: list[tuple[int, dict[str, str], np.ndarray]] = []
        self._relations: list[tuple[int, dict[str, str], np.ndarray]] = []
        #: What :meth:`finish` found (None until every block is in).
        self.elements: Tagged | None = None

    @property
    def complete(self) -> bool:
        """Whether every block of the file was added (:meth:`finish`)."""
        return self.elements is not None

    def add(
        self, strings: list[bytes], header: dict[str, int], nodes: Any, ways: Any, relations: Any
    ) -> None:
        """Take what is wanted from one decoded block."""
        if nodes is not None and len(nodes["id"]):
            gran = int(header["granularity"])
            self._node_ids.append(nodes["id"])
            self._lons.append((nodes["lon"] * gran + int(header["lon_offset"])) / 1e9)
            self._lats.append((nodes["lat"] * gran + int(header["lat_offset"])) / 1e9)
        if ways is not None and len(ways["id"]):
            off, refs = ways["refs_off"], ways["refs"]
            self._held.append((ways["id"], off, refs))  # a relation may name any of them
            for i in _hits(strings, ways, self._wanted):
                tags = _tags(strings, ways, int(i))
                self._ways.append((int(ways["id"][i]), tags, refs[off[i] : off[i + 1]].copy()))
        if relations is not None and len(relations["id"]):
            off, kinds = relations["members_off"], relations["types"]
            for i in _hits(strings, relations, self._wanted):
                tags = _tags(strings, relations, int(i))
                part = slice(off[i], off[i + 1])
                members = relations["memids"][part][kinds[part] == 1]  # 1: a way
                self._relations.append((int(relations["id"][i]), tags, members.copy()))

    def finish(self) -> Tagged:
        """The elements, once every block is in (marks the collector complete)."""
        member_refs: dict[int, np.ndarray] = {}
        if self._relations:
            named = np.unique(np.concatenate([r[2] for r in self._relations]))
            for ids, off, refs in self._held:
                for i in np.flatnonzero(np.isin(ids, named)):
                    member_refs[int(ids[i])] = refs[off[i] : off[i + 1]].copy()
        self._held = []
        if self._node_ids:
            ids, lon, lat = _last_read(
                np.concatenate(self._node_ids),
                np.concatenate(self._lons),
                np.concatenate(self._lats),
            )
        else:
            ids, lon, lat = np.empty(0, np.int64), np.empty(0), np.empty(0)
        self._node_ids, self._lons, self._lats = [], [], []
        self.elements = Tagged(self._keys, ids, lon, lat, self._ways, self._relations, member_refs)
        return self.elements


def tagged_elements(path: Path, wanted: Mapping[str, list[str] | str | bool]) -> Tagged:
    """The ways and relations of a PBF file with a wanted tag, in one pass over its blocks.

    Parameters
    ----------
    path : pathlib.Path
        An OSM PBF file.
    wanted : mapping
        As for :class:`TaggedCollector`.

    Returns
    -------
    Tagged

    Raises
    ------
    Exception
        pyrosm's errors on a file it cannot decode (the caller names the file).
    """
    collector = TaggedCollector(wanted)
    for block in _blocks(path, metadata=False):
        collector.add(*block)
    return collector.finish()


def newest_timestamp(path: Path) -> dt.datetime | None:
    """The newest edit time of any node, way or relation of a PBF file (UTC).

    None when no element carries a timestamp (a file written without metadata).
    """
    newest_ms = 0
    for _, header, *elements in _blocks(path, metadata=True):
        scale = int(header.get("date_granularity", 1000))
        for element in elements:
            if element is not None and len(element.get("timestamp", ())):
                newest_ms = max(newest_ms, int(element["timestamp"].max()) * scale)
    if newest_ms < _FIRST_STAMP_S * 1000:
        return None
    return dt.datetime.fromtimestamp(newest_ms / 1000, tz=dt.timezone.utc)
