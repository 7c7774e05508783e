"""The commands' output folders: refused before any work when unsafe, replaced whole."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from coverage import load_config, run_coverage, write_outputs
from coverage.cli import main
from coverage.datasets import demo_extract
from coverage.errors import InputError
from coverage.outputs.folder import MANIFEST_NAME
from coverage.outputs.write import write_mode_outputs


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in re.split(r"[\r\n]", err) if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture
def region(grid_case, tmp_path):
    """A grid region, a batch file for it in another folder, and a foreign folder."""
    case = grid_case(boundaries=True)
    batch_dir = tmp_path / "batches"
    batch_dir.mkdir()
    batch = batch_dir / "batch.yaml"
    relative = Path(os.path.relpath(case.config, batch_dir)).as_posix()
    batch.write_text(f"regions:\n  - {relative}\n", encoding="utf-8")
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"years of work")
    return case, batch, foreign


def _command(name: str, case, batch: Path) -> list[str]:
    if name == "run":
        return ["run", str(case.config)]
    if name == "site":
        return ["site", str(case.config), "--add", "1", "--candidates", "gaps"]
    if name == "batch":
        return ["batch", str(batch), "--workers", "1"]
    return ["demo"]


@pytest.mark.parametrize("command", ["run", "site", "batch", "demo"])
@pytest.mark.parametrize("where", ["input folder", "parent of the input folder", "foreign"])
def test_unsafe_out_is_refused_before_any_work(region, command, where, capsys):
    case, batch, foreign = region
    inputs = demo_extract().parent if command == "demo" else case.folder
    out = {"input folder": inputs, "parent of the input folder": inputs.parent}.get(where, foreign)
    watched = foreign if where == "foreign" else inputs
    before = _snapshot(watched)
    everything = _snapshot(case.folder.parent)
    code = main([*_command(command, case, batch), "--out", str(out), "--quiet"])
    line = _error(capsys)
    assert code == 2
    assert str(out) in line
    expected = "not written by coverage15" if where == "foreign" else "holds the input"
    assert expected in line, line
    assert _snapshot(watched) == before
    assert _snapshot(case.folder.parent) == everything  # nothing written anywhere
    assert not list(out.parent.glob(f".{out.name}.staging-*"))


def test_run_out_dot_in_the_data_folder_keeps_the_inputs(region, monkeypatch, capsys):
    case, _, _ = region
    before = _snapshot(case.folder)
    monkeypatch.chdir(case.folder)
    assert main(["run", case.config.name, "--out", ".", "--quiet"]) == 2
    assert "holds the input" in _error(capsys)
    assert _snapshot(case.folder) == before


def test_batch_out_dot_keeps_every_region_input(region, monkeypatch, capsys):
    _, batch, _ = region
    monkeypatch.chdir(batch.parent.parent)  # the folder that holds the regions and the batch
    before = _snapshot(batch.parent.parent)
    assert main(["batch", str(batch), "--out", ".", "--quiet", "--workers", "1"]) == 2
    assert "holds the input" in _error(capsys)
    assert _snapshot(batch.parent.parent) == before


def test_a_stale_file_from_an_earlier_run_is_gone(region, tmp_path):
    case, _, _ = region
    out = tmp_path / "out"
    assert main(["run", str(case.config), "--out", str(out), "--quiet"]) == 0
    assert (out / "units.csv").is_file()  # the first run had boundaries
    text = case.config.read_text(encoding="utf-8")
    case.config.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("boundaries")) + "\n",
        encoding="utf-8",
    )
    assert main(["run", str(case.config), "--out", str(out), "--quiet"]) == 0
    assert not (out / "units.csv").exists()
    assert (out / "summary.json").is_file() and (out / MANIFEST_NAME).is_file()


def test_a_full_disk_names_the_folder_and_keeps_the_previous_one(
    region, tmp_path, monkeypatch, capsys
):
    case, _, _ = region
    out = tmp_path / "out"
    assert main(["run", str(case.config), "--out", str(out), "--quiet"]) == 0
    before = _snapshot(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("coverage.outputs.write.write_csv", full)
    assert main(["run", str(case.config), "--out", str(out), "--quiet", "--minutes", "9"]) == 2
    line = _error(capsys)
    assert str(out) in line and "no space left" in line
    assert _snapshot(out) == before
    assert not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.parametrize("where", ["stations", "out"])
def test_a_symlink_loop_is_named(region, tmp_path, where, capsys):
    case, _, _ = region
    loop = case.folder / "loop"
    loop.symlink_to(case.folder / "loop2")
    (case.folder / "loop2").symlink_to(loop)
    args = ["run", str(case.config), "--quiet", "--out", str(tmp_path / "out")]
    if where == "stations":
        text = case.config.read_text(encoding="utf-8")
        case.config.write_text(text.replace("stations: stations.csv", "stations: loop"))
    else:
        args[-1] = str(loop)
    assert main(args) == 2
    line = _error(capsys)
    assert "loop of symbolic links" in line and str(loop) in line


def test_the_api_writers_refuse_an_input_folder(region):
    case, _, foreign = region
    result = run_coverage(load_config(case.config))
    before = _snapshot(case.folder.parent)
    with pytest.raises(InputError, match="holds the input"):
        write_outputs(result, case.folder)
    with pytest.raises(InputError, match="holds the input"):
        write_mode_outputs({"walk": result}, case.folder.parent)
    with pytest.raises(InputError, match="not written by coverage15"):
        write_outputs(result, foreign)
    assert _snapshot(case.folder.parent) == before
