"""The print maps and report written in a forked child: same files, errors and warnings
carried back, no child outliving its parent's failure."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import coverage.outputs.presentation as presentation
from coverage import load_config, run_coverage, write_outputs
from coverage.fork import fork_available, forked
from coverage.metrics.duplicates import DuplicateStationWarning


@pytest.fixture
def needs_fork():
    """Skip where forking is not sound (checked when the test runs, not at import)."""
    if not fork_available():
        pytest.skip("forking the outputs needs Linux, two or more cores and the main thread")


@pytest.mark.usefixtures("needs_fork")
def test_task_runs_in_another_process_and_returns_its_value():
    with forked(lambda: {"pid": os.getpid(), "value": [1.5, "县"]}) as pending:
        answer = pending.result()
    assert answer["pid"] != os.getpid()
    assert answer["value"] == [1.5, "县"]


@pytest.mark.usefixtures("needs_fork")
def test_an_answered_child_is_reaped():
    # once the answer is in, the parent goes on while the child leaves (a large process
    # takes tens of milliseconds to give back its memory); a thread reaps it
    def task():
        return os.getpid()

    with forked(task) as pending:
        pid = pending.result()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)  # still there (running, or a zombie nobody reaped)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail(f"child {pid} was never reaped")


@pytest.mark.usefixtures("needs_fork")
def test_ready_says_whether_the_answer_would_wait():
    """False while the child works, True once it has answered (without reading it)."""
    read, write = os.pipe()

    def task():
        os.read(read, 1)  # until the parent lets it go
        return "done"

    with forked(task) as pending:
        time.sleep(0.05)
        assert not pending.ready()
        os.write(write, b"x")
        deadline = time.monotonic() + 5.0
        while not pending.ready() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert pending.ready()
        assert pending.result() == "done"
        assert pending.ready()
    os.close(read)
    os.close(write)
    with forked(lambda: "here", enabled=False) as pending:
        assert not pending.ready()  # runs when asked
        assert pending.result() == "here" and pending.ready()


def test_disabled_runs_in_this_process_when_asked():
    calls = []
    with forked(lambda: calls.append(os.getpid()) or "done", enabled=False) as pending:
        assert calls == []  # not run before it is asked for
        assert pending.result() == "done"
    assert calls == [os.getpid()]


@pytest.mark.usefixtures("needs_fork")
def test_error_in_the_child_is_raised_in_the_parent():
    def task():
        raise ValueError("stations.csv row 3: lon is not a number")

    with pytest.raises(ValueError, match="row 3: lon") as info:
        with forked(task) as pending:
            pending.result()
    if sys.version_info >= (3, 11):  # the child's traceback travels as a note
        notes = "\n".join(getattr(info.value, "__notes__", []))
        assert "second output process" in notes and "in task" in notes


@pytest.mark.usefixtures("needs_fork")
def test_the_packages_own_errors_keep_their_class():
    from coverage.errors import InputError  # the command line turns it into exit 2

    def task():
        raise InputError("boundaries.gpkg: no layer 'village'")

    with pytest.raises(InputError, match="no layer 'village'"):
        with forked(task) as pending:
            pending.result()


@pytest.mark.usefixtures("needs_fork")
def test_an_error_of_a_class_the_parent_cannot_rebuild_arrives_as_its_text():
    class Local(Exception):  # not reachable by name from a module
        pass

    class Picky(Exception):  # its constructor wants other arguments than its args
        def __init__(self, a, b):
            super().__init__(f"{a}/{b}")

    def local():
        raise Local("drawing failed")

    def picky():
        raise Picky("x", "y")

    with pytest.raises(RuntimeError, match="Local: drawing failed"):
        with forked(local) as pending:
            pending.result()
    with pytest.raises(RuntimeError, match="Picky: x/y"):
        with forked(picky) as pending:
            pending.result()


@pytest.mark.usefixtures("needs_fork")
def test_a_value_that_is_not_json_is_an_error():
    with pytest.raises(TypeError, match="Object of type PosixPath is not JSON"):
        with forked(lambda: {"map": Path("map.png")}) as pending:
            pending.result()


@pytest.mark.usefixtures("needs_fork")
def test_warnings_of_the_child_reach_the_parent():
    def task():
        warnings.warn("Glyph 21271 missing", UserWarning, stacklevel=1)
        warnings.warn("3 stations share a name", DuplicateStationWarning, stacklevel=1)
        return 7

    with pytest.warns(UserWarning) as record:
        with forked(task) as pending:
            assert pending.result() == 7
    assert [(type(w.message), str(w.message)) for w in record] == [
        (UserWarning, "Glyph 21271 missing"),
        (DuplicateStationWarning, "3 stations share a name"),
    ]


@pytest.mark.usefixtures("needs_fork")
def test_a_child_killed_by_a_signal_is_an_error_not_a_result():
    def task():
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RuntimeError, match="ended by signal SIGKILL"):
        with forked(task) as pending:
            pending.result()


@pytest.mark.usefixtures("needs_fork")
def test_the_parents_failure_kills_and_reaps_the_child(tmp_path):
    def task():
        time.sleep(60)

    with pytest.raises(KeyError):
        with forked(task) as pending:
            pid = pending.pid
            raise KeyError("parent failed")
    assert pid is not None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.usefixtures("needs_fork")
def test_an_interrupt_while_waiting_kills_the_child_before_it_writes(tmp_path):
    """Ctrl-C (or SIGTERM turned into it by the command line) while the parent waits:
    the child is killed at once, so it cannot write into a folder being removed."""
    import threading

    late = tmp_path / "late.txt"

    def task():
        time.sleep(1.5)
        late.write_text("written after the interrupt")
        return 1

    with pytest.raises(KeyboardInterrupt):
        with forked(task) as pending:
            pid = pending.pid
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
            pending.result()
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)
    time.sleep(2.0)
    assert not late.exists()


@pytest.mark.usefixtures("needs_fork")
def test_the_child_does_not_repeat_the_parents_unflushed_output(tmp_path):
    script = (
        "import sys\n"
        "from coverage.fork import forked\n"
        "sys.stdout.write('before fork;')\n"  # buffered, not flushed, when the child starts
        "with forked(lambda: 'child value') as p:\n"
        "    v = p.result()\n"
        "sys.stdout.write(v)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out == "before fork;child value"


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix in {".png", ".csv", ".geojson", ".tif", ".json"}
        and not p.name.startswith(".")  # the manifest records when it was written
    }


@pytest.mark.usefixtures("needs_fork")
def test_parallel_and_sequential_outputs_are_the_same_files(grid_case, tmp_path, monkeypatch):
    case = grid_case(n=7, minutes=[2.0, 4.0])
    config = load_config(case.config)
    result = run_coverage(config)
    drawn_by = tmp_path / "drawn_by.txt"
    static_maps = presentation.static_maps

    def recording(*args, **kwargs):
        with drawn_by.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return static_maps(*args, **kwargs)

    monkeypatch.setattr(presentation, "static_maps", recording)
    one = write_outputs(result, tmp_path / "sequential", parallel=False)
    two = write_outputs(result, tmp_path / "parallel", parallel=True)
    pids = drawn_by.read_text().split()
    assert pids[0] == str(os.getpid()) and pids[1] != str(os.getpid())
    assert sorted(one) == sorted(two)
    assert _digests(tmp_path / "sequential") == _digests(tmp_path / "parallel")
    page = [
        (tmp_path / name / "report.html").read_text(encoding="utf-8")
        for name in ("sequential", "parallel")
    ]
    # the same report but for its minute of writing
    assert [line for line in page[0].splitlines() if "class='meta'" not in line] == [
        line for line in page[1].splitlines() if "class='meta'" not in line
    ]


@pytest.mark.usefixtures("needs_fork")
def test_a_failing_print_map_publishes_nothing(grid_case, tmp_path, monkeypatch):
    case = grid_case(n=7, minutes=[2.0])
    result = run_coverage(load_config(case.config))

    def broken(*args, **kwargs):
        raise OSError("disk full while drawing map.png")

    monkeypatch.setattr(presentation, "static_maps", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full while drawing"):
        write_outputs(result, out, parallel=True)
    assert not out.exists()
    # no staging folder left behind (the lock file stays, as after any run)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", case.folder.name]


def test_no_fork_inside_a_jupyter_kernel():
    """A kernel's I/O threads must not be forked away from: write_outputs in a notebook
    writes one file after the other (importing ipykernel alone does not count)."""
    import nbformat
    from nbclient import NotebookClient

    code = (
        "import ipykernel.kernelapp\n"
        "from coverage.fork import fork_available\n"
        "print(ipykernel.kernelapp.IPKernelApp.initialized(), fork_available())"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    printed = "".join(o["text"] for o in nb.cells[0].outputs if o.get("name") == "stdout")
    assert printed.split() == ["True", "False"]


_GEOTIFF_IN_A_CHILD = """
import sys
from pathlib import Path

