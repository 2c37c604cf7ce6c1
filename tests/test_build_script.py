"""scripts/build_model.py's parameter handling, without a build: the members split and --param."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "scripts" / "build_model.py"


@pytest.fixture(scope="module")
def build_model():
    if str(_PATH.parent) not in sys.path:
        sys.path.insert(0, str(_PATH.parent))  # as when it runs as a script: it imports tune.py beside it
    spec = importlib.util.spec_from_file_location("build_model", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_members_share_the_tuned_trees(build_model) -> None:
    tuned = {"max_iter": 300, "learning_rate": 0.1}
    assert build_model.members_params(tuned, 1) == tuned
    assert build_model.members_params(tuned, 3) == {"max_iter": 100, "learning_rate": 0.1, "n_members": 3}
    with pytest.raises(SystemExit):
        build_model.members_params(tuned, 0)


def test_param_overrides_read_numbers_and_keep_text(build_model) -> None:
    assert build_model._overrides(["learning_rate=0.2", "max_leaf_nodes=63", "class_weight=balanced"]) == {
        "learning_rate": 0.2, "max_leaf_nodes": 63, "class_weight": "balanced"}
    assert build_model._overrides(["class_weight=null"]) == {"class_weight": None}
    for bad in ("learning_rate", "=0.2"):
        with pytest.raises(SystemExit, match="NAME=VALUE"):
            build_model._overrides([bad])
