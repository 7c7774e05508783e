"""One group of outputs written in a second process while the first writes the rest.

Drawing the print maps (matplotlib's Agg renderer) and encoding their PNGs hold the
GIL, so a thread does not overlap them with the rest of the writing. A forked child
does: it starts with the parent's memory (copy on write; nothing of the result is
pickled), writes its files into the same staging folder and sends back only its
return value and the warnings it raised. The parent re-raises the child's error or
re-emits its warnings, so a caller sees what a single process would have shown.

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
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

__all__ = ["Pending", "fork_available", "forked"]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1


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

    def __init__(self, task: Callable[[], T], pid: int | None, fd: int | None) -> None:
        self._task = task
        self._pid = pid
        self._fd = fd
        self._done = False
        self._value: T | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None when the task runs in this process)."""
        return self._pid

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
        self._fd = None
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        self._done = True
        if not payload:
            raise RuntimeError(
                f"the process writing {_name(self._task)} ended {_status(status)} "
                "before it finished; nothing of this run was published"
            )
        kind, value, caught = pickle.loads(payload)
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
        if kind == "error":
            raise value
        self._value = value
        return value

    def cancel(self) -> None:
        """Kill the child (if any) and reap it; the task's value is lost."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - reaped already
                pass
            os.waitpid(self._pid, 0)
            self._pid = None
        self._done = True


@contextmanager
def forked(task: Callable[[], T], *, enabled: bool = True) -> Iterator[Pending[T]]:
    """Run ``task`` in a forked child while the ``with`` block runs here.

    Parameters
    ----------
    task : callable
        Takes no arguments; what it returns must pickle. It must write only files of
        its own (the parent writes the others at the same time).
    enabled : bool
        False, or where :func:`fork_available` says no: the task runs in this process
        when :meth:`Pending.result` is called.

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
        pending: Pending[T] = Pending(task, None, None)
        yield pending
        return
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads (GDAL's and
        # OpenBLAS's pools, tqdm's monitor): the child uses none of them.
        warnings.filterwarnings(
            "ignore", r".*use of fork\(\) may lead to deadlocks", DeprecationWarning
        )
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        _child(task, write)
    os.close(write)
    pending = Pending(task, pid, read)
    try:
        yield pending
    finally:
        pending.cancel()


def _child(task: Callable[[], Any], fd: int) -> None:
    """Run the task, send (kind, value, warnings) down the pipe, leave without clean-up."""
    code = 1
    try:
        # a collection would write to the header of every object shared with the
        # parent (copying each page); the child is short-lived, so it collects nothing
        gc.disable()
        _die_with_parent()
        with warnings.catch_warnings(record=True) as caught:
            try:
                answer: tuple[str, Any] = ("ok", task())
            except BaseException as exc:
                answer = ("error", _portable(exc))
        found = [(_plain_warning(w.message), w.category, w.filename, w.lineno) for w in caught]
        try:
            payload = pickle.dumps((answer[0], answer[1], found))
        except Exception as exc:
            payload = pickle.dumps(("error", _portable(exc), found))
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        code = 0
    finally:
        os._exit(code)


def _portable(exc: BaseException) -> BaseException:
    """The error itself if it pickles (with the child's traceback as a note), else a
    RuntimeError carrying its text."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    note = f"(raised in the second output process)\n{text}"
    if hasattr(exc, "add_note"):  # Python 3.11+
        exc.add_note(note)
    return exc


def _plain_warning(message: Warning | str) -> Warning | str:
    """A warning that pickles: custom warnings with odd arguments become their text."""
    try:
        pickle.loads(pickle.dumps(message))
    except Exception:
        return str(message)
    return message


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
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _name(task: Callable[[], Any]) -> str:
    return getattr(task, "__name__", None) or "its outputs"


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"by signal {signal.Signals(number).name}"
    return f"with exit code {os.waitstatus_to_exitcode(status)}"
