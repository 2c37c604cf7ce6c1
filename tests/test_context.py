"""Second-pass context features, and a two-pass model saved and loaded as two checked files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import make_page

from boilerplate.context import CONTEXT_NAMES, context_features
from boilerplate.errors import ModelError
from boilerplate.extractor import Extractor, load_extractor
from boilerplate.model import BlockClassifier
from boilerplate.persist import manifest_path
from boilerplate.train import context_path, fit_extractor, out_of_fold_proba, save_extractor
from boilerplate.trainset import build_rows


def col(name: str) -> int:
    return CONTEXT_NAMES.index(name)


def test_shape_and_empty_page():
    assert context_features(np.zeros(0), []).shape == (0, len(CONTEXT_NAMES))
    assert context_features(np.array([0.3, 0.7]), ["a", "b"]).shape == (2, len(CONTEXT_NAMES))


def test_neighbours_windows_and_groups():
    p = np.array([0.1, 0.9, 0.2, 0.8])
    X = context_features(p, ["x>a", "x>b", "x>a", "x>b"])
    assert X[2, col("p@-1")] == pytest.approx(0.9) and X[2, col("p@+1")] == pytest.approx(0.8)
    assert X[0, col("p@-1")] == -1 and X[3, col("p@+1")] == -1
    assert X[2, col("p_same_path")] == pytest.approx(0.15)          # blocks 0 and 2 share a path
    assert X[2, col("p_parent_path")] == pytest.approx(0.5)          # all four share the parent
    assert X[0, col("p_same_path_max")] == pytest.approx(0.2)
    assert X[0, col("log_dist_probable")] == pytest.approx(np.log1p(1))
    assert X[0, col("p_page_share")] == pytest.approx(0.5)


def test_no_probable_block_is_handled():
    X = context_features(np.array([0.1, 0.2, 0.3]), ["a", "a", "a"])
    assert np.isfinite(X).all()
    assert (X[:, col("after_first_probable")] == -1).all()


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
