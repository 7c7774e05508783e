"""Configuration keys of the inputs: station table options, unit levels, population forms."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from coverage.config import PopulationSource, config_from_dict, load_config
from coverage.config_yaml import WrittenFloat
from coverage.errors import ConfigError

BASE = {"stations": "s.csv", "population": "p.tif", "network": "n.osm.pbf"}


def cfg(**extra):
    return config_from_dict({**BASE, **extra}, base_dir="/data/county")


def test_station_table_options():
    c = cfg(stations_encoding="GBK", stations_sheet="服务点", stations_crs="gcj02",
            stations_columns={"name": "网点", "lon": "东经"})  # fmt: skip
    assert c.stations_encoding == "GBK"
    assert c.stations_sheet == "服务点"
    assert c.stations_crs == "GCJ-02"
    assert c.stations_columns == {"name": "网点", "lon": "东经"}
    assert cfg(stations_sheet=2).stations_sheet == 2
    with pytest.raises(ConfigError, match="'stations_encoding' is not a text encoding"):
        cfg(stations_encoding="gbk-2")
    with pytest.raises(ConfigError, match="unknown name 'nmae' \\(did you mean 'name'\\?\\)"):
        cfg(stations_columns={"nmae": "网点"})


def test_boundaries_one_or_two_levels_resolved_against_the_config_folder():
    one = cfg(boundaries="units/t.geojson")
    assert one.boundaries == Path("/data/county/units/t.geojson")
    two = cfg(
        boundaries={"township": "t.shp", "village": "v.gpkg"},
        boundaries_name={"township": "XZMC", "village": "CMC"},
        boundaries_crs="GCJ-02",
    )
    assert two.boundaries == {
        "township": Path("/data/county/t.shp"),
        "village": Path("/data/county/v.gpkg"),
    }
    assert two.boundaries_name == {"township": "XZMC", "village": "CMC"}
    assert two.boundaries_crs == "GCJ-02"
    assert two.replace(minutes=10).boundaries == two.boundaries  # re-validates parsed values
    with pytest.raises(ConfigError, match=r"'boundaries' .*level name 'a b'"):
        cfg(boundaries={"a b": "t.shp"})


def test_population_forms():
    raster = cfg(population={"raster": "pop.tif", "groups": {"age_65_plus": "p65.tif"}})
    assert isinstance(raster.population, PopulationSource)
    assert raster.population.kind == "raster"
    assert raster.population.raster == Path("/data/county/pop.tif")
    assert raster.population.groups == {"age_65_plus": Path("/data/county/p65.tif")}
    points = cfg(population={"points": "村人口.xlsx", "crs": "BD-09",
                             "groups": {"age_65_plus": "65岁以上"}})  # fmt: skip
    assert points.population.kind == "points"
    assert points.population.crs == "BD-09"
    assert points.population.groups == {"age_65_plus": "65岁以上"}  # a column, not a path
    built = cfg(population={"from_buildings": True, "total": 248866, "cell_size_m": 100})
    assert built.population.kind == "buildings"
    assert built.population.total == 248866.0
    assert str(built.population) == "modelled from OSM buildings (100 m grid, total 248,866)"
    assert cfg().population == Path("/data/county/p.tif")
    assert built.replace(minutes=10).population == built.population
    assert cfg(population={"raster": "rgb.tif", "band": 2}).population.band == 2
    totals = {"file": "七普.xlsx", "level": "unit", "column": "常住人口", "unit_column": "乡镇"}
    scaled = cfg(boundaries="towns.shp", population={"raster": "pop.tif", "totals": totals})
    assert scaled.population.totals.file == Path("/data/county/七普.xlsx")  # resolved
    assert scaled.population.totals.unit_column == "乡镇"
    from coverage.paths import iter_paths

    assert ("population.totals.file", Path("/data/county/七普.xlsx")) in list(
        iter_paths(scaled.population, "population")
    )  # what batch hashes to see a changed table
    assert raster.population.band is None


@pytest.mark.parametrize(
    ("population", "message"),
    [
        ({"raster": "a.tif", "points": "b.csv"}, "exactly one source"),
        ({}, "exactly one source"),
        ({"points": "b.csv", "total": 5}, "total applies only with from_buildings"),
        ({"from_buildings": True, "groups": {"old": "x.tif"}}, "groups need a population raster"),
        ({"from_buildings": "yes"}, "from_buildings must be true or false"),
        ({"rastr": "a.tif"}, "unknown key 'rastr' \\(did you mean 'raster'\\?\\)"),
        ({"from_buildings": True, "total": -1}, "total must be above 0"),
        ({"points": "b.csv", "columns": {"people": "人口"}}, "unknown name 'people'"),
        ({"points": "b.csv", "band": 1}, "band applies only to a population raster"),
        ({"raster": "a.tif", "band": 0}, "band must be a band number from 1"),
        ({"raster": "a.tif", "band": "red"}, "band must be a band number from 1"),
        ({"raster": "a.tif", "band": True}, "band must be a band number from 1"),
    ],
)
def test_population_mapping_errors(population, message):
    with pytest.raises(ConfigError, match=message):
        cfg(population=population)


def test_yaml_with_chinese_keys_and_values(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text(
        "stations: 服务点.xlsx\nstations_sheet: 0\nstations_crs: GCJ-02\n"
        "population:\n  points: 村人口.csv\n  columns: {population: 常住人口}\n"
        "network: n.osm.pbf\nboundaries:\n  township: 乡镇.shp\n  village: 村.shp\n",
        encoding="utf-8",
    )
    c = load_config(path)
    assert c.stations == (tmp_path / "服务点.xlsx").resolve()
    assert c.population.points == (tmp_path / "村人口.csv").resolve()
    assert c.population.columns == {"population": "常住人口"}
    assert c.boundaries["village"] == (tmp_path / "村.shp").resolve()


def test_service_keys_parse_validate_and_survive_replace():
    from coverage.metrics.service_plan import HomeService
    from coverage.metrics.service_rules import ServiceRule

    base = {"stations": "s.csv", "population": "p.tif", "network": "n.osm.pbf"}
    cfg = config_from_dict(
        {
            **base,
            "time_windows": {"周六上午": "周六 9:00-11:00"},
            "hours_default": "Closed",
            "service_lists": {"村级清单": "参保登记、缴费"},
            "service_rules": {"村": {"list": "村级清单", "at_least": 1}},
            "home_service": {"group": "age_65_plus", "level": "village"},
        },
        base_dir=None,
    )
    assert cfg.time_windows == {"周六上午": "Sa 09:00-11:00"}
    assert cfg.hours_default == "closed"
    assert cfg.service_rules == (ServiceRule("village", "村级清单", 1.0),)
    assert cfg.home_service == HomeService("age_65_plus", "village")
    again = cfg.replace(minutes=10)
    assert again.service_rules == cfg.service_rules and again.home_service == cfg.home_service
    assert config_from_dict(base, base_dir=None).replace(minutes=5).service_rules == ()
    with pytest.raises(ConfigError) as info:
        config_from_dict(
            {
                **base,
                "time_windows": {"午间": "吃饭时"},
                "hours_default": "maybe",
                "service_lists": {"省级清单": ["a"]},
                "service_rules": {"村": {"list": "村级清单"}},
                "home_service": {"grp": "x"},
            },
            base_dir=None,
        )
    message = str(info.value)
    for part in ("window '午间'", "'hours_default'", "names the list '村级清单'", "'home_service'"):
        assert part in message


def test_boundaries_parent_and_duplicate_m():
    c = cfg(boundaries={"township": "t.shp", "village": "v.gpkg"},
            boundaries_parent={"village": "乡镇名称"}, duplicate_m=0)  # fmt: skip
    assert c.boundaries_parent == {"village": "乡镇名称"} and c.duplicate_m == 0.0
    assert cfg().boundaries_parent is None and cfg().duplicate_m == 25.0
    with pytest.raises(ConfigError) as err:
        cfg(boundaries_parent=["乡镇名称"], duplicate_m=5000)
    message = str(err.value)
    assert "'boundaries_parent' must map a lower level to the column naming its parent" in message
    assert "'duplicate_m' must be at least 0 and at most 1000 m, got 5000" in message


def test_yaml_numbers_as_written_and_duplicate_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("stations: s.csv\npopulation: p.tif\nnetwork: n.osm.pbf\n"
                    "minutes: [1e1, 15]\nmax_access_m: 2.5E+3\n", encoding="utf-8")  # fmt: skip
    c = load_config(path)
    assert c.minutes == (10.0, 15.0) and c.max_access_m == 2500.0
    assert type(c.max_access_m) is float  # stored plainly, not as the YAML number
    written = WrittenFloat(1e9, "1e9")
    assert repr(pickle.loads(pickle.dumps(written))) == "1e9" == repr(copy.deepcopy(written))
    path.write_text("stations: s.csv\nstations: t.csv\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml: line 2: key 'stations' is given twice"):
        load_config(path)


def test_travel_model_keys():
    c = cfg()
    assert (c.ferry, c.ferry_speed_kmh, c.ferry_wait_minutes) == (True, 10.0, 10.0)
    assert (c.water_barriers, c.barriers, c.link_to_steps) == (True, None, True)
    assert (c.network_columns, c.network_snap_m, c.group_speed_factor) == (None, 0.5, None)
    c = cfg(ferry=False, ferry_wait_minutes=0, barriers="water.gpkg", link_to_steps=False,
            network_columns={"class": "路线等级"},
            group_speed_factor={"age_65_plus": 0.75})  # fmt: skip
    assert c.barriers == Path("/data/county/water.gpkg")
    assert c.network_columns == {"class": "路线等级"}
    assert c.group_speed_factor == {"age_65_plus": 0.75}
    with pytest.raises(ConfigError, match="'ferry_speed_kmh' must be above 0") as err:
        cfg(ferry_speed_kmh=-1, group_speed_factor={"age_65_plus": 3},
            network_columns={"klass": "x"})  # fmt: skip
    message = str(err.value)
    assert "'group_speed_factor' factor of 'age_65_plus' must be at most 2" in message
    assert "unknown name 'klass' (did you mean 'class'?)" in message
