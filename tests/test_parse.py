"""parse(): text → cleaned lxml tree and title; plus properties of the parse → blocks → features chain."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from boilerplate.blocks import split_blocks
from boilerplate.decode import decode
from boilerplate.errors import BoilerplateError, InputError
from boilerplate.features import FEATURE_NAMES, block_features
from boilerplate.parse import DROPPED_TAGS, Document, parse


def texts(html: str) -> list[str]:
    return [b.text for b in split_blocks(parse(html))]


# --- dropped elements and title ---------------------------------------------------------

@pytest.mark.parametrize(
    "invisible",
    [
        "<script>var INVISIBLE = 1;</script>",
        "<style>.INVISIBLE { color: red }</style>",
        "<noscript>INVISIBLE noscript text</noscript>",
        "<template><p>INVISIBLE template text</p></template>",
        "<svg><text>INVISIBLE svg text</text></svg>",
        "<!-- INVISIBLE comment text -->",
        "<iframe>INVISIBLE iframe text</iframe>",
        "<textarea>INVISIBLE textarea text</textarea>",
        "<select><option>INVISIBLE option text</option></select>",
    ],
)
def test_invisible_content_dropped_and_tail_kept(invisible: str) -> None:
    html = f"<html><body><p>visible before {invisible} visible tail</p></body></html>"
    document = parse(html)
    assert texts(html) == ["visible before visible tail"]
    assert "INVISIBLE" not in "".join(document.root.itertext())


def test_no_dropped_tag_survives() -> None:
    html = "<html><head><title>t</title></head><body>" + "".join(
        f"<{tag}>inside {tag}</{tag}>" for tag in DROPPED_TAGS if tag != "head"
    ) + "<p>the only visible paragraph</p></body></html>"
    document = parse(html)
    tags = {element.tag for element in document.root.iter() if isinstance(element.tag, str)}
    assert tags.isdisjoint(DROPPED_TAGS)
    assert texts(html) == ["the only visible paragraph"]


def test_comments_and_processing_instructions_removed() -> None:
    document = parse("<body><!-- a comment --><?php echo 1 ?><p>paragraph after a comment</p></body>")
    assert not any(isinstance(e, (etree._Comment, etree._ProcessingInstruction)) for e in document.root.iter())
    assert texts("<body><!-- a comment --><p>paragraph after a comment</p></body>") == ["paragraph after a comment"]


def test_title_extracted_with_whitespace_collapsed() -> None:
    document = parse("<html><head><title>\n  The   page\ttitle \n</title></head><body><p>body text</p></body></html>")
    assert document.title == "The page title"
    assert texts("<html><head><title>title text</title></head><body><p>body text</p></body></html>") == ["body text"]


def test_missing_title_is_empty_string() -> None:
    assert parse("<p>a page without a title</p>").title == ""


def test_document_is_frozen() -> None:
    document = parse("<p>x</p>")
    with pytest.raises(AttributeError):
        document.title = "changed"  # type: ignore[misc]


# --- empty, garbage and wrong input -----------------------------------------------------

@pytest.mark.parametrize("empty", ["", " ", "   \n\t\r  "])
def test_empty_or_whitespace_gives_empty_html_root(empty: str) -> None:
    document = parse(empty)
    assert isinstance(document, Document)
    assert document.root.tag == "html"
    assert len(document.root) == 0
    assert document.title == ""
    assert split_blocks(document) == []


def test_binary_garbage_parses_without_crashing() -> None:
    document = parse(decode(bytes(range(256)) * 4))
    assert document.root.tag == "html"
    blocks = split_blocks(document)
    assert all(b.text == b.text.strip() and b.text for b in blocks)


@pytest.mark.parametrize("garbage", ["<<<>>>&&&;;", "</p></div></span>", "<", "&", "<!--", "<![CDATA[", "<?"])
def test_markup_fragments_do_not_crash(garbage: str) -> None:
    document = parse(garbage)
    assert document.root.tag == "html"
    split_blocks(document)


@pytest.mark.parametrize("bad", [b"<p>bytes</p>", None, 3])
def test_parse_rejects_non_str(bad) -> None:
    with pytest.raises(InputError):
        parse(bad)  # type: ignore[arg-type]


# --- broken markup ----------------------------------------------------------------------

def test_unclosed_and_truncated_markup() -> None:
    html = "<html><body><div><p>unclosed paragraph<div>truncated <b>bold text"
    assert texts(html) == ["unclosed paragraph", "truncated bold text"]


def test_stray_closing_tags_ignored() -> None:
    assert texts("</p></div>text after stray closers</span><p>a paragraph</p>") == [
        "text after stray closers", "a paragraph",
    ]


def test_truncated_inside_a_tag() -> None:
    assert texts('<p>complete paragraph</p><p class="trunc') == ["complete paragraph"]


# --- deep nesting -----------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["div", "span"])
def test_100k_deep_nesting_is_fast_and_no_recursion_error(tag: str) -> None:
    n = 100_000
    html = f"<{tag}>" * n + "deep text" + f"</{tag}>" * n
    start = time.perf_counter()
    document = parse(html)
    blocks = split_blocks(document)
    block_features(blocks, document.title)
    assert time.perf_counter() - start < 5.0
    assert all(b.text for b in blocks)


@pytest.mark.parametrize(
    "depth",
    [
        253,
        254,
        255,
    ],
)
def test_content_after_deep_nesting_survives(depth: int) -> None:
    html = "<p>paragraph before</p>" + "<div>" * depth + "deep text" + "</div>" * depth + "<p>paragraph after</p>"
    assert texts(html) == ["paragraph before", "deep text", "paragraph after"]


# --- properties of parse → blocks → features --------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check_chain(page: object) -> None:
    """decode → parse → split_blocks → block_features only raise BoilerplateError, with sane output."""
    try:
        document = parse(decode(page))
        blocks = split_blocks(document)
        matrix = block_features(blocks, document.title)
    except BoilerplateError:
        return
    for i, block in enumerate(blocks):
        assert block.index == i
        assert block.text
        assert block.text.strip() == block.text
        assert 0 <= block.link_chars <= len(block.text)
    assert matrix.dtype == np.float32
    assert matrix.shape == (len(blocks), len(FEATURE_NAMES))
    assert np.isfinite(matrix).all()


@PROPERTY_SETTINGS
@given(st.text())
def test_property_arbitrary_text(text: str) -> None:
    check_chain(text)


@PROPERTY_SETTINGS
@given(st.binary())
def test_property_arbitrary_bytes(data: bytes) -> None:
    check_chain(data)


TAGS = ("div", "p", "a", "span", "li", "ul", "br", "h1", "script", "table", "td")
WORDS = st.lists(
    st.sampled_from(["Home", "news", "the", "cookie", "café", "日本語", ".", ",", "!", " ", "\n", "\t", "\xa0", "<", "&amp;", "\"", "x" * 90]),
    max_size=8,
).map("".join)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def render(args: tuple[str, str, list[str], str, bool]) -> str:
        tag, attrs, inner, tail, close = args
        if tag == "br":
            return f"<br>{tail}"
        return f"<{tag}{attrs}>{''.join(inner)}" + (f"</{tag}>" if close else "") + tail

    attrs = st.sampled_from(["", ' class="comment-list"', ' class="nav"', ' hidden', ' style="display:none"', ' id="ad"'])
    return st.tuples(st.sampled_from(TAGS), attrs, st.lists(children, max_size=4), WORDS, st.booleans()).map(render)


HTML = st.recursive(WORDS, _element, max_leaves=30)


@PROPERTY_SETTINGS
@given(st.lists(HTML, max_size=5).map("".join))
def test_property_random_nested_html(html: str) -> None:
    check_chain(html)
    check_chain(html.encode("utf-8"))
