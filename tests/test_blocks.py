"""split_blocks(): a parsed tree → text blocks in reading order, with tag and class/id bits."""

from __future__ import annotations

import dataclasses

import pytest

import boilerplate.blocks as blocks_module
from boilerplate.blocks import TAG_BITS, Block, class_mask, split_blocks
from boilerplate.parse import parse
from boilerplate.vocab import class_groups

NEWS_PAGE = """<html><head><title>Storm closes harbour</title></head><body>
<nav><ul>
  <li><a href="/">Home</a></li>
  <li><a href="/news">News</a></li>
  <li><a href="/sport">Sport</a></li>
</ul></nav>
<article>
  <h1>Storm closes the harbour for two days</h1>
  <p>The first paragraph of the article says the harbour will stay closed.</p>
  <p>The second paragraph has <a href="/map">an inline link</a> in the middle of it.</p>
  <div>A line of text before a double break<br><br>a line of text after a double break</div>
</article>
<footer>Copyright footer text</footer>
</body></html>"""


def blocks_of(html: str) -> list[Block]:
    return split_blocks(parse(html))


def texts(html: str) -> list[str]:
    return [b.text for b in blocks_of(html)]


def bit(tag: str) -> int:
    return 1 << TAG_BITS.index(tag)


def group_bit(name: str) -> int:
    names, _ = class_groups()
    return 1 << names.index(name)


# --- the news page ----------------------------------------------------------------------

def test_news_page_block_texts_in_order() -> None:
    assert texts(NEWS_PAGE) == [
        "Home",
        "News",
        "Sport",
        "Storm closes the harbour for two days",
        "The first paragraph of the article says the harbour will stay closed.",
        "The second paragraph has an inline link in the middle of it.",
        "A line of text before a double break",
        "a line of text after a double break",
        "Copyright footer text",
    ]


def test_news_page_tags_and_indices() -> None:
    blocks = blocks_of(NEWS_PAGE)
    assert [b.tag for b in blocks] == ["li", "li", "li", "h1", "p", "p", "div", "div", "footer"]
    assert [b.index for b in blocks] == list(range(len(blocks)))


def test_links_counted_on_the_paragraph_with_an_inline_link() -> None:
    paragraph = blocks_of(NEWS_PAGE)[5]
    assert paragraph.text.startswith("The second paragraph")
    assert paragraph.n_links == 1
    assert paragraph.link_chars == len("an inline link")


def test_plain_paragraph_and_menu_links() -> None:
    blocks = blocks_of(NEWS_PAGE)
    assert (blocks[4].n_links, blocks[4].link_chars) == (0, 0)
    assert [(b.n_links, b.link_chars) for b in blocks[:3]] == [(1, 4), (1, 4), (1, 5)]


def test_tag_mask_bits() -> None:
    blocks = blocks_of(NEWS_PAGE)
    home, heading, plain, footer = blocks[0], blocks[3], blocks[4], blocks[-1]
    assert home.tag_mask == bit("nav") | bit("ul") | bit("li") | bit("a")
    assert not home.tag_mask & bit("footer")
    assert heading.tag_mask & bit("h1") and heading.tag_mask & bit("article")
    assert plain.tag_mask == bit("article")
    assert footer.tag_mask == bit("footer")


def test_paths_and_depth() -> None:
    blocks = blocks_of(NEWS_PAGE)
    assert blocks[0].path == "html>body>nav>ul>li"
    assert blocks[4].path == "html>body>article>p"
    assert blocks[0].depth == 5 and blocks[4].depth == 4


def test_block_element_inside_a_link_sets_a_bit() -> None:
    block = blocks_of('<a href="/story"><div>card text inside a link</div></a>')[0]
    assert block.tag_mask == bit("a")


def test_block_inside_b_and_i_sets_strong_and_em_bits() -> None:
    assert blocks_of("<b><div>block inside b</div></b>")[0].tag_mask == bit("strong")
    assert blocks_of("<i><div>block inside i</div></i>")[0].tag_mask == bit("em")


def test_menu_item_whose_text_is_a_link_has_a_bit() -> None:
    home = blocks_of(NEWS_PAGE)[0]
    assert home.text == "Home"
    assert home.tag_mask & bit("a")


@pytest.mark.parametrize(("html", "tag"), [
    ("<p><b>a paragraph that is all bold</b></p>", "strong"),
    ("<p><strong>a paragraph that is all strong</strong></p>", "strong"),
    ("<p><em>a paragraph that is all emphasis</em></p>", "em"),
    ("<li><a href='/x'>a list item that is all link</a></li>", "a"),
])
def test_block_whose_whole_text_is_inline_formatted_has_the_bit(html: str, tag: str) -> None:
    assert blocks_of(html)[0].tag_mask & bit(tag)


# --- class/id groups --------------------------------------------------------------------

def test_class_comment_list_sets_comment_group_on_own_element() -> None:
    block = blocks_of('<div class="comment-list">text directly in the comment list</div>')[0]
    assert block.class_mask & group_bit("comment")
    assert block.ancestor_class_mask & group_bit("comment")


def test_class_of_an_ancestor_only_sets_ancestor_mask() -> None:
    block = blocks_of('<div class="comment-list"><p>a paragraph inside the comment list</p></div>')[0]
    assert block.class_mask == 0
    assert block.ancestor_class_mask & group_bit("comment")


def test_address_does_not_set_ad_group() -> None:
    block = blocks_of('<p class="address">a street address, not an advert</p>')[0]
    assert not block.class_mask & group_bit("ad")
    assert class_mask("address") & group_bit("ad") == 0


