"""`coverage15 site --meet-targets` and `--objective units` on a town of 12 villages.

The town is the hand-solvable street grid (12 x 12 nodes, 2 minutes a block, a
5-minute threshold: 2 blocks). Villages are 4 x 3-node tiles, townships the three
bands of four villages. Every answer is checked against the best set of candidates
found by enumerating all of them, with coverage computed by hand (Manhattan blocks).
"""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from fixtures.synthetic import ORIGIN_X, ORIGIN_Y, UTM, lattice_lonlat, make_grid_case
from shapely.geometry import box

from coverage.cli import main

N = 12
SHARE = 0.8
STATION = (1, 1)
#: id -> (row, col, tier)
CANDIDATES = {
    "C1": (1, 5, "village"),
    "C2": (2, 9, "township"),
    "C3": (5, 1, "village"),
    "C4": (5, 6, "township"),
    "C5": (6, 10, "village"),
    "C6": (9, 2, "township"),
    "C7": (10, 6, "village"),
    "C8": (10, 10, "village"),
    "C9": (3, 3, "village"),
    "C10": (8, 8, "township"),
}


def village_of(r: int, c: int) -> int:
    return (r // 4) * 4 + c // 3


def covered_points(nodes):
    rows, cols = np.mgrid[0:N, 0:N]
    blocks = np.min([np.abs(rows - r) + np.abs(cols - c) for r, c in nodes], axis=0)
    return blocks <= 2


def units(case, nodes):
    """(townships covered, villages covered, people covered) by hand."""
    cov = covered_points(nodes)
    rows, cols = np.mgrid[0:N, 0:N]
    village = (rows // 4) * 4 + cols // 3
    pop = case.counts
    v_pop = np.bincount(village.ravel(), weights=pop.ravel(), minlength=12)
    v_cov = np.bincount(village.ravel(), weights=(pop * cov).ravel(), minlength=12)
    t_pop = np.bincount(village.ravel() // 4, weights=pop.ravel(), minlength=3)
    t_cov = np.bincount(village.ravel() // 4, weights=(pop * cov).ravel(), minlength=3)
    villages = int((v_cov >= SHARE * v_pop * (1 - 1e-9)).sum())
    townships = int((t_cov >= SHARE * t_pop * (1 - 1e-9)).sum())
    return townships, villages, float(pop[cov].sum())


def township_rule_ok(combo):
    have = {STATION[0] // 4}  # the station is a township station in the first band
    have |= {CANDIDATES[i][0] // 4 for i in combo if CANDIDATES[i][2] == "township"}
    return have == {0, 1, 2}


def write_levels(folder):
    s = 200.0
    left, top = ORIGIN_X - s / 2, ORIGIN_Y + s / 2
    villages, townships = [], []
    for band in range(3):
        for k in range(4):
            villages.append(
                (f"V{band * 4 + k}",
                 box(left + k * 3 * s, top - (band + 1) * 4 * s, left + (k + 1) * 3 * s,
                     top - band * 4 * s))
            )  # fmt: skip
        townships.append(
            (f"T{band}", box(left, top - (band + 1) * 4 * s, left + N * s, top - band * 4 * s))
        )
    for name, rows in (("village", villages), ("township", townships)):
        frame = gpd.GeoDataFrame(
            {"name": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=UTM
        ).to_crs("EPSG:4326")
        frame.to_file(folder / f"{name}.geojson", driver="GeoJSON")


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    rng = np.random.default_rng(20)
    counts = rng.integers(1, 30, (N, N)).astype(float)
    case = make_grid_case(
        tmp_path_factory.mktemp("town"), n=N, station_nodes=[STATION], counts=counts
    )
    write_levels(case.folder)
    lon, lat = lattice_lonlat(N, case.spacing_m)
    rows = ["id,name,tier,lon,lat"] + [
        f"{i},Site {i},{t},{lon[r, c]:.7f},{lat[r, c]:.7f}" for i, (r, c, t) in CANDIDATES.items()
    ]
    (case.folder / "candidates.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = case.config.read_text(encoding="utf-8")
    text += (
        "boundaries: {township: township.geojson, village: village.geojson}\n"
        "boundaries_name: {township: name, village: name}\n"
        f"unit_covered_share: {SHARE}\n"
        "targets:\n  township: {2023: 0.3, 2024: 0.6}\n  village: {2023: 0.25, 2024: 0.5}\n"
    )
    case.config.write_text(text, encoding="utf-8")
    rule = case.folder / "rule.yaml"
    rule.write_text(text + "require: {township: {tier: township, at_least: 1}}\n", "utf-8")
    case.extra["rule"] = rule
    return case


def node(i):
    return CANDIDATES[i][:2]


def all_combos():
    for k in range(len(CANDIDATES) + 1):
        yield from itertools.combinations(sorted(CANDIDATES), k)


def site(case, config, tmp_path, *args):
    out = tmp_path / "out"
    code = main(
        ["site", str(config), "--candidates", str(case.folder / "candidates.csv"),
         "--out", str(out), "--quiet", *args]
    )  # fmt: skip
    return code, out


@pytest.mark.parametrize("rule", [False, True])
@pytest.mark.parametrize("year", [2023, 2024])
def test_meet_targets_is_the_enumerated_fewest(town, tmp_path, year, rule):
    goals = {2023: (0.3, 0.25), 2024: (0.6, 0.5)}[year]
    need = (math.ceil(goals[0] * 3 - 1e-9), math.ceil(goals[1] * 12 - 1e-9))
    best = None
    for combo in all_combos():
        if best is not None and len(combo) > best[0]:
            break
        t, v, people = units(town, [STATION] + [node(i) for i in combo])
        if t >= need[0] and v >= need[1] and (not rule or township_rule_ok(combo)):
            if best is None or people > best[1]:
                best = (len(combo), people)
    assert best is not None and best[0] >= 2
    config = town.extra["rule"] if rule else town.config
    code, out = site(town, config, tmp_path, "--meet-targets", str(year))
    assert code == 0
    s = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert s["status"] == "optimal" and s["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert s["sites_added"] == best[0] and s["bound"] == pytest.approx(best[0])
    assert s["after"]["population_covered"] == pytest.approx(best[1])
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    t, v, _ = units(town, [STATION] + [node(i) for i in sites["id"]])
    assert (t, v) == (s["units"]["township"]["units_covered_after"],
                      s["units"]["village"]["units_covered_after"])  # fmt: skip
    assert t >= need[0] and v >= need[1]
    chosen = [x for x in s["targets"] if x["year"] == year]
    assert all(x["met_after"] and x["constraint"] for x in chosen)
    # each site's village column and the units it moves over the line
    assert sites["village"].tolist() == [f"V{village_of(*node(i))}" for i in sites["id"]]
    assert sites["units_over_line"].sum() == (t + v) - sum(units(town, [STATION])[:2])


@pytest.mark.parametrize("level", ["village", None])
def test_add_k_for_units_is_the_enumerated_best(town, tmp_path, level):
    k = 3

    def score(combo):
        t, v, people = units(town, [STATION] + [node(i) for i in combo])
        return (v if level else t + v), people

    best = max(score(c) for c in all_combos() if len(c) <= k)
    objective = f"units:{level}" if level else "units"
    code, out = site(town, town.config, tmp_path, "--add", str(k), "--objective", objective)
    assert code == 0
    s = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert score(tuple(sites["id"])) == (best[0], pytest.approx(best[1]))
    assert s["status"] == "optimal"


def test_add_k_people_with_a_tier_rule_is_the_enumerated_best(town, tmp_path):
    best = max(
        units(town, [STATION] + [node(i) for i in c])[2]
        for c in all_combos()
        if len(c) <= 2 and township_rule_ok(c)
    )
    code, out = site(town, town.extra["rule"], tmp_path, "--add", "2")
    assert code == 0
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert township_rule_ok(tuple(sites["id"]))
    assert units(town, [STATION] + [node(i) for i in sites["id"]])[2] == pytest.approx(best)
    s = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert s["require"] == [
        {"level": "township", "tier": "township", "at_least": 1,
         "units_short_before": 2, "units_short_after": 0}
    ]  # fmt: skip


def test_an_unreachable_target_stops_before_writing(town, tmp_path, capsys):
    config = town.folder / "all.yaml"
    text = town.config.read_text(encoding="utf-8").replace("2024: 0.5}", "2024: 1.0}")
    config.write_text(text, encoding="utf-8")
    everything = units(town, [STATION] + [node(i) for i in CANDIDATES])[1]
    assert everything < 12
    code, out = site(town, config, tmp_path, "--meet-targets", "2024")
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "village" in err and "100%" in err
    assert f"{everything / 12:.1%} ({everything} of 12)" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meet-targets", "2030"], "no target is set for 2030"),
        (["--add", "2", "--objective", "units:hamlet"], "hamlet"),
        (["--add", "2", "--objective", "shops"], "--objective"),
        (["--target", "0.5", "--objective", "units"], "--target"),
    ],
)
def test_bad_unit_options_exit_2(town, tmp_path, capsys, args, message):
    code, out = site(town, town.config, tmp_path, *args)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and message in err
    assert not out.exists()
