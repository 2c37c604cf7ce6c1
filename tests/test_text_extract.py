"""Plain-text extraction end to end: the shipped text model, the API, the CLI, real data."""

from __future__ import annotations

import json
from itertools import islice

import pytest
from click.testing import CliRunner
from text_pages import ARTICLE, BOILERPLATE, HEADLINE, news_page_lines, news_page_one_line, tiny_text_extractor

import boilerplate
import boilerplate.text
from boilerplate.cli import main
from boilerplate.errors import InputError
from boilerplate.metrics import shingle_prf
from boilerplate.text import Segment, extract_text, predict_text
from boilerplate.text.extractor import segments_text
from boilerplate.text.segment import Cut

#: The chrome around the article that the shipped model drops from the page the tests
#: write: skip link, menus, account links, newsletter box, cookie notice, copyright footer.
DROPPED = ("Skip to main content", "Home News Sport", "Log In", "My Account", "Sign Out", "Sign up for our morning",
           "Subscribe", "We use cookies", "Accept all", "Manage preferences", "All rights reserved", "Terms of Use",
           "Privacy Policy", "Contact Us")
#: Boilerplate set between the article's sentences: ad marker, photo credit, video
#: playlist with its clip titles and durations, "Related:"/"Opinion:" teasers.
INLINE = ("Ad Feedback", "Getty Images", "Now playing", "drone footage", "Storm warnings issued",
          "Why our towns are not ready", "Storm damage in pictures", "How to protect your home")


@pytest.mark.parametrize("page", [news_page_one_line, news_page_lines])
def test_shipped_model_cleans_a_flattened_news_page(page):
    text = extract_text(page())
    for sentence in ARTICLE:
        assert sentence in text, sentence
    for phrase in DROPPED:
        assert phrase not in text, phrase
    gold = "\n".join((HEADLINE,) + ARTICLE)
    assert shingle_prf(text, gold).f1 > 0.8 > shingle_prf(page(), gold).f1


@pytest.mark.parametrize("page", [news_page_one_line, news_page_lines])
def test_shipped_model_drops_boilerplate_inside_the_article(page):
    """Every sentence of the article is kept, whole, and none of the short boilerplate set
    between its sentences is: no ad marker, credit, playlist entry or teaser."""
    text = extract_text(page())
    assert [sentence for sentence in ARTICLE if sentence not in text] == []
    assert [phrase for phrase in INLINE if phrase in text] == []


def test_predict_text_gives_segments_with_probabilities():
    segments = predict_text(news_page_one_line())
    assert segments and all(isinstance(s, Segment) for s in segments)
    threshold = boilerplate.text.default_text_extractor().threshold
    assert all(0.0 <= s.proba <= 1.0 and s.label == (s.proba >= threshold) for s in segments)
    by_text = {s.text: s for s in segments}
    assert by_text[ARTICLE[1]].label and not by_text["We use cookies to improve your experience."].label


def test_threshold_zero_keeps_every_segment_and_one_keeps_none():
    page = news_page_one_line()
    assert extract_text(page, threshold=0.0).split() == page.split()
    assert extract_text(page, threshold=1.0 + 1e-9) == ""


def test_empty_and_wrong_inputs():
    assert extract_text("") == "" and predict_text("   \n ") == []
    with pytest.raises(InputError, match="str"):
        extract_text(b"bytes are not text")
    with pytest.raises(InputError):
        predict_text(None)


def test_the_package_exports_the_text_api():
    assert boilerplate.extract_text is extract_text and boilerplate.predict_text is predict_text
    assert {"extract_text", "predict_text", "Segment", "load_text_extractor"} <= set(boilerplate.__all__)


def test_kept_segments_are_joined_by_line_and_gap():
    def seg(i, line, label):
        return Segment(index=i, text=f"s{i}", start=0, end=0, line=line, cut=Cut.LINE, proba=0.0, label=label)

    segments = [seg(0, 0, True), seg(1, 0, True), seg(2, 1, True), seg(3, 1, False), seg(4, 1, True)]
    assert segments_text(segments) == "s0 s1\ns2\n\ns4"


def test_a_model_passed_by_object_is_used(tmp_path):
    tiny = tiny_text_extractor()
    assert extract_text(news_page_one_line(), model=tiny) == tiny.extract(news_page_one_line())


def test_cli_extracts_plain_text_from_standard_input():
    result = CliRunner().invoke(main, ["extract", "--text", "-"], input=news_page_one_line().encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert ARTICLE[0] in result.output and "We use cookies" not in result.output


def test_cli_json_lists_segments(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(news_page_lines(), encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--text", str(path), "--json"])
    payload = json.loads(result.output)
    assert {"text", "proba", "label", "cut", "line", "start", "end"} <= set(payload["segments"][0])
    assert payload["text"] == extract_text(news_page_lines())
    assert BOILERPLATE[1] in [s["text"] for s in payload["segments"] if not s["label"]]


@pytest.mark.data
def test_shipped_model_on_real_flattened_pages(data_dir, cache_dir):
    """The shipped text model on the first real test pages of a dataset, flattened to one line."""
    from boilerplate.corpora import load_pages
    from boilerplate.splits import split_of
    from boilerplate.text.evaluate import keep_all, score_systems
    from boilerplate.text.pages import build_pages

    sources = [p for p in load_pages("readability", data_dir=data_dir, cache_dir=cache_dir)
               if split_of("readability", p.page_id) == "test"]
    pages, _ = build_pages(list(islice(sources, 16)))
    results = score_systems({"ours": extract_text, "keep-all": keep_all}, pages, flattenings=("oneline",))
    ours, baseline = results["oneline"]["ours"]["readability"], results["oneline"]["keep-all"]["readability"]
    assert ours.pages == 16
    assert ours.shingle.f1 >= 0.85 and ours.shingle.f1 > baseline.shingle.f1 + 0.03


def test_inline_boilerplate_markers_are_capped_whatever_the_model_says():
    from boilerplate.text.extractor import MARKER_MAX_PROBA
    from boilerplate.text.features import TEXT_FEATURE_NAMES, segment_features
    from boilerplate.text.segment import segment_text

    page = news_page_one_line()
    segments = segment_text(page)
    column = segment_features(segments)[:, TEXT_FEATURE_NAMES.index("marker")]
    marked = {s.text for s, m in zip(segments, column) if m}
    assert {"Ad Feedback", "Photo: James Whitaker/Getty Images", "Now playing 03:13",
            "Related: Storm warnings issued for the coast as rivers rise"} <= marked
    assert not marked & set(ARTICLE)
    predicted = tiny_text_extractor().predict(page)
    assert all(s.proba <= MARKER_MAX_PROBA for s in predicted if s.text in marked)