@pytest.mark.parametrize("value", ["ad", "ad-slot", "top ad", "ads"])
def test_short_word_ad_matches_whole_tokens(value: str) -> None:
    assert class_mask(value) & group_bit("ad")


@pytest.mark.parametrize("value", ["address", "shadow", "header-adv", "load"])
def test_short_word_ad_does_not_match_inside_words(value: str) -> None:
    assert not class_mask(value) & group_bit("ad")


def test_id_counts_like_class() -> None:
    block = blocks_of('<div id="site-footer">text in a div whose id says footer</div>')[0]
    assert block.class_mask & group_bit("footer")


def test_class_mask_is_case_insensitive() -> None:
    assert class_mask("Comment-List") & group_bit("comment")


# --- hidden elements --------------------------------------------------------------------

@pytest.mark.parametrize(
    "attrs",
    ['style="display:none"', 'style="DISPLAY : none; color: red"', 'style="visibility:hidden"', "hidden", 'aria-hidden="true"'],
)
def test_hidden_elements_set_hidden_bit(attrs: str) -> None:
    blocks = blocks_of(f"<div {attrs}><p>hidden paragraph</p></div><p>visible paragraph</p>")
    assert [b.text for b in blocks] == ["hidden paragraph", "visible paragraph"]
    assert blocks[0].tag_mask & bit("hidden")
    assert not blocks[1].tag_mask & bit("hidden")


def test_aria_hidden_false_is_not_hidden() -> None:
    assert not blocks_of('<p aria-hidden="false">shown paragraph</p>')[0].tag_mask & bit("hidden")


# --- br runs ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("separator", "expected"),
    [
        ("<br>", ["first line second line"]),
        ("<br><br>", ["first line", "second line"]),
        ("<br> \n <br>", ["first line", "second line"]),
        ("<br><br><br>", ["first line", "second line"]),
        ("<br>and<br>", ["first line and second line"]),
    ],
)
def test_br_runs(separator: str, expected: list[str]) -> None:
    assert texts(f"<div>first line{separator}second line</div>") == expected


# --- block boundaries -------------------------------------------------------------------

def test_inline_elements_do_not_split() -> None:
    assert texts("<p>one <span>two</span> <em>three</em> <a href='#'>four</a></p>") == ["one two three four"]


def test_text_after_a_nested_block_is_its_own_block() -> None:
    assert texts("<div>outer text before<p>inner paragraph</p>outer text after</div>") == [
        "outer text before", "inner paragraph", "outer text after",
    ]


def test_whitespace_collapsed_and_empty_blocks_skipped() -> None:
    assert texts("<div>  spaced \n\t  out \u00a0 text  </div><p>   </p><div></div>") == ["spaced out text"]


# --- caps -------------------------------------------------------------------------------

@pytest.mark.parametrize(("n_paragraphs", "expected"), [(2, 2), (3, 3), (4, 3)])
def test_max_blocks_cap(monkeypatch, n_paragraphs: int, expected: int) -> None:
    monkeypatch.setattr(blocks_module, "MAX_BLOCKS", 3)
    html = "".join(f"<p>paragraph number {i}</p>" for i in range(n_paragraphs))
    blocks = blocks_of(html)
    assert [b.text for b in blocks] == [f"paragraph number {i}" for i in range(expected)]


@pytest.mark.parametrize(("length", "expected"), [(5, "abcde"), (6, "abcdef"), (7, "abcdef")])
def test_max_block_chars_cap(monkeypatch, length: int, expected: str) -> None:
    monkeypatch.setattr(blocks_module, "MAX_BLOCK_CHARS", 6)
    assert texts(f"<p>{'abcdefgh'[:length]}</p>") == [expected]


def test_block_cut_at_max_block_chars_has_no_trailing_space(monkeypatch) -> None:
    monkeypatch.setattr(blocks_module, "MAX_BLOCK_CHARS", 6)
    block = blocks_of("<p>alpha beta</p>")[0]
    assert block.text == block.text.strip()


# --- the dataclass ----------------------------------------------------------------------

def test_block_is_frozen() -> None:
    block = blocks_of("<p>a frozen block</p>")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.text = "changed"  # type: ignore[misc]


def test_prediction_fields_default_to_none() -> None:
    block = blocks_of("<p>an unpredicted block</p>")[0]
    assert block.proba is None and block.label is None


def test_scored_is_replace_of_proba_and_label() -> None:
    from dataclasses import fields, replace

    block = Block(*(f"v{i}" if f.type == "str" else i for i, f in enumerate(fields(Block))))
    assert block.scored(0.25, False) == replace(block, proba=0.25, label=False)


def test_ancestors_number_the_containers_blocks_share() -> None:
    from boilerplate.limits import MAX_ANCESTOR_IDS

    blocks = blocks_of("<div><p>one</p><p>two</p></div><div><p>three <b>bold</b></p></div><p>four</p>")
    one, two, three, four = (b.ancestors for b in blocks)
    assert one[:-1] == two[:-1] and one[-1] != two[-1]  # siblings: same div, own paragraphs
    assert set(one) & set(three) == set(one[:-2])  # only the body and above in common with the other div
    assert four[:-1] == one[:-2] and all(a < b for a, b in zip(one, one[1:]))  # outermost first, in page order
    deep = blocks_of("<div>" * (MAX_ANCESTOR_IDS + 20) + "<p>deep</p>" + "</div>" * (MAX_ANCESTOR_IDS + 20))[0]
    assert len(deep.ancestors) == MAX_ANCESTOR_IDS and deep.depth > MAX_ANCESTOR_IDS
