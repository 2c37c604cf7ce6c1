"""Text-only features: named columns, one row per segment, context at the edges."""

from __future__ import annotations

import numpy as np
from text_pages import news_page_one_line

from boilerplate.text.features import TEXT_FEATURE_NAMES, segment_features
from boilerplate.text.segment import segment_text


def column(X: np.ndarray, name: str) -> np.ndarray:
    return X[:, TEXT_FEATURE_NAMES.index(name)]


def test_names_are_unique_and_match_the_matrix():
    assert len(set(TEXT_FEATURE_NAMES)) == len(TEXT_FEATURE_NAMES)
    segments = segment_text(news_page_one_line())
    X = segment_features(segments)
    assert X.shape == (len(segments), len(TEXT_FEATURE_NAMES)) and X.dtype == np.float32
    assert np.isfinite(X).all()


def test_no_segments_give_an_empty_matrix():
    assert segment_features([]).shape == (0, len(TEXT_FEATURE_NAMES))


def test_neighbour_columns_are_minus_one_past_the_edges():
    X = segment_features(segment_text("First line of text.\nSecond line here.\nThird one."))
    assert column(X, "log_words@-1")[0] == -1 and column(X, "log_words@+1")[-1] == -1
    assert column(X, "log_words@-1")[1] == column(X, "log_words")[0]


def test_sentence_shape_capitalisation_and_keywords():
    texts = ["Home News Sport Business Opinion Culture",
             "The council said on Tuesday that the work would start in the spring.",
             "Now playing 03:13",
             "Sign up for our newsletter"]
    X = segment_features(segment_text("\n".join(texts)))
    assert column(X, "titlecase_ratio")[0] == 1.0 and column(X, "log_title_run")[0] > column(X, "log_title_run")[1]
    assert column(X, "ends_with_terminal")[1] == 1.0 and column(X, "ends_with_terminal")[0] == 0.0
    assert column(X, "stopword_ratio")[1] > 0.3 > column(X, "stopword_ratio")[0]
    assert column(X, "timestamp_hits")[2] == 1.0
    assert column(X, "kw_subscribe")[3] >= 1.0 and column(X, "kw_media")[2] >= 1.0
    assert column(X, "line_has_breaks")[0] == 1.0


def test_repetition_within_the_page():
    X = segment_features(segment_text("Share this story\nThe council met.\nShare this story\nThe end came."))
    assert column(X, "log_text_repeats")[0] > 0 and column(X, "log_text_repeats")[1] == 0


def test_features_are_deterministic():
    segments = segment_text(news_page_one_line())
    assert np.array_equal(segment_features(segments), segment_features(segments))


def test_ad_markers_credits_and_teaser_labels():
    texts = ["Ad Feedback",
             "The old stone bridge after the flood. Photo: James Whitaker/Getty Images",
             "Related: Storm warnings issued for the coast as rivers rise",
             "Now playing 03:13",
             "How to protect your home from floods 04:20",
             "The council said on Tuesday that the advertisement for the work would run in the spring.",
             "Watch the river: it rose by a metre overnight, the council said."]
    X = segment_features(segment_text("\n".join(texts)))
    assert column(X, "ad_marker").tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert column(X, "credit_hits")[1] >= 1 and column(X, "credit_hits")[[0, 2, 3, 4, 5, 6]].sum() == 0
    assert column(X, "teaser_label").tolist() == [0, 0, 1, 1, 0, 0, 0]
    assert column(X, "marker").tolist() == [1, 1, 1, 1, 1, 0, 0]
    assert column(X, "marker@+1")[0] == 1 and column(X, "page_marker_share")[0] == np.float32(5 / 7)
