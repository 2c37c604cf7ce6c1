"""The compiled extensions are built by the install and used: without them the package
still works, through its pure-Python/numpy paths, only several times slower."""

from __future__ import annotations

import boilerplate.portable


def test_the_compiled_tree_walk_is_built_and_used():
    from boilerplate._trees import raw_scores

    assert boilerplate.portable._compiled_raw_scores is raw_scores
