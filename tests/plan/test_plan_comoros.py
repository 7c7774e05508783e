"""The planning session on the Comoros (70 health sites, 131 villages, 3 islands)."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
from plan_helpers import assert_same_coverage, run_with_frame, uncovered_village_point

from coverage.plan import close_station, move_station, open_station, start_session, undo_edit
from coverage.plan.view import SurfaceCanvas, session_view

pytestmark = [
    pytest.mark.shared,
    # the Comoros table lists eight sites twice, 1-24 m apart
    pytest.mark.filterwarnings("ignore::coverage.metrics.duplicates.DuplicateStationWarning"),
]


def test_comoros_edits_equal_runs_on_the_edited_table(comoros_plan, tmp_path):
    config, result = comoros_plan
    canvas = SurfaceCanvas.for_result(result, lambda x, y: (x, y))
    session = start_session(result)
    stations = gpd.read_file(config.parent / "stations.geojson")
    ids = stations["id"].astype(str).tolist()
    moved_id, closed_id = ids[10], ids[20]
    lon, lat = uncovered_village_point(result)
    where = stations.set_index("id").geometry
    target = (float(where[moved_id].x) + 0.01, float(where[moved_id].y) - 0.005)

    seconds = []
    edits = [
        lambda s: open_station(s, lon, lat, tier="village", name="新村点"),
        lambda s: move_station(s, moved_id, *target),
        lambda s: close_station(s, closed_id),
        undo_edit,
    ]
    sessions = [session]
    for edit in edits:
        started = time.perf_counter()
        sessions.append(edit(sessions[-1]))
        session_view(sessions[-1], canvas=canvas, shift=lambda x, y: (x, y), lang="zh")
        seconds.append(time.perf_counter() - started)
    print(f"Comoros edit + view seconds (add, move, close, undo): {np.round(seconds, 3)}")
    added, moved, closed, undone = sessions[1:]
    assert added.current.result.coverage_share > result.coverage_share
    assert added.changed and all(c.now for c in added.changed)  # the village is now covered

    # the reference: `run` over the station table edited by hand
    edited = stations.copy()
    new = gpd.GeoDataFrame(
        {"id": ["P1"], "name": ["新村点"], "tier": ["village"]},
        geometry=gpd.points_from_xy([lon], [lat]),
        crs=edited.crs,
    )
    edited = gpd.GeoDataFrame(gpd.pd.concat([edited, new], ignore_index=True), crs=stations.crs)
    edited.loc[edited["id"] == moved_id, "geometry"] = gpd.points_from_xy([target[0]], [target[1]])
    assert_same_coverage(moved.current.result, run_with_frame(config, edited, tmp_path))
    closed_table = edited[edited["id"] != closed_id]
    reference = run_with_frame(config, closed_table, tmp_path)
    assert_same_coverage(closed.current.result, reference)
    assert undone.current is moved.current
    # each edit with its new surface within a second even on a busy machine
    assert max(seconds) < 1.5, seconds
