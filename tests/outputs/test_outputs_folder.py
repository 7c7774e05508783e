"""One output folder, published whole: refusals, stale files, and faults at every step."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import coverage.outputs.folder as folder_mod
from coverage.errors import InputError
from coverage.outputs.folder import (
    MANIFEST_NAME,
    check_output_folder,
    publish_folder,
    read_manifest,
    recover_folder,
)

REPO = Path(__file__).resolve().parents[2]
OLD = {"a.txt": "old a", "stale.txt": "only in the old run", "sub/b.txt": "old b"}
NEW = {"a.txt": "new a", "c.txt": "new c", "sub/b.txt": "new b"}
# every step of a publish, in order; the fallback swap replaces _exchange by the two renames
STEPS = ["body", "_write_manifest", "_carry_nested", "_exchange", "_rename_aside", "_rename_in"]
STEPS_AFTER_SWAP = {"_rename_in", "_discard"}


def _write(stage: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(text, encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*") if not p.name.endswith(".lock"))


@pytest.fixture
def old_folder(tmp_path):
    out = tmp_path / "county"
    with publish_folder(out) as stage:
        _write(stage, OLD)
    return out


def test_new_folder_has_its_files_and_a_manifest(tmp_path):
    out = tmp_path / "new" / "county"
    with publish_folder(out, kind="run") as stage:
        _write(stage, NEW)
    files = _snapshot(out)
    assert {k: v.decode() for k, v in files.items() if k != MANIFEST_NAME} == NEW
    manifest = read_manifest(out)
    assert manifest["kind"] == "run"
    assert manifest["files"] == {name: len(text.encode()) for name, text in sorted(NEW.items())}
    assert _leftovers(out) == []
    assert oct(out.stat().st_mode & 0o777) != oct(0o700)  # not mkdtemp's private mode


def test_a_stale_file_from_an_earlier_run_is_gone(old_folder):
    assert (old_folder / "stale.txt").is_file()
    with publish_folder(old_folder) as stage:
        _write(stage, NEW)
    assert sorted(_snapshot(old_folder)) == sorted([*NEW, MANIFEST_NAME])
    assert _leftovers(old_folder) == []


def test_an_empty_folder_is_accepted(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    with publish_folder(out) as stage:
        _write(stage, NEW)
    assert (out / "c.txt").read_text(encoding="utf-8") == "new c"


def test_a_foreign_folder_is_refused_untouched(tmp_path):
    home = tmp_path / "documents"
    _write(home, {"thesis.docx": "years of work", "photos/cat.jpg": "meow"})
    before = _snapshot(home)
    ran = []
    with pytest.raises(InputError, match="not empty and was not written by coverage15") as err:
        with publish_folder(home) as stage:
            ran.append(stage)
    assert str(home) in str(err.value)
    assert ran == []  # refused before the body ran
    assert _snapshot(home) == before
    assert _leftovers(home) == []


@pytest.mark.parametrize("where", ["the input folder", "a parent of it"])
def test_a_folder_holding_an_input_is_refused(tmp_path, where):
    data = tmp_path / "county" / "data"
    _write(data, {"stations.csv": "id\n1\n"})
    with publish_folder(data / "previous") as stage:  # an output beside the inputs is fine
        _write(stage, OLD)
    out = data if where == "the input folder" else data.parent
    with pytest.raises(InputError, match="holds the input") as err:
        check_output_folder(out, [data / "stations.csv"])
    assert str(out) in str(err.value) and "stations.csv" in str(err.value)


def test_a_file_is_refused(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        check_output_folder(path)


def test_an_outputs_kept_inside_is_carried_over(old_folder):
    with publish_folder(old_folder / "siting", kind="siting") as stage:
        _write(stage, {"sites.csv": "id\nA\n"})
    with publish_folder(old_folder) as stage:
        _write(stage, NEW)
    assert (old_folder / "siting" / "sites.csv").read_text(encoding="utf-8") == "id\nA\n"
    assert "stale.txt" not in _snapshot(old_folder)
    assert "siting/sites.csv" not in read_manifest(old_folder)["files"]


def test_a_failure_in_the_body_leaves_the_old_folder(old_folder):
    before = _snapshot(old_folder)
    with pytest.raises(ValueError, match="boom"):
        with publish_folder(old_folder) as stage:
            _write(stage, NEW)
            raise ValueError("boom")
    assert _snapshot(old_folder) == before
    assert _leftovers(old_folder) == []


def test_a_full_disk_names_the_folder_and_keeps_the_old_one(old_folder):
    before = _snapshot(old_folder)
    with pytest.raises(InputError, match="no space left") as err:
        with publish_folder(old_folder) as stage:
            _write(stage, {"a.txt": "half"})
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(old_folder) in str(err.value)
    assert _snapshot(old_folder) == before
    assert _leftovers(old_folder) == []


def _expected(step: str) -> str:
    return "new" if step in STEPS_AFTER_SWAP or step == "_exchange" else "old"


def _taken(step: str, exchange: bool) -> bool:
    """Whether a publish over an existing folder goes through ``step``."""
    if exchange:
        return step not in ("_rename_aside", "_rename_in")
    return step != "_exchange"


PATHS = [(s, x) for x in (True, False) for s in [*STEPS[1:], "_discard"] if _taken(s, x)]
PATH_IDS = [f"{s}-{'exchange' if x else 'two-renames'}" for s, x in PATHS]


def _state(out: Path, old: dict[str, bytes]) -> str:
    """``"old"`` or ``"new"``: the folder is exactly one run's, plus the kept ``siting/``."""
    files = _snapshot(out)
    if files == old:
        return "old"
    mine = {k: v for k, v in files.items() if k != MANIFEST_NAME and not k.startswith("siting/")}
    assert mine == {k: v.encode() for k, v in NEW.items()}, sorted(files)
    assert json.loads(files[MANIFEST_NAME])["files"].keys() == NEW.keys()
    assert files["siting/sites.csv"] == b"kept"
    return "new"


