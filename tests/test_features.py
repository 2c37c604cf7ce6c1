"""block_features(): one page's blocks → float32 matrix with named columns."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boilerplate import features
from boilerplate.blocks import Block, split_blocks
from boilerplate.features import FEATURE_NAMES, FEATURE_VERSION, block_features, page_language
from boilerplate.parse import parse
from boilerplate.vocab import lowercase_keywords, text_keywords

PAGE = """<html><head><title>Harbour closed by storm</title></head><body>
<nav><ul><li><a href="/">Home News Sport</a></li></ul></nav>
<p>This is a plain English sentence about the harbour and the boats that are in it.</p>
<div>Home News Sport</div>
<div class="consent-box">This site uses cookies. Read our privacy policy.</div>
<div class="comment-list">This comment text sits in a comment list.</div>
</body></html>"""
LINK_MENU, SENTENCE, PLAIN_MENU, COOKIE, COMMENT = range(5)


def features_of(html: str) -> tuple[list[Block], np.ndarray]:
    document = parse(html)
    blocks = split_blocks(document)
    return blocks, block_features(blocks, document.title)


def col(name: str) -> int:
    return FEATURE_NAMES.index(name)


@pytest.fixture(scope="module")
def page() -> tuple[list[Block], np.ndarray]:
    blocks, matrix = features_of(PAGE)
    assert [b.text for b in blocks] == [
        "Home News Sport",
        "This is a plain English sentence about the harbour and the boats that are in it.",
        "Home News Sport",
        "This site uses cookies. Read our privacy policy.",
        "This comment text sits in a comment list.",
    ]
    return blocks, matrix


# --- shape and names --------------------------------------------------------------------

def test_feature_names_unique_and_match_matrix_width(page) -> None:
    _, matrix = page
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert matrix.shape == (5, len(FEATURE_NAMES))
    assert matrix.dtype == np.float32
    assert np.isfinite(matrix).all()
    assert isinstance(FEATURE_VERSION, int)


def test_empty_block_list_gives_zero_rows() -> None:
    matrix = block_features([])
    assert matrix.shape == (0, len(FEATURE_NAMES))
    assert matrix.dtype == np.float32


def test_features_are_deterministic(page) -> None:
    _, again = features_of(PAGE)
    np.testing.assert_array_equal(page[1], again)


# --- local columns ----------------------------------------------------------------------

def test_link_density(page) -> None:
    _, matrix = page
    assert matrix[LINK_MENU, col("link_density")] == 1.0
    assert matrix[SENTENCE, col("link_density")] == 0.0
    assert matrix[PLAIN_MENU, col("link_density")] == 0.0
    assert matrix[LINK_MENU, col("log_links")] == pytest.approx(np.log1p(1))


def test_stopword_ratio_higher_for_a_sentence_than_a_menu(page) -> None:
    _, matrix = page
    assert matrix[PLAIN_MENU, col("stopword_ratio")] == 0.0
    # the, and, the, that, are, in, it, this, is, a, about: 11 of 16 words are English stop words.
    assert matrix[SENTENCE, col("stopword_ratio")] == pytest.approx(11 / 16)


def test_word_and_char_counts(page) -> None:
    _, matrix = page
    assert matrix[PLAIN_MENU, col("log_words")] == pytest.approx(np.log1p(3))
    assert matrix[PLAIN_MENU, col("log_chars")] == pytest.approx(np.log1p(len("Home News Sport")))
    assert matrix[SENTENCE, col("ends_with_terminal")] == 1.0
    assert matrix[PLAIN_MENU, col("ends_with_terminal")] == 0.0


def test_kw_cookie_counts_phrases(page) -> None:
    _, matrix = page
    assert matrix[COOKIE, col("kw_cookie")] == 2.0  # "cookies", "privacy policy"
    assert matrix[SENTENCE, col("kw_cookie")] == 0.0


@pytest.mark.parametrize(("hits", "expected"), [(4, 4.0), (5, 5.0), (6, 5.0)])
def test_keyword_hits_capped_at_five(hits: int, expected: float) -> None:
    _, matrix = features_of("<p>" + " and ".join(["cookies"] * hits) + "</p>")
    assert matrix[0, col("kw_cookie")] == expected


def test_keyword_hits_land_in_the_right_block() -> None:
    _, matrix = features_of("<p>first block</p><p>second block mentions cookies</p><p>third block</p>")
    assert list(matrix[:, col("kw_cookie")]) == [0.0, 1.0, 0.0]


def test_tag_and_class_columns(page) -> None:
    _, matrix = page
    assert list(matrix[:, col("tag_is_p")]) == [0, 1, 0, 0, 0]
    assert list(matrix[:, col("tag_is_li")]) == [1, 0, 0, 0, 0]
    assert list(matrix[:, col("in_nav")]) == [1, 0, 0, 0, 0]
    assert list(matrix[:, col("class_comment")]) == [0, 0, 0, 0, 1]
    assert list(matrix[:, col("class_popup")]) == [0, 0, 0, 1, 0]


def test_heading_column() -> None:
    _, matrix = features_of("<h2>A second-level heading</h2><p>A paragraph under it.</p>")
    assert list(matrix[:, col("is_heading")]) == [1.0, 0.0]
    assert list(matrix[:, col("tag_is_h2_h3")]) == [1.0, 0.0]


# --- context and position ---------------------------------------------------------------

def test_previous_and_next_block_context(page) -> None:
    _, matrix = page
    words = matrix[:, col("log_words")]
    assert matrix[0, col("log_words@-1")] == -1.0
    np.testing.assert_array_equal(matrix[1:, col("log_words@-1")], words[:-1])
    np.testing.assert_array_equal(matrix[:-1, col("log_words@+1")], words[1:])
    assert matrix[-1, col("log_words@+1")] == -1.0
    assert list(matrix[:2, col("log_words@-2")]) == [-1.0, -1.0]
    np.testing.assert_array_equal(matrix[2:, col("log_words@-2")], words[:-2])


def test_rel_index(page) -> None:
    _, matrix = page
    assert list(matrix[:, col("rel_index")]) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_single_block_page_is_finite() -> None:
    _, matrix = features_of("<p>The only block on the page.</p>")
    assert matrix.shape == (1, len(FEATURE_NAMES))
    assert matrix[0, col("rel_index")] == 0.0
    assert matrix[0, col("text_share")] == 1.0
    assert np.isfinite(matrix).all()


def test_repeated_text_and_title_overlap(page) -> None:
    _, matrix = page
    assert matrix[LINK_MENU, col("log_text_repeats")] == pytest.approx(np.log1p(1))
    assert matrix[SENTENCE, col("log_text_repeats")] == 0.0
    # title "Harbour closed by storm": the sentence contains "harbour" only.
    assert matrix[SENTENCE, col("title_overlap")] == pytest.approx(1 / 4)


# --- language ---------------------------------------------------------------------------

def token_sets(html: str) -> list[set[str]]:
    return [set(re.findall(r"\w+", b.text.lower())) for b in split_blocks(parse(html))]


def test_page_language_german_and_english() -> None:
    german = (
        "<p>Der Hafen ist wegen des Sturms für zwei Tage geschlossen, und die Fähren fahren nicht.</p>"
        "<p>Die Stadt hat noch keine neue Information über das Wetter.</p>"
    )
    english = "<p>The harbour is closed for two days because of the storm, and the ferries do not run.</p>"
    assert page_language(token_sets(german)) == "de"
    assert page_language(token_sets(english)) == "en"


@pytest.mark.parametrize(("words", "expected"), [("the which", None), ("the which because", "en"),
                                                 ("the which because would", "en")])
def test_page_language_needs_three_distinct_stop_words(words: str, expected: str | None) -> None:
    assert page_language([set(words.split())]) == expected


def test_page_language_of_nothing_is_none() -> None:
    assert page_language([]) is None
    assert page_language([set()]) is None


def test_german_stop_words_used_for_a_german_page() -> None:
    _, matrix = features_of("<p>Der Hafen ist geschlossen und die Fähren fahren nicht.</p>")
    # der, ist, und, die, nicht: 5 of 9 words
    assert matrix[0, col("stopword_ratio")] == pytest.approx(5 / 9)


def test_cjk_page() -> None:
    html = (
        "<p>東京の港は嵐のために二日間閉鎖されました。船は運航していません。</p>"
        "<p>市は天気についての新しい情報をまだ発表していません。</p>"
        "<p>这是一个关于港口的中文段落，没有空格。</p>"
    )
    blocks, matrix = features_of(html)
    assert len(blocks) == 3
    assert (matrix[:, col("cjk_ratio")] > 0.5).all()
    assert np.isfinite(matrix).all()
    assert matrix.dtype == np.float32


_PHRASES = ["Share", "TWEET", "pin it", "Privacy Policy", "©", "a©b", "Sign-Up", "sign up", "Read More", "reply",
            "commentary", "Ad Feedback", "«Home»", "résumé", "Log In", "upvote", "_share", "ﬁle", "İstanbul"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PHRASES), st.text(max_size=12)), max_size=30), st.sampled_from([" ", "", "\n", "-"]))
def test_fast_keyword_pattern_matches_the_reference_pattern(words: list[str], glue: str) -> None:
    """The lower-cased fast pattern finds what the case-insensitive reference pattern finds."""
    text = glue.join(words)
    _, reference = text_keywords()
    if len(text.lower()) != len(text):
        return  # a few characters change length when lower-cased; positions then differ by design
    expected = [(m.start(), int(m.lastgroup[1:])) for m in reference.finditer(text)]
    found = [(m.start(), int(m.lastgroup[1:])) for m in lowercase_keywords().finditer(text.lower())]
    assert found == expected


_COUNTED = st.lists(st.text(alphabet=st.sampled_from(list("aZ9 .!?,é日本Ж|»:/-\n\"'”") + ["\ud800", "😀", "Ⅻ", "٣"]),
                            min_size=1, max_size=40), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_COUNTED)
def test_vectorised_counts_equal_a_regex_call_per_text(texts: list[str]) -> None:
    """The table and joined-text counts give what one findall per text gives."""
    texts = [t.replace("\n", " ") for t in texts]  # block texts hold no newline
    expected = np.array([features.count_matches(pattern, texts) for pattern in features.CHAR_CLASSES])
    assert np.array_equal(features.count_classes(features.CHAR_CLASSES, texts), expected)
    original = features._class_counts
    try:  # the numpy fallback too
        features._class_counts = None
        assert np.array_equal(features.count_classes(features.CHAR_CLASSES, texts), expected)
    finally:
        features._class_counts = original
    assert np.array_equal(features._dates(texts, expected[1]), features.count_matches(features._DATE, texts))
    for pattern in (features._SENTENCE_END, features._TITLE_WORD, features._DATE):
        assert np.array_equal(features.count_matches_joined(pattern, texts),
                              features.count_matches(pattern, texts)), pattern
