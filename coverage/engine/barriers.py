"""Water barriers: off-road access legs never cross water.

The water polygons are burnt into a boolean mask on a metric grid (the network's
CRS; cells of ``cell_m``, larger when the area would need more than
:data:`MAX_MASK_CELLS`), with a label per piece of land and, for the cells where
legs start, the distance to the other side (a land cell's distance to water, a
water cell's to land). That distance is the exact Euclidean distance transform,
looked up per cell in KD-trees of the shore cells (the nearest water cell of a
land cell always has a land neighbour, and the other way round), so a mask of
tens of millions of cells costs a few shore cells rather than two full-grid
transforms.
A leg from a point to the road is *blocked* when

- its two ends lie on different pieces of land (any way between them crosses
  water), or
- a point of it farther than ``tolerance_m`` from both ends lies in water,
  sampled every half cell.

The tolerance lets a road node a few metres inside a riverbank polygon still be
joined. A point whose centre lies in water (a coastal or riverside cell of a
population raster) starts its leg at the shore: water within its distance to land
is not checked. For points on land, adding water only ever blocks more legs, so
a leg never gets shorter when water is added.

Legs of at most twice the tolerance (60 m) are never blocked. Cost: such legs,
and a leg shorter than the distance from its start to the nearest water (it cannot
cross any), are not walked (one mask lookup per point), and a point's nearest
road is tested first, the next ones only when it is blocked; only legs near water
are sampled, in vectorised blocks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS

from ..inputs.network import Network
from ..inputs.water import WaterFeatures
from ..threads import split_arrays, thread_count
from .index import kd_workers
from .water_grid import burn, land_pieces, shore_trees

__all__ = [
    "MAX_CANDIDATES",
    "MAX_MASK_CELLS",
    "TOLERANCE_M",
    "WaterMask",
    "barrier_bounds",
    "barrier_for_network",
    "land_pieces",
    "nearest_unblocked",
    "water_mask",
    "water_source",
]

#: Water this close to a leg's ends does not block it (a road node a few metres inside
#: a riverbank polygon still joins).
TOLERANCE_M = 30.0
#: Largest mask (cells); the cell grows beyond ``cell_m`` for larger areas.
MAX_MASK_CELLS = 25_000_000
#: Road nodes tried per point, nearest first (1, then 8, then 64): a point whose
#: nearest 64 nodes all lie across water joins none.
MAX_CANDIDATES = 64
# samples walked at once (shared by the threads), fewest legs for a thread of their own
_BLOCK = 4_000_000
_MIN_LEGS = 1024


@dataclass(frozen=True)
class WaterMask:
    """Water on a metric grid, and each cell's distance to it.

    Attributes
    ----------
    water : numpy.ndarray
        (rows, cols) bool, True in water.
    land : numpy.ndarray
        (rows, cols) int32 label of each piece of land (0 in water).
    x0, y1 : float
        West and north edges of the grid, in ``crs``.
    cell_m : float
        Cell size in metres.
    crs : pyproj.CRS
        The metric CRS of the grid (the network's).
    tolerance_m : float
        Water within this distance of a leg's ends does not block it.
    wet_shore, dry_shore : scipy.spatial.cKDTree, optional
        (row, col) of the water cells next to land and of the land cells next to
        water (4-neighbours); built from ``water`` when not given.
    """

    water: np.ndarray
    land: np.ndarray
    x0: float
    y1: float
    cell_m: float
    crs: CRS
    tolerance_m: float = TOLERANCE_M
    wet_shore: Any = None
    dry_shore: Any = None

    def __post_init__(self) -> None:
        if self.wet_shore is None or self.dry_shore is None:
            wet, dry = shore_trees(self.water)
            object.__setattr__(self, "wet_shore", wet)
            object.__setattr__(self, "dry_shore", dry)

    def distance_m(self, row: np.ndarray, col: np.ndarray, *, upto_m: float = np.inf) -> np.ndarray:
        """Distance from each cell to the other side, as the grid's distance transform.

        Parameters
        ----------
        row, col : numpy.ndarray
            Cells of the grid (same shape).
        upto_m : float
            Distances beyond this come back as ``inf`` (faster look-ups).

        Returns
        -------
        numpy.ndarray
            float: from a land cell, the distance between its centre and the
            nearest water cell's; from a water cell, to the nearest land cell's
            (``inf`` when there is none within ``upto_m``).
        """
        row = np.asarray(row, dtype=np.int64).ravel()
        col = np.asarray(col, dtype=np.int64).ravel()
        out = np.full(row.size, np.inf)
        wet = self.water[row, col]
        bound = upto_m / self.cell_m if np.isfinite(upto_m) else np.inf
        for mask, tree in ((~wet, self.wet_shore), (wet, self.dry_shore)):
            idx = np.flatnonzero(mask)
            if idx.size and tree.n:
                d, _ = tree.query(
                    np.column_stack([row[idx], col[idx]]),
                    distance_upper_bound=bound,
                    workers=kd_workers(),
                )
                out[idx] = np.asarray(d, dtype=float) * self.cell_m
        return out

    def _cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        col = np.floor((x - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((self.y1 - y) / self.cell_m).astype(np.int64)
        rows, cols = self.water.shape
        inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
        return np.where(inside, row, 0), np.where(inside, col, 0), inside

    def piece_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The piece of land of each point (its cell's; in water, the nearest land cell's).

        Parameters
        ----------
        x, y : numpy.ndarray
            Points in the mask's CRS.

        Returns
        -------
        numpy.ndarray
            int64 labels of :attr:`land`; 0 outside the grid or with no land at all.
        """
        row, col, inside = self._cells(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        out = np.where(inside, self.land[row, col], 0).astype(np.int64)
        wet = np.flatnonzero(inside & (out == 0))
        if wet.size and self.dry_shore.n:
            _, j = self.dry_shore.query(np.column_stack([row[wet], col[wet]]))
            shore = np.asarray(self.dry_shore.data[j], dtype=np.int64)
            out[wet] = self.land[shore[:, 0], shore[:, 1]]
        return out

    def blocked(self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        """Whether each straight leg from a point (x0, y0) to the road (x1, y1) crosses water.

        Parameters
        ----------
        x0, y0, x1, y1 : numpy.ndarray
            Leg ends (same shape), in the mask's CRS.

        Returns
        -------
        numpy.ndarray
            bool, the shape of ``x0``.
        """
        shape = np.shape(x0)
        x0, y0, x1, y1 = (np.asarray(a, dtype=float).ravel() for a in (x0, y0, x1, y1))
        length = np.hypot(x1 - x0, y1 - y0)
        out = np.zeros(x0.size, dtype=bool)
        # a leg within the tolerance of both ends has nothing to check
        long = np.flatnonzero(np.isfinite(length) & (length > 2 * self.tolerance_m))
        if long.size:
            out[long] = self._blocked_long(x0[long], y0[long], x1[long], y1[long], length[long])
        return out.reshape(shape)

    def _blocked_long(
        self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, length: np.ndarray
    ) -> np.ndarray:
        out = np.zeros(x0.size, dtype=bool)
        r0, c0, in0 = self._cells(x0, y0)
        r1, c1, in1 = self._cells(x1, y1)
        piece0 = np.where(in0, self.land[r0, c0], 0)
        piece1 = np.where(in1, self.land[r1, c1], 0)
        out[(piece0 > 0) & (piece1 > 0) & (piece0 != piece1)] = True
        wet0 = in0 & self.water[r0, c0]
        # a point in water starts at the shore; a point on land is clear of water
        # for its distance to it (less half a cell diagonal: anywhere in its cell).
        # Beyond the longest leg the distance decides nothing: not looked up.
        to_side = np.full(x0.size, np.inf)
        look = np.flatnonzero(in0 & ~out)
        if look.size:
            # legs come k to a point: each start cell is looked up once, as far as its
            # longest leg (in a few bands of doubling reach: a short search is cheap)
            _, first, back = np.unique(
                r0[look] * self.water.shape[1] + c0[look], return_index=True, return_inverse=True
            )
            back = back.ravel()
            at = look[first]
            reach = np.zeros(at.size)
            np.maximum.at(reach, back, length[look] + 2 * self.cell_m)
            band = np.ceil(np.log2(np.maximum(reach / self.cell_m, 1.0))).astype(np.int64)
            cell_side = np.full(at.size, np.inf)
            for b in np.unique(band):
                of = np.flatnonzero(band == b)
                cell_side[of] = self.distance_m(r0[at[of]], c0[at[of]], upto_m=self.cell_m * 2.0**b)
            to_side[look] = cell_side[back]
        shore = np.where(wet0, to_side + self.cell_m, 0.0)
        clear = np.where(in0 & ~wet0, to_side - self.cell_m * 0.71, np.inf)
        near = ~out & (length > 2 * self.tolerance_m + shore)
        near &= wet0 | (length >= clear)
        todo = np.flatnonzero(near)
        # A wet sample proves a crossing at any spacing: a coarse pass (four cells
        # apart) settles the legs over open water cheaply; only the legs it finds
        # dry are sampled again every half cell, which is what decides them.
        # numpy's indexing releases the GIL: the legs split over the cores, each
        # thread walking blocks of its share of the samples
        block = max(1, _BLOCK // thread_count())
        for step in (self.cell_m * 4.0, self.cell_m / 2.0):
            if not todo.size:
                break

            def walk(part: np.ndarray, step: float = step) -> tuple[np.ndarray]:
                return (self._wet_samples(part, x0, y0, x1, y1, length, shore, step, block),)

            hit = split_arrays(walk, todo, min_chunk=_MIN_LEGS)[0]
            out[todo[hit]] = True
            todo = todo[~hit]
        return out

    def _wet_samples(
        self,
        todo: np.ndarray,
        x0: np.ndarray,
        y0: np.ndarray,
        x1: np.ndarray,
        y1: np.ndarray,
        length: np.ndarray,
        shore: np.ndarray,
        step: float,
        block: int,
    ) -> np.ndarray:
        """Whether a sample every ``step`` metres of each leg ``todo`` lies in water
        (at most about ``block`` samples at once).

        Samples within the tolerance of the road end, or of the start (plus the
        way to the shore for a start in water), are not looked at.
        """
        hit = np.zeros(todo.size, dtype=bool)
        n_samples = np.ceil(length[todo] / step).astype(np.int64) + 1
        ends = np.cumsum(n_samples)
        start = 0
        while start < todo.size:
            done = int(ends[start - 1]) if start else 0
            stop = start + max(1, int(np.searchsorted(ends[start:], done + block)))
            counts = n_samples[start:stop]
            leg = np.repeat(np.arange(start, stop), counts)
            first = np.cumsum(counts) - counts
            frac = (np.arange(leg.size) - first[leg - start]) / np.maximum(
                counts[leg - start] - 1, 1
            )
            i = todo[leg]
            along = frac * length[i]
            inner = (along > self.tolerance_m + shore[i]) & (along < length[i] - self.tolerance_m)
            i, frac, leg = i[inner], frac[inner], leg[inner]
            row, col, inside = self._cells(
                x0[i] + frac * (x1[i] - x0[i]), y0[i] + frac * (y1[i] - y0[i])
            )
            hit[leg[inside & self.water[row, col]]] = True
            start = stop
        return hit


def water_mask(
    polygons: object,
    crs: CRS | str,
    bounds: tuple[float, float, float, float],
    *,
    cell_m: float = 10.0,
    tolerance_m: float = TOLERANCE_M,
) -> WaterMask | None:
    """Burn water polygons into a :class:`WaterMask` over ``bounds``.

    Parameters
    ----------
    polygons : geopandas.GeoSeries
        Water polygons in any CRS.
    crs : pyproj.CRS or str
        The metric CRS of the network.
    bounds : tuple of float
        (xmin, ymin, xmax, ymax) in ``crs``: the network with its longest leg around.
    cell_m : float
        Smallest cell size; larger when the area would need more than
        :data:`MAX_MASK_CELLS` cells.
    tolerance_m : float
        Water this close to a leg's ends does not block it.

    Returns
    -------
    WaterMask or None
        None when no water lies within ``bounds``.
    """
    import geopandas as gpd
    import shapely

    crs = CRS.from_user_input(crs)
    geoms = gpd.GeoSeries(polygons).to_crs(crs)
    area = shapely.box(*bounds)
    geoms = geoms[geoms.intersects(area)]
    if geoms.empty:
        return None
    xmin, ymin, xmax, ymax = bounds
    cell = max(cell_m, float(np.sqrt((xmax - xmin) * (ymax - ymin) / MAX_MASK_CELLS)))
    cols = max(1, int(np.ceil((xmax - xmin) / cell)))
    rows = max(1, int(np.ceil((ymax - ymin) / cell)))
    water = burn(geoms.intersection(area).to_numpy(), rows, cols, xmin, ymax, cell)
    if not water.any():
        return None
    return WaterMask(water, land_pieces(water), xmin, ymax, cell, crs, tolerance_m)


def nearest_unblocked(
    tree: object,
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    max_distance_m: float,
    barrier: WaterMask,
    *,
    by_piece: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest points of a KD-tree reachable from (x, y) without crossing water.

    The nearest candidates are tried first, then eight times as many, up to
    :data:`MAX_CANDIDATES`. A point whose candidates that far all lie across water
    (a village on a headland facing another island's roads) is searched again among
    the points on its own piece of land only: every other piece is across water.

    Parameters
    ----------
    tree : scipy.spatial.cKDTree
        Of the candidate points (road nodes).
    x, y : numpy.ndarray
        Query points.
    k : int
        Candidates wanted per point.
    max_distance_m : float
        Longest leg.
    barrier : WaterMask
        The water.
    by_piece : bool
        Search the points left without a candidate again on their own piece of land.

    Returns
    -------
    dist, pos : numpy.ndarray
        (points, k): distances (inf: none) and tree positions (``tree.n``: none),
        nearest first, like ``cKDTree.query``.
    """
    n_tree = int(tree.n)  # type: ignore[attr-defined]
    data = tree.data  # type: ignore[attr-defined]
    pts = np.column_stack([x, y])
    dist = np.full((x.size, k), np.inf)
    pos = np.full((x.size, k), n_tree, dtype=np.int64)
    todo = np.arange(x.size)
    stuck = todo[:0]
    tried = np.zeros((0, 1), dtype=np.int64)
    kk = min(k, n_tree)  # the nearest first: most points are done in this round
    while todo.size:
        d, p = tree.query(  # type: ignore[attr-defined]
            pts[todo], k=kk, distance_upper_bound=max_distance_m, workers=kd_workers()
        )
        d = np.asarray(d, dtype=float).reshape(todo.size, kk)
        p = np.asarray(p, dtype=np.int64).reshape(todo.size, kk)
        ok = np.isfinite(d)
        q = np.minimum(p, n_tree - 1)
        cross = np.zeros(d.shape, dtype=bool)
        cross[ok] = barrier.blocked(
            np.broadcast_to(x[todo][:, None], d.shape)[ok],
            np.broadcast_to(y[todo][:, None], d.shape)[ok],
            data[q, 0][ok],
            data[q, 1][ok],
        )
        d = np.where(cross, np.inf, d)
        # the tree gives each row nearest first: only rows with a blocked candidate
        # (their reachable ones moved up, stably) need sorting again
        order = np.broadcast_to(np.arange(kk), d.shape).copy()
        moved = np.flatnonzero(cross.any(axis=1))
        order[moved] = np.argsort(d[moved], axis=1, kind="stable")
        order = order[:, :k]
        dist[todo] = np.take_along_axis(d, order, axis=1)
        pos[todo] = np.where(np.isfinite(dist[todo]), np.take_along_axis(p, order, axis=1), n_tree)
        # more candidates exist beyond the kk-th and fewer than k were reachable
        short = np.isfinite(dist[todo]).sum(axis=1) < k
        more = cross[:, -1]  # the kk-th was in reach (blocked): there may be more
        if kk >= min(n_tree, MAX_CANDIDATES):
            stuck = todo[short & more]
            tried = p[short & more]
            break
        todo = todo[short & more]
        kk = min(max(8, kk * 8), n_tree, MAX_CANDIDATES)
    if by_piece and stuck.size:
        _same_piece(tree, x, y, k, max_distance_m, barrier, stuck, tried, dist, pos)
    return dist, pos


def _same_piece(
    tree: Any,
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    max_distance_m: float,
    barrier: WaterMask,
    stuck: np.ndarray,
    tried: np.ndarray,
    dist: np.ndarray,
    pos: np.ndarray,
) -> None:
    """Search ``stuck`` points again among the tree's points on their piece of land.

    ``tried`` holds the tree positions each was tried against; a point whose tried
    candidates were all on its own piece already is left as it is (its piece holds
    nothing nearer). Fills the rows of ``dist`` and ``pos`` in place. The candidates
    found before (the reachable ones among the nearest) are on the same piece and
    nearer than any other of it, so they come back first.
    """
    from scipy.spatial import cKDTree

    data = tree.data
    node_piece = barrier.piece_at(data[:, 0], data[:, 1])
    point_piece = barrier.piece_at(x[stuck], y[stuck])
    elsewhere = node_piece[np.minimum(tried, tree.n - 1)] != point_piece[:, None]
    keep = (elsewhere & (tried < tree.n)).any(axis=1)
    stuck, point_piece = stuck[keep], point_piece[keep]
    for piece in np.unique(point_piece[point_piece > 0]):
        nodes = np.flatnonzero(node_piece == piece)
        if nodes.size == 0:
            continue
        rows = stuck[point_piece == piece]
        kk = min(k, nodes.size)
        d, p = nearest_unblocked(
            cKDTree(data[nodes]), x[rows], y[rows], kk, max_distance_m, barrier, by_piece=False
        )
        dist[rows] = np.inf
        pos[rows] = tree.n
        dist[rows, :kk] = d
        pos[rows, :kk] = np.where(np.isfinite(d), nodes[np.minimum(p, nodes.size - 1)], tree.n)


def barrier_for_network(
    network: Network,
    *,
    osm_water: bool = True,
    layer: str | os.PathLike[str] | None = None,
    max_access_m: float = 5000.0,
    cell_m: float = 10.0,
    features: WaterFeatures | None = None,
) -> WaterMask | None:
    """The water mask of a network: water of its OSM file and an optional polygon layer.

    Parameters
    ----------
    network : Network
        The road network; its ``source`` file is read again for water.
    osm_water : bool
        Read water areas from the network's OSM file
        (:func:`~coverage.inputs.water.read_osm_water`).
    layer : path-like, optional
        A ``barriers:`` polygon layer (:func:`~coverage.inputs.water.read_barrier_layer`).
    max_access_m : float
        Longest leg: the mask covers the network widened by it.
    cell_m : float
        Cell size of the mask.
    features : callable, optional
        Reads the OSM file's water features (default: read here; see
        :func:`~coverage.inputs.water.read_osm_water`).

    Returns
    -------
    WaterMask or None
        None when there is no water.
    """
    import geopandas as gpd
    import pandas as pd

    from ..inputs.crs import transform_xy
    from ..inputs.water import read_barrier_layer, read_osm_water, water_features

    bounds = barrier_bounds(network, max_access_m)
    parts = []
    source = water_source(network) if osm_water else None
    if source is not None:
        lon, lat = transform_xy(
            np.array([bounds[0], bounds[2], bounds[0], bounds[2]]),
            np.array([bounds[1], bounds[1], bounds[3], bounds[3]]),
            network.crs,
            "EPSG:4326",
        )
        box = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        water = read_osm_water(source, box, features=features or water_features)
        parts.append(water.to_crs(network.crs))
    if layer is not None:
        parts.append(read_barrier_layer(layer).to_crs(network.crs))
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    polygons = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=network.crs)
    return water_mask(polygons, network.crs, bounds, cell_m=cell_m)


def barrier_bounds(network: Network, max_access_m: float) -> tuple[float, float, float, float]:
    """The extent of a network's water mask: the network widened by the longest leg
    (at most 20 km), in its CRS, as (xmin, ymin, xmax, ymax)."""
    margin = min(max_access_m, 20_000.0)
    return (
        float(network.x.min()) - margin,
        float(network.y.min()) - margin,
        float(network.x.max()) + margin,
        float(network.y.max()) + margin,
    )


def water_source(network: Network) -> Path | None:
    """The network's OSM file, whose water areas the mask reads, or None (not OSM)."""
    source = Path(network.source) if network.source else None
    osm = source is not None and source.name.lower().endswith(
        (".pbf", ".osm", ".osm.gz", ".osm.bz2", ".xml")
    )
    return source if osm and source is not None and source.is_file() else None
