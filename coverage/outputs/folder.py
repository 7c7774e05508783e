"""One output folder, published whole: the rule every command and writer shares.

A run builds its complete output folder in a staging folder beside the target
(``.<name>.staging-XXXX``) and swaps it in as one step, so a reader finds the folder
entirely old or entirely new, and nothing from an earlier run survives that this
run did not write. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``; elsewhere
the old folder is renamed aside (``.<name>.old-XXXX``) and the new one renamed in.
A failure, an interruption (SIGINT, SIGTERM) or a kill leaves the previous folder
whole; whatever a killed run left beside it is cleared at the next publish.

The swap only replaces a folder that is new, empty, or a previous coverage15 output,
recognised by its manifest (:data:`MANIFEST_NAME`: version, kind, files, time). Any
other non-empty folder is refused, and so is a folder that is, or contains, the
folder of an input: both before any work (:func:`check_output_folder`).

A coverage15 output kept inside the folder (``siting/`` inside a run's folder, say)
is carried into the new folder when the new run did not write that name itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..paths import resolve_path
from .writers import _umask

__all__ = [
    "MANIFEST_NAME",
    "check_output_folder",
    "is_output_folder",
    "mark_output_folder",
    "publish_folder",
    "read_manifest",
    "recover_folder",
    "summary_inputs",
]

#: Marks a folder as a coverage15 output; written last into every published folder.
MANIFEST_NAME = ".coverage15-manifest.json"

# Files that marked an output folder before the manifest existed (still recognised).
_LEGACY_MARKERS = (".coverage15.lock", "batch_manifest.json", "batch_summary.csv")
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of an output folder, or None if it has none (or an unreadable one)."""
    try:
        data = json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "coverage15_version" in data else None


