"""Fixtures of the download tests: a local HTTP server (see fetch_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fetch_server import FileServer, running_server


@pytest.fixture
def server() -> Iterator[FileServer]:
    """A fresh local file server on 127.0.0.1 (per test, so logs and behaviours do not leak)."""
    with running_server() as state:
        yield state


@pytest.fixture
def cache(tmp_path):
    """An empty cache folder."""
    return tmp_path / "cache"
