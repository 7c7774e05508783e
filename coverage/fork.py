"""A task run in a second process while the first goes on: the print maps, the OSM water.

Drawing the print maps (matplotlib's Agg renderer) and encoding their PNGs hold the
GIL, so a thread does not overlap them with the rest of the writing; nor would it
overlap pyrosm's assembly of the OSM water areas with its parse of the roads. A
forked child does: it starts with the parent's memory (copy on write; nothing of
the result is copied), writes only files of its own (the print maps into the same
staging folder) and sends back only its return value and the warnings it raised,
as JSON (errors and warnings by the name of
their class, looked up among the modules already loaded, and their arguments). The
parent re-raises the child's error and re-emits its warnings, so a caller sees what a
single process would have shown.

:func:`forked` is used only where forking is known to be sound: on Linux, with two or
more cores, from the main thread, outside a Jupyter kernel and a daemonic worker. The
child touches no thread pool of the parent (no tqdm, no GDAL multi-threaded writes,
no logging to a kernel) and leaves with ``os._exit``, so it runs no clean-up of the
parent's and never flushes the parent's buffers. If the parent dies, so does the
child (``PR_SET_PDEATHSIG``); if the parent's own work fails or is interrupted, the
child is killed and reaped before the error goes on.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import select
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Generic, TypeVar

__all__ = ["Pending", "fork_available", "forked", "in_child"]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_NAME = "the second output process"
_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


def fork_available() -> bool:
    """Whether :func:`forked` may run its task in a second process here.

    Returns
    -------
    bool
        True on Linux with two or more usable cores, called from the main thread,
        outside a Jupyter kernel and outside a daemonic (worker) process.
    """
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if len(os.sched_getaffinity(0)) < 2:
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    return not (_in_jupyter_kernel() or multiprocessing.current_process().daemon)


def _in_jupyter_kernel() -> bool:
    """Whether this process is a running Jupyter kernel (its I/O threads must not be
    forked away from), not merely one that imported ipykernel."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    return bool(kernelapp is not None and kernelapp.IPKernelApp.initialized())


class Pending(Generic[T]):
    """A task running in a forked child (or waiting to run here); see :func:`forked`."""

    def __init__(
        self, task: Callable[[], T], pid: int | None, fd: int | None, name: str = _NAME
    ) -> None:
        self._task = task
        self._name = name
        self._pid = pid
        self._fd = fd
        self._done = False
        self._value: T | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None when the task runs in this process)."""
        return self._pid

    def ready(self) -> bool:
        """Whether :meth:`result` would answer without waiting for the child.

        Returns
        -------
        bool
            True once the child's answer has begun to arrive (or it has ended) and
            once the result is known; False while the child works, and for a task
            that runs in this process and has not run yet.
        """
        if self._done or self._pid is None or self._fd is None:
            return self._done
        readable, _, _ = select.select([self._fd], [], [], 0)
        return bool(readable)

    def result(self) -> T:
        """Wait for the task and return its value; raise its error; re-emit its warnings.

        Returns
        -------
        object
            What the task returned.

        Raises
        ------
        RuntimeError
            When the child ended without an answer (killed by a signal).
        """
        if self._done:
            return self._value  # type: ignore[return-value]
        if self._pid is None:
            self._value = self._task()
            self._done = True
            return self._value
        payload = _read_all(self._fd)
        self._close()
        self._done = True
        if not payload:
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            raise RuntimeError(
                f"{self._name} ended {_status(status)} before it finished; "
                "nothing of this run was published"
            )
        # a whole answer: the child has written everything and is only leaving (giving
        # back its memory takes a large process tens of milliseconds), so it is reaped
        # by a thread instead of being waited for
        pid, self._pid = self._pid, None
        threading.Thread(target=_reap, args=(pid,), name="coverage15-reap", daemon=True).start()
        answer = json.loads(payload)
        for caught in answer["warnings"]:
            category = _class(caught["category"], Warning, UserWarning)
            warnings.warn_explicit(caught["message"], category, caught["file"], caught["line"])
        if "error" in answer:
            raise _error(answer["error"], self._name)
        self._value = answer["value"]
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Kill the child (if any) and reap it; the task's value, if not received, is lost.

        The child is killed first: whatever interrupts the rest, it writes no more.
        """
        self._done = True
        pid, self._pid = self._pid, None
        if pid is not None:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._close()
        if pid is not None:
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


