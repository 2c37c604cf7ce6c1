"""Shared fixtures: where the real datasets are, and a per-session cache for unpacking them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``BOILERPLATE_DATA_DIR``, else ``<repo>/../shared/datasets``; skip (or fail) if absent."""
    env = os.environ.get("BOILERPLATE_DATA_DIR")
    path = Path(env) if env else _REPO.parent / "shared" / "datasets"
    if not path.is_dir():
        message = f"real datasets not found at {path}; set BOILERPLATE_DATA_DIR"
        if os.environ.get("BOILERPLATE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide cache so tests never write into ``~/.cache``."""
    return tmp_path_factory.mktemp("boilerplate-cache")
