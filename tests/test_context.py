"""Second-pass context features, and a two-pass model saved and loaded as two checked files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import make_page

from boilerplate.context import CONTEXT_NAMES, _shared_depth, context_features, headline_anchor
from boilerplate.errors import ModelError
from boilerplate.extractor import Extractor, load_extractor
from boilerplate.features import FEATURE_NAMES
from boilerplate.model import BlockClassifier
from boilerplate.persist import manifest_path
from boilerplate.train import context_path, fit_extractor, out_of_fold_proba, save_extractor
from boilerplate.trainset import build_rows


def col(name: str) -> int:
    return CONTEXT_NAMES.index(name)


def block_features(n: int, *, h1: int | None = None, title_overlap: dict[int, float] | None = None,
                   headings: tuple[int, ...] = ()) -> np.ndarray:
    """A first-pass feature matrix of ``n`` blocks with only the columns the context pass reads set."""
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    for i in (*headings, *(() if h1 is None else (h1,))):
        X[i, FEATURE_NAMES.index("is_heading")] = 1
    if h1 is not None:
        X[h1, FEATURE_NAMES.index("in_h1")] = 1
    for i, value in (title_overlap or {}).items():
        X[i, FEATURE_NAMES.index("title_overlap")] = value
    return X


def test_shape_and_empty_page():
    assert context_features(np.zeros(0), [], block_features(0)).shape == (0, len(CONTEXT_NAMES))
    assert context_features(np.array([0.3, 0.7]), ["a", "b"], block_features(2)).shape == (2, len(CONTEXT_NAMES))


def test_neighbours_windows_and_groups():
    p = np.array([0.1, 0.9, 0.2, 0.8])
    X = context_features(p, ["x>a", "x>b", "x>a", "x>b"], block_features(4))
    assert X[2, col("p@-1")] == pytest.approx(0.9) and X[2, col("p@+1")] == pytest.approx(0.8)
    assert X[0, col("p@-1")] == -1 and X[3, col("p@+1")] == -1
    assert X[2, col("p_same_path")] == pytest.approx(0.15)          # blocks 0 and 2 share a path
    assert X[2, col("p_parent_path")] == pytest.approx(0.5)          # all four share the parent
    assert X[0, col("p_same_path_max")] == pytest.approx(0.2)
    assert X[0, col("log_dist_probable")] == pytest.approx(np.log1p(1))
    assert X[0, col("p_page_share")] == pytest.approx(0.5)


def test_no_probable_block_is_handled():
    X = context_features(np.array([0.1, 0.2, 0.3]), ["a", "a", "a"], block_features(3))
    assert np.isfinite(X).all()
    assert (X[:, col("after_first_probable")] == -1).all()


def test_position_relative_to_the_headline():
    paths = ["b>nav>li", "b>main>h1", "b>main>div>p", "b>aside>p"]
    features = block_features(4, h1=1, title_overlap={1: 0.8})
    assert headline_anchor(features) == 1
    X = context_features(np.array([0.2, 0.9, 0.9, 0.6]), paths, features)
    shared = X[:, col("headline_shared_depth")]
    assert shared[2] == pytest.approx(2 / 3) and shared[0] == pytest.approx(1 / 3) and shared[1] == 1
    assert X[2, col("below_headline_container")] == 2 and X[1, col("below_headline_container")] == 0
    assert X[0, col("rel_offset_headline")] == pytest.approx(-0.25)
    assert X[3, col("log_dist_headline")] == pytest.approx(np.log1p(2))


_element = st.sampled_from(["div", "div.a", "div.ab", "p", "main", "li#x", "d"])
_path = st.lists(_element, min_size=1, max_size=8).map(">".join)


@settings(max_examples=300, deadline=None)
@given(_path, _path)
def test_shared_depth_counts_whole_leading_elements(path, other):
    parts, other_parts = path.split(">"), other.split(">")
    expected = 0
    while expected < min(len(parts), len(other_parts)) and parts[expected] == other_parts[expected]:
        expected += 1
    prefixes = [">".join(other_parts[:k]) for k in range(len(other_parts) + 1)]
    assert _shared_depth(path, prefixes) == expected


def test_headline_falls_back_to_the_heading_most_like_the_title():
    assert headline_anchor(block_features(3, headings=(0, 2), title_overlap={2: 0.5})) == 2
    no_headline = block_features(2, headings=(0,))
    assert headline_anchor(no_headline) is None
    X = context_features(np.array([0.5, 0.5]), ["a", "b"], no_headline)
    assert (X[:, col("headline_shared_depth")] == -1).all()


@pytest.fixture(scope="module")
def two_pass():
    rows, _ = build_rows([make_page(seed) for seed in range(60)])
    params = {"max_iter": 20, "min_samples_leaf": 5}
    extractor, info = fit_extractor(rows, params=params, folds=3)
    return extractor, info


def test_fit_extractor_builds_a_context_pass(two_pass):
    extractor, info = two_pass
    assert isinstance(extractor.context_classifier, BlockClassifier)
    assert extractor.context_classifier.n_features_in_ == extractor.classifier.n_features_in_ + len(CONTEXT_NAMES)
    assert info["context_folds"] == 3 and 0.2 <= extractor.threshold <= 0.8
    page = make_page(5000)
    text = extractor.extract(page.html)
    assert page.article.split("\n\n")[1] in text and "All rights reserved" not in text


def test_two_pass_round_trip(two_pass, tmp_path):
    extractor, _ = two_pass
    path = tmp_path / "m.joblib"
    save_extractor(extractor, path)
    assert context_path(path).is_file()
    loaded = load_extractor(path)
    page = make_page(5001).html
    assert [b.proba for b in loaded.predict(page)] == [b.proba for b in extractor.predict(page)]


def test_swapped_context_file_is_refused(two_pass, tmp_path):
    extractor, _ = two_pass
    a, b = tmp_path / "a.joblib", tmp_path / "b.joblib"
    save_extractor(extractor, a)
    other = Extractor(classifier=extractor.classifier, context_classifier=BlockClassifier(max_iter=5).fit(
        np.random.default_rng(0).normal(size=(50, extractor.context_classifier.n_features_in_)),
        np.arange(50) % 2), threshold=0.5)
    save_extractor(other, b)
    context_path(b).replace(context_path(a))
    manifest_path(context_path(b)).replace(manifest_path(context_path(a)))
    with pytest.raises(ModelError, match="context pass"):
        load_extractor(a)


def test_context_manifest_records_its_stage(two_pass, tmp_path):
    extractor, _ = two_pass
    save_extractor(extractor, tmp_path / "m.joblib")
    manifest = json.loads(manifest_path(context_path(tmp_path / "m.joblib")).read_text())
    assert manifest["stage"] == "context" and manifest["feature_names"][-len(CONTEXT_NAMES):] == list(CONTEXT_NAMES)


def test_out_of_fold_probabilities_of_a_second_pass_read_its_extra_columns():
    """With ``extra`` every page is scored by a model fitted on the other folds' pages with
    those columns beside the features: a column that gives the label away is learned."""
    rows, _ = build_rows([make_page(seed) for seed in range(700, 724)])
    params = {"max_iter": 10, "min_samples_leaf": 5}
    flipped = [np.where(r.labels("article"), 0.0, 1.0)[:, None] for r in rows]  # 0 for content, 1 for chrome
    first = out_of_fold_proba(rows, target="article", params=params, folds=3)
    second = out_of_fold_proba(rows, target="article", params=params, folds=3, extra=flipped)
    labels = np.concatenate([r.labels("article") for r in rows])
    assert [len(p) for p in second] == [len(r.texts) for r in rows]
    assert np.array_equal(np.concatenate(second) >= 0.5, labels)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