def is_output_folder(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` was written by coverage15 (its manifest, or an older marker)."""
    path = Path(folder)
    if read_manifest(path) is not None:
        return True
    return any((path / name).is_file() for name in _LEGACY_MARKERS)


def summary_inputs(summary: Any) -> list[Path]:
    """The input files a result's summary names (its ``inputs`` entry), as paths.

    Parameters
    ----------
    summary : mapping
        A result's ``summary``; only absolute paths in its ``inputs`` are taken.

    Returns
    -------
    list of pathlib.Path
    """
    found: list[Path] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
        elif isinstance(node, (str, Path)) and Path(node).is_absolute():
            found.append(Path(node))

    walk(summary.get("inputs") if isinstance(summary, dict) else None)
    return found


def _input_folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def check_output_folder(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Refuse an output folder that holds an input or files coverage15 did not write.

    Parameters
    ----------
    out : path-like
        The output folder the run would replace.
    inputs : iterable of path-like
        Every input of the run (configuration file, stations, population, ...).

    Returns
    -------
    pathlib.Path
        ``out`` resolved.

    Raises
    ------
    InputError
        One line naming the folder: it is, or contains, the folder of an input; it is
        a file; or it is not empty and holds no coverage15 manifest.
    """
    folder = resolve_path(out)
    for item in inputs:
        source = resolve_path(item)
        holder = _input_folder(source)
        if holder == folder or folder in holder.parents:
            raise InputError(
                f"{folder}: the output folder holds the input {source}, and publishing "
                "replaces the whole folder; choose an output folder outside the input "
                "folders with --out"
            )
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: the output folder is a file; choose a folder with --out")
    if folder.is_dir() and any(folder.iterdir()) and not is_output_folder(folder):
        raise InputError(
            f"{folder}: the output folder is not empty and was not written by coverage15 "
            f"(no {MANIFEST_NAME}), and publishing replaces the whole folder; choose a new "
            "or empty folder with --out"
        )
    return folder


# --------------------------------------------------------------------------- the steps


def _names(folder: Path, kind: str) -> tuple[str, str]:
    return f".{folder.name}.{kind}-", f".{folder.name}.{kind}-*"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _write_manifest(stage: Path, kind: str) -> None:
    """Step 1: list every file of the new folder in its manifest."""
    files = {
        p.relative_to(stage).as_posix(): p.stat().st_size
        for p in sorted(stage.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME
    }
    manifest = {
        "coverage15_version": __version__,
        "kind": kind,
        "finished": _now(),
        "files": files,
    }
    tmp = stage / f"{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, stage / MANIFEST_NAME)


def mark_output_folder(folder: str | os.PathLike[str], kind: str) -> None:
    """Write the manifest of a folder that is updated in place (a batch's top folder).

    Parameters
    ----------
    folder : path-like
        An existing output folder, checked with :func:`check_output_folder`.
    kind : str
        What the folder holds (e.g. ``batch``).
    """
    _write_manifest(Path(folder), kind)


def _nested_outputs(folder: Path) -> list[Path]:
    """Sub-folders of ``folder`` that are coverage15 outputs of their own."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and read_manifest(p) is not None)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # no hard links on this file system
        shutil.copy2(source, target)


def _carry_nested(out: Path, stage: Path) -> None:
    """Step 2: outputs kept inside the old folder (e.g. ``siting/``) join the new one.

    They are hard-linked (copied where links are impossible), so the old folder
    stays whole until it is swapped out.
    """
    for nested in _nested_outputs(out):
        if not (stage / nested.name).exists():
            shutil.copytree(nested, stage / nested.name, copy_function=_link_or_copy)


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc < 2.28 or another C library
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one system call; False where the system cannot."""
    call = _renameat2()
    if call is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if call(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _rename_aside(out: Path) -> Path:
    """Fallback swap, first rename: the old folder to ``.<name>.old-XXXX``."""
    old = Path(tempfile.mkdtemp(prefix=_names(out, "old")[0], dir=out.parent))
    os.replace(out, old)  # onto the empty placeholder folder
    return old


def _rename_in(stage: Path, out: Path) -> None:
    """Swap (or fallback second rename): the new folder to its final name."""
    os.replace(stage, out)


def _swap(stage: Path, out: Path) -> Path | None:
    """Step 3: put the new folder in place of the old; return where the old one is now."""
    if not out.exists():
        _rename_in(stage, out)
        return None
    if _exchange(stage, out):
        return stage
    old = _rename_aside(out)
    _rename_in(stage, out)
    return old


def _discard(old: Path | None) -> None:
    """Step 4: delete the previous folder."""
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover_folder(out: str | os.PathLike[str]) -> None:
    """Clear what an interrupted or killed publish left beside ``out``.

    A previous folder caught between the two renames of the fallback swap is put
    back; staging and old folders are deleted. Call it only while no publish into ``out`` is running
    (:func:`publish_folder` calls it under its lock).

    Parameters
    ----------
    out : path-like
        The output folder.
    """
    folder = Path(out)
    parent = folder.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(_names(folder, "old")[1]), key=lambda p: p.stat().st_mtime)
    if olds and not folder.exists():
        os.replace(olds.pop(), folder)  # killed between the renames: the old folder returns
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    for stage in parent.glob(_names(folder, "staging")[1]):
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, runs not serialised
        yield
        return
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM during the swap; a held signal is raised right after.

    Python runs signal handlers in the main thread, so the handlers are swapped for
    a recorder (masking the main thread alone would not hold signals delivered to
    library threads).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def record(signum: int, frame: object) -> None:
        caught.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, record) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    return "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc)


def _parent_ready(folder: Path) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{folder}: cannot create the output folder ({exc.strerror}); choose a folder "
            "you can write to with --out"
        ) from None
    if not os.access(folder.parent, os.W_OK | os.X_OK):
        raise InputError(
            f"{folder}: cannot write beside the output folder (in {folder.parent}), where it "
            "is built before it is swapped in; choose another folder with --out"
        )


@contextlib.contextmanager
def publish_folder(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    kind: str = "run",
) -> Iterator[Path]:
    """Build an output folder in a staging folder, then swap it in whole.

    Parameters
    ----------
    out : path-like
        The output folder: new, empty, or a previous coverage15 output.
    inputs : iterable of path-like
        The run's inputs; a folder that is, or contains, the folder of one is refused.
    kind : str
        What the folder holds (``run``, ``modes``, ``siting``, ``batch-region`` ...),
        recorded in the manifest.

    Yields
    ------
    pathlib.Path
        The empty staging folder; write every file of the new folder into it.

    Raises
    ------
    InputError
        If the folder is refused (see :func:`check_output_folder`), cannot be written,
        or the disk fills up (the previous folder is then unchanged).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "county"
    >>> with publish_folder(out) as stage:
    ...     _ = (stage / "summary.json").write_text("{}")
    >>> sorted(p.name for p in out.iterdir())
    ['.coverage15-manifest.json', 'summary.json']
    """
    inputs = list(inputs)
    folder = check_output_folder(out, inputs)
    _parent_ready(folder)
    with _locked(folder.parent / f".{folder.name}.lock"):
        recover_folder(folder)
        check_output_folder(folder, inputs)  # another run may have written it meanwhile
        try:
            stage = Path(tempfile.mkdtemp(prefix=_names(folder, "staging")[0], dir=folder.parent))
        except OSError as exc:
            if _no_space(exc):
                raise _full(folder) from None
            raise
        try:
            os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700 folders
            try:
                yield stage
                with _signals_deferred():
                    _write_manifest(stage, kind)
                    _carry_nested(folder, stage)
                    old = _swap(stage, folder)
            except BaseException as exc:
                recover_folder(folder)
                if _no_space(exc):
                    raise _full(folder) from None
                raise
            _discard(old)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


def _full(folder: Path) -> InputError:
    return InputError(
        f"{folder}: no space left on the disk while writing the outputs; the previous "
        "outputs are unchanged; free some space or choose a folder on another disk with --out"
    )