import numpy as np
from pyproj import CRS
from rasterio.transform import from_origin

from coverage.fork import forked
from coverage.outputs.writers import write_geotiff
from coverage.threads import thread_count

folder = Path(sys.argv[1])
data = np.random.default_rng(0).random((600, 700)).astype(np.float32)
where = (from_origin(500000, 3400000, 100, 100), CRS.from_epsg(32650))
write_geotiff(data, *where, folder / "parent.tif")  # GDAL's compression threads start here
def child():
    return [thread_count(), str(write_geotiff(data, *where, folder / "child.tif"))]
with forked(child) as job:
    threads, path = job.result()
print(thread_count() > 1, threads, Path(path).name)
"""


@pytest.mark.usefixtures("needs_fork")
def test_a_child_writes_a_geotiff_after_its_parent_started_gdals_threads(tmp_path):
    """A tiled GeoTIFF is compressed by GDAL's thread pool; the pool the parent started
    is in the child's memory without its threads, and a write handed to it waited for
    ever. In a child every pool is one thread (in a subprocess, so a hang fails the
    test instead of stopping the suite)."""
    done = subprocess.run(
        [sys.executable, "-c", _GEOTIFF_IN_A_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # a Dask cluster started earlier in this process sets OMP_NUM_THREADS=1 here
        env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "1", "child.tif"]
    import rasterio

    with rasterio.open(tmp_path / "parent.tif") as a, rasterio.open(tmp_path / "child.tif") as b:
        assert (a.read(1) == b.read(1)).all()
