"""Output options: one validated object, the same whether given whole or by keyword."""

from __future__ import annotations

import pytest

from coverage import load_config
from coverage.errors import InputError
from coverage.outputs.options import OutputOptions
from coverage.pipeline import output_options


def test_bad_options_are_named_all_at_once():
    with pytest.raises(InputError) as err:
        OutputOptions(isochrone_cell_m=0.01, lang="fr", shapefile_encoding="latin-1")
    message = str(err.value)
    assert "isochrone_cell_m" in message and "'fr'" in message and "latin-1" in message


def test_keywords_of_the_first_api_map_onto_the_options():
    base = OutputOptions(lang="zh")
    options = OutputOptions.from_settings(
        base, {"package": True, "gis": {"output_crs": "EPSG:4490", "shapefile": True}}
    )
    assert (options.lang, options.package, options.output_crs, options.shapefile) == (
        "zh",
        True,
        "EPSG:4490",
        True,
    )
    assert base.package is False  # the starting point is unchanged
    with pytest.raises(TypeError, match="colour"):
        OutputOptions.from_settings(None, {"colour": "red"})


def test_the_configuration_is_read_in_one_place(grid_case):
    case = grid_case()
    text = case.config.read_text(encoding="utf-8")
    case.config.write_text(
        text + "lang: zh\nisochrone_cell_m: 50\noutput_crs: EPSG:4490\n", encoding="utf-8"
    )
    options = output_options(load_config(case.config), package=True)
    got = (options.isochrone_cell_m, options.lang, options.package, options.output_crs)
    assert got == (50.0, "zh", True, "EPSG:4490")
    assert options.basemap.name == "osm" and not options.shapefile
