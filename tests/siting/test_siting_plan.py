"""End to end on the hand-solvable street grid: candidates, `coverage15 site`, outputs."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from fixtures.synthetic import lattice_lonlat, make_grid_case

from coverage.cli import main
from coverage.config import load_config
from coverage.errors import InputError
from coverage.pipeline import run_coverage
from coverage.siting.candidates import (
    PARTNER_TAGS,
    candidates_from_file,
    candidates_from_gaps,
    candidates_from_osm,
    prepare_candidates,
)
from coverage.siting.plan import run_siting

N = 9
CANDIDATES = {"C1": (0, 0), "C2": (0, 8), "C3": (8, 8), "C4": (8, 0), "C5": (4, 0), "C6": (1, 6)}


def covered(case, nodes) -> float:
    """People within 2 blocks (5 minutes at 2 minutes a block) of any of ``nodes``."""
    rows, cols = np.mgrid[0:N, 0:N]
    blocks = np.min([np.abs(rows - r) + np.abs(cols - c) for r, c in nodes], axis=0)
    return float(case.counts[blocks <= 2].sum())


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    case = make_grid_case(tmp_path_factory.mktemp("grid"), n=N, station_nodes=[(4, 4)])
    lon, lat = lattice_lonlat(N, case.spacing_m)
    rows = ["id,name,type,lon,lat"] + [
        f"{i},Site {i},clinic,{lon[r, c]:.7f},{lat[r, c]:.7f}" for i, (r, c) in CANDIDATES.items()
    ]
    rows.append(f"S1dup,On the station,bank,{lon[4, 4]:.7f},{lat[4, 4]:.7f}")
    path = case.folder / "candidates.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    case.extra["candidates"] = path
    return case


def best(case, k):
    station = [(4, 4)]
    return max(
        (covered(case, station + [CANDIDATES[i] for i in combo]), combo)
        for combo in itertools.combinations(sorted(CANDIDATES), k)
    )


@pytest.mark.parametrize("solver", ["exact", "greedy"])
def test_site_cli_adds_the_enumerated_best_sites(grid, tmp_path, solver, capsys):
    out = tmp_path / "out"
    code = main(
        ["site", str(grid.config), "--add", "2", "--candidates", str(grid.extra["candidates"]),
         "--solver", solver, "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    total = float(grid.counts.sum())
    value, combo = best(grid, 2)
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert summary["before"]["population_covered"] == pytest.approx(covered(grid, [(4, 4)]))
    assert summary["population_total"] == pytest.approx(total)
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert list(sites.columns[:4]) == ["rank", "id", "name", "type"]
    if solver == "exact":
        assert sorted(sites["id"]) == sorted(combo)
        assert summary["after"]["population_covered"] == pytest.approx(value)
        assert summary["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert summary["after"]["population_covered"] <= value + 1e-6
    assert sites["cumulative_share"].iloc[-1] == pytest.approx(summary["after"]["coverage_share"])
    assert np.all(np.diff(sites["newly_covered_population"]) <= 1e-9)
    features = json.loads((out / "sites.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["id"] for f in features] == sites["id"].tolist()
    crit = pd.read_csv(out / "criticality.csv", encoding="utf-8-sig")
    # the only station is critical for everyone it reaches
    assert crit["population_critical"].tolist() == [pytest.approx(covered(grid, [(4, 4)]))]


def test_before_share_matches_the_coverage_run(grid):
    config = load_config(grid.config)
    result = run_siting(config, candidates=[str(grid.extra["candidates"])], add=1)
    coverage = run_coverage(config)
    assert result.summary["before"]["coverage_share"] == pytest.approx(coverage.coverage_share)
    # the candidate on top of the station is the station: dropped
    assert "S1dup" not in set(result.candidates["id"])


def test_several_modes_need_a_mode(grid):
    config = load_config(grid.config, modes=["walk", "bike"], snap_to="edge")
    with pytest.raises(InputError, match="several"):
        run_siting(config, candidates=[str(grid.extra["candidates"])], add=1)
    with pytest.raises(InputError, match="--mode"):
        run_siting(config, candidates=[str(grid.extra["candidates"])], add=1, mode="drive")
    result = run_siting(config, candidates=[str(grid.extra["candidates"])], add=1, mode="bike")
    assert result.summary["mode"] == "bike" and result.summary["snap_to"] == "edge"


def test_target_uses_the_fewest_sites(grid, tmp_path):
    total = float(grid.counts.sum())
    target = 0.5
    need = next(
        k for k in range(1, len(CANDIDATES) + 1) if best(grid, k)[0] >= target * total - 1e-9
    )
    out = tmp_path / "t"
    code = main(
        ["site", str(grid.config), "--target", str(target), "--candidates",
         str(grid.extra["candidates"]), "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert summary["sites_added"] == need
    assert summary["after"]["coverage_share"] >= target - 1e-9
    assert summary["after"]["population_covered"] == pytest.approx(best(grid, need)[0])


def test_forced_and_excluded_candidates(grid):
    config = load_config(grid.config)
    result = run_siting(
        config, candidates=[str(grid.extra["candidates"])], add=2, force=["C6"], exclude=["C3"]
    )
    ids = result.sites["id"].tolist()
    assert ids[0] == "C6" and result.sites["forced"].tolist()[0]
    assert "C3" not in set(result.candidates["id"])
    expected = max(
        covered(grid, [(4, 4), CANDIDATES["C6"], CANDIDATES[i]])
        for i in CANDIDATES
        if i not in ("C3", "C6")
    )
    assert result.summary["after"]["population_covered"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "1.5"], "--target"),
        (["--target", "lots"], "--target"),
        (["--add", "0"], "--add"),
        (["--add", "1", "--force", "nope"], "nope"),
        (["--add", "1", "--close", "S9"], "S9"),
        (["--target", "1.0"], "cannot be reached"),
        (["--add", "1", "--time-limit", "0"], "--time-limit"),
        (["--add", "1", "--candidates", "missing.csv"], "not found"),
        (["--add", "1", "--types", "school", "--candidates", "osm"], "unknown partner type"),
    ],
)
def test_bad_input_exits_2_with_one_line(grid, tmp_path, capsys, args, message):
    base = ["site", str(grid.config), "--out", str(tmp_path / "bad"), "--quiet"]
    if "--candidates" not in args:
        args = [*args, "--candidates", str(grid.extra["candidates"])]
    assert main(base + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and message in err
    assert not (tmp_path / "bad" / "sites.csv").exists()


def test_osm_candidates_by_partner_type(tmp_path):
    import osmium
    from osmium.osm.mutable import Node

    tagged = [
        {"amenity": "bank", "name": "农业银行"},
        {"amenity": "hospital", "name": "County hospital"},
        {"healthcare": "pharmacy"},
        {"office": "government", "name": "Township office"},
        {"amenity": "community_centre", "name": "村委会"},
        {"amenity": "post_office", "name": "Post"},
        {"amenity": "school", "name": "School"},  # not a partner type
        {"amenity": "marketplace", "office": "government", "name": "Market hall"},
        {"amenity": "townhall", "office": "government", "name": "Town hall"},
    ]
    path = tmp_path / "pois.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, tags in enumerate(tagged):
            writer.add_node(Node(id=i + 1, location=(118.0 + i * 0.001, 28.0), tags=tags))
    finally:
        writer.close()
    table = candidates_from_osm(path)
    got = dict(zip(table["id"], table["type"], strict=True))
    assert got == {
        "node/1": "bank",
        "node/2": "clinic",
        "node/3": "pharmacy",
        "node/4": "government",
        "node/5": "government",
        "node/6": "post_office",
        "node/9": "government",
    }
    assert table.loc[table["id"] == "node/1", "name"].item() == "农业银行"
    assert table.loc[table["id"] == "node/3", "name"].item() == "pharmacy node/3"
    only = candidates_from_osm(path, types=["bank", "post_office"])
    assert only["id"].tolist() == ["node/1", "node/6"]
    assert set(PARTNER_TAGS) == {"bank", "clinic", "pharmacy", "government", "post_office"}


def test_gap_candidates_are_the_most_populated_uncovered_cells_spaced_apart(grid):
    from coverage.inputs.population import demand_from_grid, read_population

    demand = demand_from_grid(read_population(grid.population))
    rows, cols = demand.rows, demand.cols
    blocks = np.abs(rows - 4) + np.abs(cols - 4)
    minutes = np.where(blocks <= 2, blocks * 2.0, np.inf)
    gaps = candidates_from_gaps(demand, minutes, threshold=5.0, count=3, spacing_m=500.0)
    assert len(gaps) == 3
    picked = [int(i.split("/")[1]) for i in gaps["id"]]
    # the densest uncovered cell is the south-east corner (population grows with row, col)
    assert (rows[picked[0]], cols[picked[0]]) == (8, 8)
    assert np.all(np.isinf(minutes[picked]))
    pts = gaps.to_crs("EPSG:32650").geometry
    for a, b in itertools.combinations(range(3), 2):
        assert pts.iloc[a].distance(pts.iloc[b]) >= 500.0
    pops = gaps["population"].to_numpy()
    assert pops[0] == grid.counts.max()


def test_candidate_file_and_preparation(grid):
    table = candidates_from_file(grid.extra["candidates"])
    assert table.columns[:5].tolist() == ["id", "name", "type", "source", "geometry"]
    from coverage.inputs.stations import read_stations

    stations = read_stations(grid.stations)
    prepared = prepare_candidates(table, stations, metric_crs="EPSG:32650", force=["C1"])
    assert "S1dup" not in set(prepared["id"]) and prepared["forced"].sum() == 1
    with pytest.raises(ValueError, match="existing station"):
        prepare_candidates(table, stations, metric_crs="EPSG:32650", force=["S1dup"])
    with pytest.raises(ValueError, match="keep it in one"):
        prepare_candidates(table, stations, metric_crs="EPSG:32650", force=["C1"], exclude=["C1"])


def test_closing_the_station_what_if(grid, tmp_path):
    out = tmp_path / "close"
    code = main(
        ["site", str(grid.config), "--add", "1", "--close", "S1", "--candidates",
         str(grid.extra["candidates"]), "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    alone = covered(grid, [(4, 4)])
    assert summary["closed"]["stations"] == ["S1"]
    assert summary["closed"]["population_losing_access"] == pytest.approx(alone)
    assert summary["before"]["population_covered"] == 0.0
    assert summary["before"]["stations"] == 0
    # with no station left, the best single site is the best site on its own
    assert summary["after"]["population_covered"] == pytest.approx(
        max(covered(grid, [node]) for node in CANDIDATES.values())
    )


def test_capacity_and_reachable_target(grid, tmp_path):
    out = tmp_path / "cap"
    assert main(
        ["site", str(grid.config), "--add", "2", "--capacity", "100", "--candidates",
         str(grid.extra["candidates"]), "--out", str(out), "--quiet"]
    ) == 0  # fmt: skip
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    # several candidates reach more than 100 new people, so two sites serve exactly 200
    assert summary["newly_covered_population"] == pytest.approx(200.0)
    out = tmp_path / "all"
    assert main(
        ["site", str(grid.config), "--target", "reachable", "--candidates",
         str(grid.extra["candidates"]), "--out", str(out), "--quiet"]
    ) == 0  # fmt: skip
    summary = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    everyone = covered(grid, [(4, 4), *CANDIDATES.values()])
    assert summary["after"]["population_covered"] == pytest.approx(everyone)
    need = next(k for k in range(1, 7) if best(grid, k)[0] >= everyone - 1e-9)
    assert summary["sites_added"] == need
