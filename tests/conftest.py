"""Fixtures shared by every test module (pytest finds them here: nothing to import).

The snapshot stores are built once per test session (per xdist worker) from ``support.stores``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.http_server import ScriptedServer
from support.stores import tiled_store, write_handmade_store, write_pipeline_store


@pytest.fixture(scope="session")
def handmade_store(tmp_path_factory) -> Path:
    """Two published snapshots of the hand-made, hostile tables (the newer one current)."""
    return write_handmade_store(tmp_path_factory.mktemp("handmade") / "store")


@pytest.fixture(scope="session")
def pipeline_store(tmp_path_factory) -> Path:
    """The real ETL on the bundled corpus, once per test session."""
    store = tmp_path_factory.mktemp("pipeline") / "store"
    write_pipeline_store(store)
    return store


@pytest.fixture(scope="session")
def big_store(tmp_path_factory) -> Path:
    """6,000 claims (500 copies of the hand-made 12; 5,500 with a model size): past the point cap."""
    return tiled_store(tmp_path_factory.mktemp("big") / "store", 500)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on 127.0.0.1 (``support.http_server``), shut down after the test."""
    scripted = ScriptedServer()
    yield scripted
    scripted.shutdown()