@pytest.mark.parametrize(("step", "exchange"), PATHS, ids=PATH_IDS)
def test_an_exception_after_each_step_leaves_old_or_new(old_folder, monkeypatch, step, exchange):
    if not exchange:
        monkeypatch.setattr(folder_mod, "_exchange", lambda a, b: False)
    with publish_folder(old_folder / "siting", kind="siting") as stage:
        _write(stage, {"sites.csv": "kept"})
    old = _snapshot(old_folder)
    original = getattr(folder_mod, step)

    def failing(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError(f"failure after {step}")

    monkeypatch.setattr(folder_mod, step, failing)
    with pytest.raises(RuntimeError, match="failure after"):
        with publish_folder(old_folder) as stage:
            _write(stage, NEW)
    assert _state(old_folder, old) == _expected(step)
    assert _leftovers(old_folder) == []


KILLER = """
import os, signal, sys
from pathlib import Path
import coverage.outputs.folder as f

out, step, exchange = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
if not exchange:
    f._exchange = lambda a, b: False
if step != "body":
    original = getattr(f, step)
    def killed(*args, **kwargs):
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(f, step, killed)
with f.publish_folder(out) as stage:
    for name, text in {new!r}.items():
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(text, encoding="utf-8")
    if step == "body":
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize(("step", "exchange"), [("body", True), *PATHS], ids=["body", *PATH_IDS])
def test_a_kill_after_each_step_leaves_old_or_new(old_folder, step, exchange):
    """SIGKILL (no clean-up runs) after each step: the folder is entirely old or new.

    Only between the two renames of the fallback swap is the folder briefly absent;
    the next publish (``recover_folder``) puts the old one back.
    """
    with publish_folder(old_folder / "siting", kind="siting") as stage:
        _write(stage, {"sites.csv": "kept"})
    old = _snapshot(old_folder)
    script = KILLER.replace("{new!r}", repr(NEW))
    proc = subprocess.run(
        [sys.executable, "-c", script, str(old_folder), step, "1" if exchange else "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr

    if step == "_rename_aside":
        assert not old_folder.exists()
    else:
        assert _state(old_folder, old) == _expected(step)
    recover_folder(old_folder)  # what the next publish does first
    assert _state(old_folder, old) == _expected(step)
    assert (old_folder / "siting" / "sites.csv").read_text(encoding="utf-8") == "kept"
    assert _leftovers(old_folder) == []
    with publish_folder(old_folder) as stage:  # and the next publish works
        _write(stage, {"a.txt": "third"})
    assert (old_folder / "a.txt").read_text(encoding="utf-8") == "third"
    assert not (old_folder / "c.txt").exists()


def test_leftovers_of_killed_runs_are_cleared_by_the_next_publish(old_folder):
    stale_stage = old_folder.parent / f".{old_folder.name}.staging-dead"
    _write(stale_stage, {"a.txt": "half-written"})
    stale_old = old_folder.parent / f".{old_folder.name}.old-dead"
    _write(stale_old, OLD)
    with publish_folder(old_folder) as stage:
        _write(stage, NEW)
    assert _leftovers(old_folder) == []
    assert (old_folder / "a.txt").read_text(encoding="utf-8") == "new a"


def test_the_manifest_marks_the_folder(old_folder, tmp_path):
    assert read_manifest(old_folder)["coverage15_version"]
    assert check_output_folder(old_folder) == old_folder.resolve()
    legacy = tmp_path / "legacy"
    _write(legacy, {".coverage15.lock": "", "summary.json": "{}"})  # written before manifests
    assert check_output_folder(legacy) == legacy.resolve()
    (old_folder / MANIFEST_NAME).write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="not written by coverage15"):
        check_output_folder(old_folder)


def test_a_symlink_loop_as_the_folder_is_named(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="loop of symbolic links") as err:
        check_output_folder(tmp_path / "a")
    assert str(tmp_path / "a") in str(err.value)


def test_not_writable_beside_the_folder(tmp_path, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(
        folder_mod.os, "access", lambda p, m: False if Path(p) == tmp_path else real_access(p, m)
    )
    with pytest.raises(InputError, match="cannot write beside the output folder"):
        with publish_folder(tmp_path / "out"):
            pass
