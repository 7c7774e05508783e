"""The command line: exit codes, one-line errors, no partial outputs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio

from coverage.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_input_error(code, err, *needles):
    assert code == 2
    # progress bars redraw with carriage returns; the error itself is one line of its own
    lines = [line for line in re.split(r"[\r\n]", err) if line.startswith("error")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert err.endswith("\n") and err.rstrip("\n").rsplit("\n", 1)[-1].split("\r")[-1] == lines[0]
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


def test_run_writes_outputs_and_prints_summary(grid_case, tmp_path, capsys):
    case = grid_case(boundaries=True)
    out = tmp_path / "out"
    code, stdout, _ = _run(capsys, "run", str(case.config), "--out", str(out), "--quiet")
    assert code == 0 and stdout == ""
    code, stdout, _ = _run(capsys, "run", str(case.config), "--out", str(out), "--minutes", "3")
    assert code == 0
    assert "within 3 min" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["minutes"] == 3.0
    assert summary["population_covered"] == pytest.approx(case.covered(3.0))
    assert {p.name for p in out.iterdir()} >= {
        "summary.json",
        "stations.csv",
        "units.csv",
        "travel_time.tif",
        "isochrones.geojson",
        "map.html",
    }


def test_missing_config_file(tmp_path, capsys):
    code, _, err = _run(capsys, "run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "nope.yaml", "not found")
    assert not (tmp_path / "o").exists()


def test_missing_station_file(grid_case, tmp_path, capsys):
    case = grid_case()
    case.stations.unlink()
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "stations.csv", "not found", "'stations'")
    assert not (tmp_path / "o").exists()


def test_csv_without_coordinate_columns(grid_case, tmp_path, capsys):
    case = grid_case()
    case.stations.write_text("id,name,tier,east,north\nS1,A,township,1,2\n", encoding="utf-8")
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "stations.csv", "no coordinate columns", "lon and lat")
    assert not (tmp_path / "o").exists()


def test_non_numeric_coordinate_names_the_row(grid_case, tmp_path, capsys):
    case = grid_case()
    rows = case.stations.read_text().splitlines()
    rows.append("S9,Broken,village,abc,28.1")
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "stations.csv", "row 3", "'lon'")


def test_station_outside_the_network(grid_case, tmp_path, capsys):
    case = grid_case()
    rows = case.stations.read_text().splitlines()
    rows.append("FAR,Far away,village,121.5,31.2")  # Shanghai, ~300 km away
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "stations.csv", "'FAR'", "row 3", "outside the road network")
    assert not (tmp_path / "o").exists()


def test_raster_without_crs(grid_case, tmp_path, capsys):
    case = grid_case()
    with rasterio.open(case.population) as src:
        data, profile = src.read(1), src.profile
    profile.pop("crs")
    bare = case.folder / "bare.tif"
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(data, 1)
    case.config.write_text(
        case.config.read_text().replace("population.tif", "bare.tif"), encoding="utf-8"
    )
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "bare.tif", "no CRS")
    assert not (tmp_path / "o").exists()


def test_failed_run_keeps_previous_outputs(grid_case, tmp_path, capsys):
    case = grid_case()
    out = tmp_path / "o"
    assert _run(capsys, "run", str(case.config), "--out", str(out), "--quiet")[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    case.stations.write_text("id,name\n", encoding="utf-8")
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(out))
    assert "no rows" in err
    assert code == 2
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before


def test_unknown_config_key_suggests(grid_case, tmp_path, capsys):
    case = grid_case()
    case.config.write_text(case.config.read_text() + "minuets: 10\n", encoding="utf-8")
    code, _, err = _run(capsys, "run", str(case.config), "--out", str(tmp_path / "o"))
    _assert_input_error(code, err, "unknown key 'minuets'", "did you mean 'minutes'")


def test_console_script_help_and_exit_code():
    exe = [sys.executable, "-m", "coverage.cli"]
    done = subprocess.run([*exe, "run", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "--minutes" in done.stdout
    done = subprocess.run(
        [*exe, "run", "missing.yaml"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: missing.yaml")
    assert "Traceback" not in done.stderr


def test_travel_time_nodata_where_unreachable(grid_case, tmp_path, capsys):
    # a second, disconnected grid far away holds people but no station
    case = grid_case(station_nodes=[(0, 0)])
    out = tmp_path / "o"
    assert _run(capsys, "run", str(case.config), "--out", str(out), "--quiet")[0] == 0
    with rasterio.open(out / "travel_time.tif") as src:
        tt = src.read(1, masked=True)
    assert not np.ma.is_masked(tt)  # every cell reaches the station
    assert float(tt.max()) == pytest.approx(16.0, rel=2e-3)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_swallowed_by_a_library_still_exits_130(sig, monkeypatch, capsys):
    # matplotlib's compiled path code turns a KeyboardInterrupt raised inside it into
    # "ValueError: Invalid bounding box"; the run was still interrupted, not broken
    def run_interrupted_inside_a_library(config, args):
        try:
            os.kill(os.getpid(), sig)
            time.sleep(5)  # the handler raises here
        except KeyboardInterrupt:
            raise ValueError("Invalid bounding box") from None
        return 0

    monkeypatch.setattr("coverage.cli._run", run_interrupted_inside_a_library)
    assert main(["run", "county.yaml"]) == 130
    assert capsys.readouterr().err.startswith("error: interrupted")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_run_help_lists_every_configuration_key(capsys):
    """``coverage15 run --help`` names every key of the YAML file, the required ones marked."""
    import dataclasses

    from coverage.config import RunConfig

    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    listed = re.findall(r"^  (\w+)( \*)?$", text, flags=re.MULTILINE)
    fields = dataclasses.fields(RunConfig)
    assert {name for name, _ in listed} == {f.name for f in fields}
    required = {f.name for f in fields if f.default is dataclasses.MISSING}
    assert (
        {name for name, star in listed if star}
        == required
        == {
            "stations",
            "population",
            "network",
        }
    )
    assert "isochrone_cell_m" in text and "water_barriers" in text
