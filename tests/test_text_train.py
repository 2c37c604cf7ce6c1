"""Training data for the text model, the two-pass model, its files and the baselines."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import make_page
from text_pages import news_page_one_line, tiny_text_extractor

from boilerplate.errors import ModelError
from boilerplate.extractor import load_extractor
from boilerplate.persist import manifest_path, save_model
from boilerplate.text.evaluate import keep_all, line_filter, score_systems
from boilerplate.text.extractor import load_text_extractor
from boilerplate.text.features import TEXT_FEATURE_NAMES, TEXT_FEATURE_VERSION, segment_features
from boilerplate.text.pages import FLATTENINGS, text_page
from boilerplate.text.segment import SEGMENT_VERSION, Cut, Segment, segment_text
from boilerplate.text.train import save_text_model
from boilerplate.text.trainset import carry_labels, text_rows


def _segment(start: int, end: int) -> Segment:
    return Segment(index=0, text="x", start=start, end=end, line=0, cut=Cut.LINE)


def test_a_segment_takes_the_label_of_most_of_its_characters():
    starts, lengths = np.array([0, 11]), np.array([10, 10])    # blocks [0,10) boilerplate, [11,21) content
    labels = np.array([False, True])
    segments = [_segment(0, 10), _segment(5, 21), _segment(0, 17), _segment(12, 20)]
    assert carry_labels(segments, starts, lengths, labels).tolist() == [False, True, False, True]


@pytest.mark.parametrize("flattening", FLATTENINGS)
def test_rows_of_a_rendered_page_label_the_article_and_not_the_chrome(flattening):
    source = make_page(7)
    page = text_page(source)
    rows = text_rows(page, flattening)
    text, _ = page.render(flattening)
    assert ("\n" in text) == (flattening == "lines")
    assert rows.X.shape == (len(rows.segments), len(TEXT_FEATURE_NAMES))
    kept = " ".join(s.text for s, y in zip(rows.segments, rows.y) if y)
    dropped = " ".join(s.text for s, y in zip(rows.segments, rows.y) if not y)
    assert source.article.split("\n\n")[1][:60] in kept
    assert "All rights reserved" in dropped and "We use cookies" in dropped


def test_two_pass_model_gives_out_of_fold_probabilities():
    from threadpoolctl import threadpool_limits

    from boilerplate.text.model import TwoPassClassifier
    from boilerplate.text.pages import build_pages
    from boilerplate.text.trainset import build_rows, stack

    rows = build_rows(build_pages([make_page(seed) for seed in range(8)])[0])
    X, y, w = stack(rows)
    pages = np.concatenate([np.full(len(r.y), i) for i, r in enumerate(rows)])
    folds = np.concatenate([np.full(len(r.y), i % 2) for i, r in enumerate(rows)])
    with threadpool_limits(1):
        model = TwoPassClassifier(max_iter=5, min_samples_leaf=5).fit(X, y, sample_weight=w, pages=pages, folds=folds)
    assert model.oof_proba_.shape == y.shape and 0 <= model.oof_proba_.min() <= model.oof_proba_.max() <= 1
    assert len(model.first_) == len(model.second_) == 2
    assert model.content_proba(rows[0].X).shape == (len(rows[0].y),)
    assert not hasattr(tiny_text_extractor().classifier, "oof_proba_"), "dropped before saving"


def test_save_and_load_give_identical_probabilities(tmp_path):
    extractor = tiny_text_extractor()
    path = tmp_path / "text.joblib"
    save_text_model(extractor, path, info={"note": "test"})
    loaded = load_text_extractor(path)
    X = segment_features(segment_text(news_page_one_line()))
    assert np.array_equal(loaded.classifier.content_proba(X), extractor.classifier.content_proba(X))
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["kind"] == "text" and manifest["segment_version"] == SEGMENT_VERSION
    assert manifest["feature_version"] == TEXT_FEATURE_VERSION and manifest["feature_names"] == list(TEXT_FEATURE_NAMES)
    assert loaded.threshold == extractor.threshold and loaded.manifest["note"] == "test"


def test_the_html_loader_refuses_a_text_model_and_back(tmp_path, tiny_extractor):
    text_model = tmp_path / "text.joblib"
    save_text_model(tiny_text_extractor(), text_model)
    with pytest.raises(ModelError, match="feature set"):
        load_extractor(text_model)
    html_model = tmp_path / "html.joblib"
    save_model(tiny_extractor.classifier, html_model, threshold=0.5, target="article")
    with pytest.raises(ModelError, match="feature set"):
        load_text_extractor(html_model)


@pytest.mark.parametrize("key, value", [("feature_version", -1), ("segment_version", -1), ("kind", "html")])
def test_a_text_model_of_another_version_is_refused(tmp_path, key, value):
    path = tmp_path / "text.joblib"
    save_text_model(tiny_text_extractor(), path)
    manifest = json.loads(manifest_path(path).read_text())
    manifest[key] = value
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.raises(ModelError):
        load_text_extractor(path)


def test_line_filter_keeps_lines_with_terminal_punctuation_and_three_words():
    text = "Home News Sport\nIt rained.\nIt rained today.\nThe council met on Tuesday\nShe said: \"Yes, we did.\""
    assert line_filter(text).split("\n") == ["It rained today.", "She said: \"Yes, we did.\""]
    assert keep_all(text) == text
    assert line_filter(news_page_one_line()) == ""   # one line that ends without a full stop


def test_score_systems_scores_every_flattening_and_dataset():
    pages = [text_page(make_page(seed)) for seed in (1, 2)]
    results = score_systems({"keep-all": keep_all, "line filter": line_filter}, pages)
    assert set(results) == set(FLATTENINGS)
    assert set(results["oneline"]["keep-all"]) == {"synthetic", "mean"}
    assert results["oneline"]["keep-all"]["synthetic"].shingle.recall > 0.95
