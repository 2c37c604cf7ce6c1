"""The compiled extensions are built by the install, used, and equal to the Python code
they replace (which stays as the reference and as the fallback where they are not built)."""

from __future__ import annotations

from itertools import islice

import pytest
from hypothesis import given
from test_fuzz import FUZZ, pages

import boilerplate.blocks
import boilerplate.portable
from boilerplate.blocks import _walk_python, split_blocks
from boilerplate.corpora import load_pages
from boilerplate.decode import decode
from boilerplate.parse import parse


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
