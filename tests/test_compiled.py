"""The compiled extensions are built by the install, used, and equal to the Python code
they replace (which stays as the reference and as the fallback where they are not built)."""

from __future__ import annotations

from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz import FUZZ, pages

import boilerplate.blocks
import boilerplate.portable
from boilerplate.blocks import _walk_python, split_blocks
from boilerplate.corpora import load_pages
from boilerplate.decode import decode
from boilerplate.parse import parse
from boilerplate.vocab import class_word_order, lowercase_keyword_index, lowercase_keywords


def test_the_compiled_tree_walk_is_built_and_used():
    from boilerplate._trees import raw_scores

    assert boilerplate.portable._compiled_raw_scores is raw_scores


def test_the_compiled_block_walk_is_built_and_used():
    from boilerplate._walk import walk_blocks

    assert boilerplate.blocks._compiled_walk is walk_blocks


def _same_blocks(html: str | bytes) -> None:
    root = parse(decode(html)).root
    assert split_blocks(parse(decode(html))) == _walk_python(root)


@pytest.mark.parametrize("html", [
    "",
    "<p>one</p>",
    "text before any tag<p>para <a href=x>link</a> tail</p> after<br><br>after two brs<div>div</div>",
    "<div class='nav main' id='top x' hidden><ul><li><a>Home</a></li><li>News</li></ul></div>",
    "<div style='display: none'>gone</div><div aria-hidden=true>also</div><b>bold</b> and <i>it</i>",
    "<table><tr><td>a</td><td>b<br>c</td></tr></table><pre>  code\n  here </pre>",
    "<p>" + "deep <span>" * 3000 + "bottom" + "</span>" * 3000 + "</p>",  # past libxml2's depth limit
    "<html><body>" + "<p>many</p>" * 25_000 + "</body></html>",  # past MAX_BLOCKS
    "<p>Привет <em>мир</em> 日本語 &amp; &nbsp; &#x1F600;</p>",
    "<svg:rect class=x>ns</svg:rect><x-custom class='comment'>custom</x-custom><FONT>caps</FONT>",
])
def test_compiled_walk_equals_the_python_walk(html: str) -> None:
    _same_blocks(html)


@FUZZ
@given(page=pages())
def test_compiled_walk_equals_the_python_walk_on_generated_markup(page: str) -> None:
    _same_blocks(page)


@pytest.mark.parametrize("dataset", ["cleaneval", "dragnet", "l3s-gn1", "readability", "wcxb"])
def test_compiled_walk_equals_the_python_walk_on_real_pages(dataset, data_dir, cache_dir) -> None:
    for page in islice(load_pages(dataset, data_dir=data_dir, cache_dir=cache_dir), 40):
        _same_blocks(page.html)


def test_the_compiled_phrase_matcher_is_built_and_used():
    import boilerplate.features
    from boilerplate._phrases import PhraseTable

    assert boilerplate.features.PhraseTable is PhraseTable
    assert isinstance(boilerplate.features._phrase_table(), PhraseTable)


_PHRASE_PARTS = st.sampled_from(["share", "shares", "pin it", "pin  it", "privacy policy", "©", "a©b", "x©", "sign-up",
                                 "sign up", "read more", "reply", "commentary", "ad feedback", "«home»", "log in",
                                 "_share", "by", "bypass", "now playing", "playing", "été", "日本", "\n", " ", ".", "9"])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_PHRASE_PARTS, st.text(max_size=6)), max_size=25), st.sampled_from(["", " ", "\n", "-", "_"]))
def test_compiled_phrase_matcher_equals_the_keyword_regex(parts: list[str], glue: str) -> None:
    from boilerplate._phrases import PhraseTable

    text = glue.join(parts).lower()
    expected = [(m.start(), int(m.lastgroup[1:])) for m in lowercase_keywords().finditer(text)]
    starts, groups = PhraseTable(lowercase_keyword_index()).find(text)
    assert list(zip(starts, groups)) == expected


def test_the_compiled_class_word_matcher_is_built_and_used():
    import boilerplate.blocks
    from boilerplate._phrases import ClassWordTable

    assert boilerplate.blocks.ClassWordTable is ClassWordTable
    assert isinstance(boilerplate.blocks._class_word_table(), ClassWordTable)


_CLASS_PARTS = st.sampled_from([w for w, _, _ in class_word_order()] + [
    "address", "ads", "ad1", "x", "top", "bar", "menu_", "é", "İ", "日本", "9", "-", "_", " "])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_CLASS_PARTS, st.text(max_size=6)), max_size=12), st.sampled_from(["", " ", "-", "_", "x"]))
def test_compiled_class_word_matcher_equals_the_class_regex(parts: list[str], glue: str) -> None:
    from boilerplate.blocks import _class_bits_regex, _class_word_table

    lowered = glue.join(parts).lower()
    assert _class_word_table().mask(lowered) == _class_bits_regex(lowered)


