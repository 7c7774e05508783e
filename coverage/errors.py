"""Exceptions raised by coverage15.

Every problem with what a user supplied (a file, a column, a configuration key)
raises :class:`InputError` or one of its children, with a one-line message that
says what is wrong, where (file, row, field) and how to fix it. The command-line
interface prints such messages as ``error: ...`` and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CoverageError",
    "DownloadError",
    "EditRefused",
    "InputError",
    "MissingDependencyError",
    "SolverError",
]


class CoverageError(Exception):
    """Base class of every error raised on purpose by coverage15."""


class InputError(CoverageError, ValueError):
    """A user-supplied input (file, table, raster, network) is unusable.

    The message names the file, and where it helps the row or field, and the fix.
    It is always one line: white space (including newlines from the messages of
    underlying libraries) is folded.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


class ConfigError(InputError):
    """The run configuration is invalid (unknown key, wrong type, bad value)."""


class MissingDependencyError(CoverageError, ImportError):
    """An optional dependency needed for the requested feature is not installed."""


class DownloadError(CoverageError, OSError):
    """A download failed: HTTP error, unreachable host, truncated transfer, bad checksum.

    The message names the URL, what went wrong and what to do (usually: run the same
    command again, which resumes a partial download).
    """


class SolverError(CoverageError, RuntimeError):
    """An optimisation model is infeasible or the solver failed."""


def one_line(message: str) -> str:
    """Collapse a message to a single line (errors are printed on one line)."""
    return " ".join(str(message).split())


class EditRefused(InputError):
    """An edit of a planning session was refused (bad point, unknown or taken id).

    Parameters
    ----------
    message : str
        The English message (also ``str(error)``).
    zh : str
        The same message in Chinese, shown on a Chinese page.
    """

    def __init__(self, message: object = "", zh: str = "") -> None:
        super().__init__(message)
        self.en = one_line(str(message))
        self.zh = one_line(zh) if zh else self.en

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.zh if lang == "zh" else self.en
