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


@pytest.fixture(scope="session")
def tiny_extractor():
    """A small model trained in a second on pages the tests write (see ``synthetic.py``)."""
    from synthetic import make_page

    from boilerplate.extractor import Extractor
    from boilerplate.model import BlockClassifier
    from boilerplate.trainset import build_rows, stack

    rows, skipped = build_rows([make_page(seed) for seed in range(40)])
    assert not skipped
    X, y, w, _ = stack(rows, "article")
    classifier = BlockClassifier(max_iter=30, min_samples_leaf=5).fit(X, y, sample_weight=w)
    return Extractor(classifier=classifier, threshold=0.5, target="article")