def test_compiled_class_word_matcher_equals_the_class_regex_on_edge_cases() -> None:
    from boilerplate.blocks import _class_bits_regex, _class_word_table

    names = ["navbar navbar-expand-lg", "top-bar-item", "side-barx", "ad", "ad-slot", "address", "sr-only",
             "visually-hidden-focusable", "post-comments comment-list", "footer__links", "col-right", "MENU Main"]
    for name in names:
        assert _class_word_table().mask(name.lower()) == _class_bits_regex(name.lower()), name


_SCAN_TEXT = st.text(alphabet=st.sampled_from(list("aZ<>b= .!?\"')”’。x\t\n\r\x00\x1f\x0b") +
                     ["\ufffe", "\uffff", "\ud800", "Ё", "ё", "Ø", "ÿ", "А", "я", "_", "9", "日", "\u2028", "\xa0"]),
                     max_size=60)


_TAG_PIECES = st.sampled_from(["</html>", "</HTML \n>", "</Html", "</htm>", "</html\u2028>", "</ html>", "<a b=c d>",
                               "</", "<"])
_PAGE_TEXT = st.lists(st.one_of(_SCAN_TEXT, _TAG_PIECES), max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PAGE_TEXT, min_size=1, max_size=6), st.integers(1, 8))
def test_compiled_scans_equal_their_regexes(texts: list[str], min_chars: int) -> None:
    from boilerplate import _scan, decode, features, parse

    for text in texts:
        assert _scan.has_forbidden(text) == bool(decode._FORBIDDEN.search(text))
        many_attributes, html_end = _scan.scan_tags(text, min_chars)
        if not many_attributes:  # then capping at min_chars attributes changes nothing
            assert parse._capped(text, min_chars) == text
        first_end = parse._HTML_END.search(text)
        assert html_end == (-1 if first_end is None else first_end.start())
    assert _scan.sentence_ends(texts) == [len(features._SENTENCE_END.findall(t)) for t in texts]
    assert _scan.title_words(texts) == [len(features._TITLE_WORD.findall(t)) for t in texts]


_DATE_TEXT = st.text(alphabet=st.sampled_from(list("0123456789-/.: a_") + ["٣", "²", "\n"]), max_size=40)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_DATE_TEXT, st.sampled_from(["2024-01-05", "1999", "20245", "12:30", "1:305", "x2020",
                                                         "3.14.15926", "01/02/2003.", "2020a", "19:99:99"])),
                min_size=1, max_size=6))
def test_compiled_date_scan_equals_the_date_regex(texts: list[str]) -> None:
    from boilerplate import _scan, features

    assert _scan.dates(texts) == [len(features._DATE.findall(t)) for t in texts]


def test_the_compiled_word_stats_are_built_and_used():
    import boilerplate.features
    from boilerplate._words import word_stats

    assert boilerplate.features._compiled_word_stats is word_stats


def _same_word_stats(texts: list[str], title: str) -> None:
    from boilerplate import features

    title_tokens = frozenset(features._WORD.findall(title.lower()))
    compiled, reference = features.word_stats(texts, title_tokens), features._word_stats_python(texts, title_tokens)
    assert compiled.language == reference.language
    for name in ("words", "word_chars", "distinct", "in_title", "stops"):
        assert getattr(compiled, name).tolist() == getattr(reference, name).tolist(), name


_WORDS = st.sampled_from(["the", "The", "of", "and", "der", "die", "und", "le", "la", "et", "и", "в", "не", "日本語",
                          "ǅ", "İstanbul", "straße", "ΣΊΣΥΦΟΣ", "_", "a_b", "x9", "٣", "²", "don't", "news", "news",
                          "Share", "é", "e\u0301"])
_GLUE = st.sampled_from([" ", "  ", ", ", ". ", "-", "\t", "…", "'"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(_WORDS, st.text(max_size=5).filter(lambda t: "\n" not in t)), max_size=30)
                .flatmap(lambda words: _GLUE.map(lambda glue: glue.join(words))), min_size=1, max_size=8),
       st.lists(_WORDS, max_size=6).map(" ".join))
def test_compiled_word_stats_equal_findall_and_sets(texts: list[str], title: str) -> None:
    _same_word_stats(texts, title)


@pytest.mark.parametrize("dataset", ["cleaneval", "dragnet", "l3s-gn1", "readability", "wcxb"])
def test_compiled_word_stats_equal_findall_and_sets_on_real_pages(dataset, data_dir, cache_dir) -> None:
    for page in islice(load_pages(dataset, data_dir=data_dir, cache_dir=cache_dir), 40):
        document = parse(decode(page.html))
        blocks = split_blocks(document)
        if blocks:
            _same_word_stats([b.text for b in blocks], document.title)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_WORDS, max_size=8).flatmap(lambda words: _GLUE.map(lambda glue: glue.join(words))),
                min_size=1, max_size=10))
def test_compiled_word_sequence_keys_match_the_word_tuples(texts: list[str]) -> None:
    from boilerplate import features

    compiled = features.word_sequence_keys(texts)
    words = [tuple(features._WORD.findall(t.lower())) for t in texts]
    assert [n for n, _ in compiled] == [len(w) for w in words]
    for (_, a), wa in zip(compiled, words):
        for (_, b), wb in zip(compiled, words):
            assert (a == b) == (wa == wb)