@contextmanager
def forked(
    task: Callable[[], T], *, enabled: bool = True, name: str = _NAME
) -> Iterator[Pending[T]]:
    """Run ``task`` in a forked child while the ``with`` block runs here.

    Parameters
    ----------
    task : callable
        Takes no arguments; returns JSON data (lists, dicts, strings, numbers). It
        must write only files of its own (the parent writes the others meanwhile).
    enabled : bool
        False, or where :func:`fork_available` says no: the task runs in this process
        when :meth:`Pending.result` is called.
    name : str
        What the child is called in errors (``"the second output process"``).

    Yields
    ------
    Pending
        Call :meth:`Pending.result` inside the block to wait for the task. Leaving the
        block with an error (or without asking for the result) kills the child.

    Examples
    --------
    >>> with forked(lambda: 6 * 7, enabled=False) as pending:
    ...     pending.result()
    42
    """
    if not (enabled and fork_available()):
        yield Pending(task, None, None, name)
        return
    read, write = os.pipe()
    pending: Pending[T] | None = None
    # SIGINT and SIGTERM wait until the child is on record, so an interrupt can never
    # leave a child nobody kills (it would go on writing into the folder)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
    try:
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns about forking a process with threads (GDAL's and
                # OpenBLAS's pools, tqdm's monitor): the child uses none of them.
                warnings.filterwarnings(
                    "ignore", r".*use of fork\(\) may lead to deadlocks", DeprecationWarning
                )
                pid = os.fork()
            if pid == 0:  # the child: never returns
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                os.close(read)
                _child(task, write)
            pending = Pending(task, pid, read, name)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(write)
        write = -1
        yield pending
    finally:
        if write >= 0:
            os.close(write)
        if pending is not None:
            pending.cancel()
        else:
            os.close(read)


def _reap(pid: int) -> None:
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


#: Set in a forked child (see :func:`in_child`).
_IN_CHILD = [False]


def in_child() -> bool:
    """Whether this process is a child forked by :func:`forked`.

    A child has only the thread that forked it: a thread pool the parent had started
    (GDAL's compression workers, for one) is there in memory without its threads, and
    work handed to it would wait for ever. Code that starts or uses pools asks
    :func:`coverage.threads.thread_count`, which says 1 in a child.
    """
    return _IN_CHILD[0]


def _child(task: Callable[[], Any], fd: int) -> None:
    """Run the task, send its answer down the pipe as JSON, leave without clean-up."""
    code = 1
    _IN_CHILD[0] = True
    try:
        # a collection would write to the header of every object shared with the
        # parent (copying each page); the child is short-lived, so it collects nothing
        gc.disable()
        _die_with_parent()
        answer: dict[str, Any] = {}
        with warnings.catch_warnings(record=True) as caught:
            try:
                answer["value"] = task()
            except BaseException as exc:
                answer["error"] = _described(exc)
        answer["warnings"] = [
            {
                "category": _name_of(w.category),
                "message": str(w.message),
                "file": w.filename,
                "line": w.lineno,
            }
            for w in caught
        ]
        try:
            payload = json.dumps(answer).encode()
        except (TypeError, ValueError) as exc:  # a value that is not JSON
            answer.pop("value", None)
            answer["error"] = _described(exc)
            payload = json.dumps(answer).encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.close(fd)  # the parent reads the end now, not once this process is torn down
        code = 0
    finally:
        os._exit(code)


def _name_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _class(name: str, base: type, default: type) -> type:
    """The class of that dotted name among the modules already loaded, if it derives from
    ``base``; else ``default`` (nothing is imported on the child's word)."""
    module, _, qualname = name.rpartition(".")
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, base) else default


def _described(exc: BaseException) -> dict[str, Any]:
    """An error as JSON: its class, arguments (when JSON), text and traceback."""
    args: list[Any] | None = list(exc.args)
    try:
        json.dumps(args)
    except (TypeError, ValueError):
        args = None
    return {
        "class": _name_of(type(exc)),
        "args": args,
        "text": str(exc),
        "traceback": "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)
        ).rstrip(),
    }


def _error(described: dict[str, Any], name: str) -> BaseException:
    """The child's error rebuilt in the parent (the same class where it can be), with
    the child's traceback as a note."""
    cls = _class(described["class"], BaseException, RuntimeError)
    exc: BaseException | None = None
    if cls is not RuntimeError and described["args"] is not None:
        try:
            exc = cls(*described["args"])
        except Exception:  # a constructor that wants other arguments
            exc = None
    if exc is None or str(exc) != described["text"]:
        short = described["class"].rpartition(".")[2]
        exc = RuntimeError(f"{short}: {described['text']}")
    if hasattr(exc, "add_note"):  # Python 3.11+
        exc.add_note(f"(raised in {name})\n{described['traceback']}")
    return exc


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (no orphan keeps writing)."""
    import ctypes

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _read_all(fd: int | None) -> bytes:
    """Everything from a pipe until the writer closes it."""
    if fd is None:
        return b""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"by signal {signal.Signals(number).name}"
    return f"with exit code {os.waitstatus_to_exitcode(status)}"
