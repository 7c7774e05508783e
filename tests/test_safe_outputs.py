"""Outputs are safe to open and never lost: escaping, no pickles, atomic replacement."""

from __future__ import annotations

import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import rasterio

from coverage import load_config, run_coverage, write_outputs
from coverage.cli import main
from coverage.outputs.folder import MANIFEST_NAME

PAYLOADS = ['<script>alert("x")</script>', '"onmouseover="alert(1)', "<img src=x onerror=alert(2)>"]
REPO = Path(__file__).resolve().parents[1]


def test_names_from_inputs_are_escaped_in_the_map(grid_case, tmp_path):
    case = grid_case(station_nodes=[(0, 0), (2, 2), (4, 4)], boundaries=True)
    rows = case.stations.read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    escaped_rows = []
    for payload, row in zip(PAYLOADS, body, strict=True):
        parts = row.split(",")
        quoted = '"' + payload.replace('"', '""') + '"'
        escaped_rows.append(",".join([parts[0], quoted, quoted, *parts[3:]]))
    case.stations.write_text("\n".join([header, *escaped_rows]) + "\n", encoding="utf-8")
    units = case.boundaries.read_text(encoding="utf-8")
    units = units.replace('"west"', json.dumps(PAYLOADS[0])).replace(
        '"east"', json.dumps(PAYLOADS[1])
    )
    case.boundaries.write_text(units, encoding="utf-8")
    with pytest.warns(UserWarning, match="not in the vocabulary"):
        result = run_coverage(load_config(case.config))
    files = write_outputs(result, tmp_path / "out")
    page = files["map"].read_text(encoding="utf-8")
    for payload in PAYLOADS:
        assert payload not in page
        assert payload.replace('"', '\\"') not in page  # nor inside a JS string literal
    assert "alert" in page  # the names are there, escaped
    assert "&lt;script&gt;" in page or "\\u003cscript" in page or "&amp;lt;script" in page
    # tables keep the names verbatim (they are data, not HTML)
    stations = pd.read_csv(files["stations"], encoding="utf-8-sig")
    assert set(PAYLOADS) == set(stations["name"])


def test_names_never_run_as_code_while_the_pages_are_written(grid_case, tmp_path):
    # branca compiles every folium element's rendered text as a new Jinja template, so
    # a station or unit name holding "{{ ... }}" ran (with Python's os module reachable)
    # while map.html was written; names now reach the page as text
    case = grid_case(station_nodes=[(0, 0), (4, 4)], boundaries=True)
    ran = tmp_path / "ran"
    code = "{{ cycler.__init__.__globals__.os.mkdir(" + repr(str(ran)) + ") }}"
    rows = case.stations.read_text(encoding="utf-8").splitlines()
    parts = rows[1].split(",")
    rows[1] = ",".join([parts[0], code, *parts[2:]])
    case.stations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    units = case.boundaries.read_text(encoding="utf-8")
    case.boundaries.write_text(units.replace('"west"', '"{{ 6*7 }}west"'), encoding="utf-8")
    config = case.config.read_text(encoding="utf-8").replace("name: grid", "name: '{{ 6+7 }}'")
    case.config.write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(case.config), "--out", str(out), "--quiet"]) == 0
    assert not ran.exists()
    page = (out / "map.html").read_text(encoding="utf-8")
    shown = html.unescape(page.replace("\\u0026", "&"))  # JSON-escaped "&" as well
    assert "{{ 6+7 }} · " in shown and "13 · " not in shown  # the title, as written
    assert "os.mkdir(" in shown and "{{ 6*7 }}west" in shown and "42west" not in shown
    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "{{ 6*7 }}west" in report and "42west" not in report


def test_no_pickle_in_the_package():
    for path in (REPO / "coverage").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import pickle" not in text and "pickle.load" not in text, path
        assert "yaml.load(" not in text and "yaml.unsafe_load" not in text, path


def _consistent(out: Path) -> float:
    """Check that the files in ``out`` belong to one run; return its threshold."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stations = pd.read_csv(out / "stations.csv", encoding="utf-8-sig")
    assert stations["catchment_covered"].sum() == pytest.approx(summary["population_covered"])
    units = pd.read_csv(out / "units.csv", encoding="utf-8-sig")
    assert units["population_covered"].sum() == pytest.approx(summary["population_covered"])
    with rasterio.open(out / "travel_time.tif") as src:
        assert src.read(1).shape == (5, 5)
    assert (out / "map.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(out.parent.glob(f".{out.name}.staging-*"))
    assert (out / MANIFEST_NAME).is_file()
    return float(summary["minutes"])


ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def _run_command(config: Path, out: Path) -> list[str]:
    """The command line of a quiet run of ``config`` into ``out``, in a fresh interpreter."""
    return [sys.executable, "-m", "coverage.cli", "run", str(config), "--out", str(out), "--quiet"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_runs_leave_complete_outputs(grid_case, tmp_path, sig):
    case = grid_case(boundaries=True)
    out = tmp_path / "out"
    cmd = _run_command(case.config, out)
    subprocess.run([*cmd, "--minutes", "3"], check=True, env=ENV, cwd=REPO)
    assert _consistent(out) == 3.0
    delays = [0.3, 0.8, 1.2, 1.6, 2.0, 2.5, 3.5]
    for i, delay in enumerate(delays):
        minutes = "9" if i % 2 == 0 else "3"
        proc = subprocess.Popen(
            [*cmd, "--minutes", minutes], env=ENV, cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        # A signal that lands while an extension module initialises (matplotlib's
        # ft2font) fails that import ("initialization failed": exit 1 with the import's
        # traceback, or CPython aborts at finalisation); that happens while the
        # package loads, before the run starts, so nothing may have been written.
        aborted_in_startup = (
            proc.returncode in (1, -signal.SIGABRT) and "initialization failed" in err
        )
        assert proc.returncode in (0, 130, -sig) or aborted_in_startup, err
        if proc.returncode == 130:  # interrupted inside the run, not while Python was starting
            assert "Traceback" not in err and err.strip().startswith("error: interrupted")
        assert _consistent(out) in (3.0, 9.0)


def test_two_runs_into_one_folder_do_not_interleave(grid_case, tmp_path):
    case = grid_case(boundaries=True)
    out = tmp_path / "out"
    cmd = _run_command(case.config, out)
    procs = [
        subprocess.Popen([*cmd, "--minutes", m], env=ENV, cwd=REPO) for m in ("3", "9", "3", "9")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    assert _consistent(out) in (3.0, 9.0)
