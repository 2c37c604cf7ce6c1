"""The page-level glue: page → blocks → probabilities → text, with a model trained in the test."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import pytest
from bs4 import BeautifulSoup
from synthetic import make_page

import boilerplate
from boilerplate.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def test_extracts_the_article_of_an_unseen_page(tiny_extractor):
    page = make_page(1000)
    text = tiny_extractor.extract(page.html)
    for paragraph in page.article.split("\n\n")[1:]:
        assert paragraph in text
    for chrome in ("We use cookies", "Related stories", "All rights reserved", "About us"):
        assert chrome not in text


def test_predict_returns_blocks_with_proba_and_label(tiny_extractor):
    extractor = dataclasses.replace(tiny_extractor, keep_scattered=True)  # the page repeats no text either
    blocks = extractor.predict(make_page(1001).html)
    assert blocks and all(0.0 <= b.proba <= 1.0 for b in blocks)
    assert all(b.label == (b.proba >= extractor.threshold) for b in blocks)
    assert [b.index for b in blocks] == list(range(len(blocks)))


@pytest.mark.parametrize("threshold, expect_all", [(0.0, True), (1.01, False)])
def test_threshold_override(tiny_extractor, threshold, expect_all):
    extractor = dataclasses.replace(tiny_extractor, keep_scattered=True)  # only the threshold decides here
    blocks = extractor.predict(make_page(1002).html, threshold=threshold)
    assert all(b.label is expect_all for b in blocks)


def test_str_bytes_and_soup_give_the_same_text(tiny_extractor):
    html = make_page(1003).html
    as_bytes = tiny_extractor.extract(html)
    assert tiny_extractor.extract(html.decode("utf-8")) == as_bytes
    assert tiny_extractor.extract(BeautifulSoup(html, "html.parser")) == as_bytes


@pytest.mark.parametrize("page", ["", b"", "   ", b"\x00\x01\x02", "<html></html>", "<!-- only a comment -->",
                                  bytes(range(256)) * 40, "<div><p>unclosed <b>markup"])
def test_bad_or_empty_input_gives_a_safe_result(tiny_extractor, page):
    assert isinstance(tiny_extractor.extract(page), str)
    assert isinstance(tiny_extractor.predict(page), list)


def test_empty_page_gives_empty_text_not_none(tiny_extractor):
    assert tiny_extractor.extract("") == ""
    assert tiny_extractor.predict("") == []


def test_wrong_type_is_a_clear_error(tiny_extractor):
    with pytest.raises(InputError, match="int"):
        tiny_extractor.extract(42)


def test_public_functions_accept_a_model(tiny_extractor):
    page = make_page(1004).html
    assert boilerplate.extract(page, model=tiny_extractor) == tiny_extractor.extract(page)
    labels = [b.label for b in boilerplate.predict(page, model=tiny_extractor)]
    assert labels == [b.label for b in tiny_extractor.predict(page)]


def test_model_is_called_once_per_page(tiny_extractor, monkeypatch):
    calls = []
    original = type(tiny_extractor.classifier).content_proba

    def counting(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(type(tiny_extractor.classifier), "content_proba", counting)
    blocks = tiny_extractor.predict(make_page(1005).html)
    assert calls == [len(blocks)]
    assert np.isfinite([b.proba for b in blocks]).all()


HEADLINE_PAGE = b"""<html><head><title>Storm closes harbour</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<h1>Storm closes harbour</h1>
<p>The harbour was closed on Monday after a storm damaged the outer wall, the port authority said in a statement.</p>
<p>Repairs are expected to take three weeks, and ferries will use the northern quay until the wall is rebuilt.</p>
<footer>Copyright 2026 The Coast Paper. All rights reserved.</footer></body></html>"""


@pytest.mark.parametrize("headline", [True, False])
def test_headline_option_keeps_or_drops_the_first_h1_whatever_the_model_says(headline: bool) -> None:
    from boilerplate.extractor import default_extractor

    extractor = default_extractor()
    text = extractor.extract(HEADLINE_PAGE, headline=headline)
    assert ("Storm closes harbour" in text.split("\n\n")) is headline
    assert "The harbour was closed on Monday" in text
    blocks = extractor.predict(HEADLINE_PAGE, headline=headline)
    assert [b.label for b in blocks if b.tag == "h1"] == [headline]
    as_said = extractor.predict(HEADLINE_PAGE)
    assert [b.label for b in blocks if b.tag != "h1"] == [b.label for b in as_said if b.tag != "h1"]


def test_headline_option_on_the_command_line(tmp_path) -> None:
    from click.testing import CliRunner

    from boilerplate.cli import main

    page = tmp_path / "page.html"
    page.write_bytes(HEADLINE_PAGE)
    kept = CliRunner().invoke(main, ["extract", str(page), "--headline"])
    dropped = CliRunner().invoke(main, ["extract", str(page), "--no-headline"])
    assert kept.exit_code == dropped.exit_code == 0
    assert kept.stdout.startswith("Storm closes harbour\n") and not dropped.stdout.startswith("Storm closes harbour")


LOGIN_WALL = b"""<html><head><title>Sign in</title></head><body><nav><a href="/">Home</a> <a href="/help">Help</a></nav>
<form><label>Email</label><input name=email><label>Password</label><input name=pw type=password>
<button>Log in</button></form><p><a href="/forgot">Forgot your password?</a> <a href="/join">Create an account</a></p>
<footer>Copyright 2026 Example Ltd. All rights reserved. Terms of use. Privacy policy.</footer></body></html>"""


def test_analyze_gives_a_page_confidence_and_type_and_empties_only_when_asked() -> None:
    from boilerplate.extractor import default_extractor
    from boilerplate.page import PAGE_TYPES

    extractor = default_extractor()
    example = (Path(__file__).parents[1] / "datasets" / "examples" / "article.html").read_bytes()
    assert extractor.analyze(example).page_type == "article"
    article, wall = extractor.analyze(HEADLINE_PAGE), extractor.analyze(LOGIN_WALL)
    assert article.has_content and article.text == extractor.extract(HEADLINE_PAGE)
    assert article.page_type in PAGE_TYPES
    assert wall.confidence < extractor.page_threshold < article.confidence
    assert wall.has_content  # no cut asked for: nothing is emptied
    assert extractor.extract(LOGIN_WALL, min_confidence=extractor.page_threshold) == ""
    assert extractor.extract(HEADLINE_PAGE, min_confidence=extractor.page_threshold) == extractor.extract(HEADLINE_PAGE)
    gated = extractor.predict(LOGIN_WALL, min_confidence=extractor.page_threshold)
    assert gated and not any(b.label for b in gated)


def test_a_damaged_page_model_file_is_refused_by_name(tmp_path) -> None:
    import shutil
    from importlib import resources

    from boilerplate.errors import ModelError
    from boilerplate.extractor import load_extractor

    models = resources.files("boilerplate.models")
    for name in ("default.trees.npz", "default.trees.json", "default.trees.context.npz", "default.trees.context.json"):
        shutil.copy(str(models / name), tmp_path / name)
    assert load_extractor(tmp_path / "default.trees.npz").page_models is None  # none beside it: no page level
    (tmp_path / "default.page.json").write_text('{"format": "boilerplate-page-models", "version": 99}')
    with pytest.raises(ModelError, match="default.page.json"):
        load_extractor(tmp_path / "default.trees.npz")


_REPEATED = "The new bridge opens to traffic on Monday morning after three years of work."


def test_a_paragraph_repeated_in_another_container_is_kept_once(tiny_extractor) -> None:
    """A responsive copy (the same text in a desktop and a mobile container) is one
    paragraph of main text; the same text twice in one container is two."""
    page = (f"<html><body><div class='desktop'><p>{_REPEATED}</p><p>Short.</p></div>"
            f"<div class='mobile'><p>{_REPEATED}</p><p>Short.</p></div>"
            f"<section><p>{_REPEATED}</p></section><section><p>{_REPEATED}</p></section></body></html>")
    extractor = dataclasses.replace(tiny_extractor, keep_scattered=True)
    blocks = extractor.predict(page, threshold=0.0)  # every block content: only the repeat rule drops any
    kept = [(b.path, b.text) for b in blocks if b.label]
    assert [text for _, text in kept].count(_REPEATED) == 1
    assert [text for _, text in kept].count("Short.") == 2  # under REPEAT_MIN_TOKENS: left alone
    assert tiny_extractor.extract(page, threshold=0.0).count(_REPEATED) == 1


def test_repeats_at_the_same_path_are_kept() -> None:
    from boilerplate.blocks import Block
    from boilerplate.extractor import drop_repeats

    def block(index: int, path: str, text: str) -> Block:
        return Block(index, text, "p", path, 3, 0, 0, 0, 0, 0)

    blocks = [block(0, "body>div>p", _REPEATED), block(1, "body>div>p", _REPEATED),
              block(2, "body>aside>p", _REPEATED.upper()), block(3, "body>aside>p", "Other text of five words.")]
    assert drop_repeats(blocks, np.array([True, True, True, True])).tolist() == [True, True, False, True]
    assert drop_repeats(blocks, np.array([False, True, True, False])).tolist() == [False, True, False, False]


def test_a_kept_ad_label_is_dropped_and_nothing_else() -> None:
    from boilerplate.blocks import Block
    from boilerplate.extractor import drop_ad_labels

    texts = ["Advertisement", "ADVERTISEMENT:", "Sponsored", "Paid content", "Advertisement feature: a new bakery",
             "Advertising", "Our advertising policy explains how ads are chosen.", "Ad"]
    blocks = [Block(i, t, "div", "body>article>div", 3, 0, 0, 0, 0, 0) for i, t in enumerate(texts)]
    kept = drop_ad_labels(blocks, np.ones(len(texts), dtype=bool)).tolist()
    assert kept == [False, False, False, False, True, False, True, True]
    assert drop_ad_labels(blocks, np.zeros(len(texts), dtype=bool)).tolist() == [False] * len(texts)


def test_the_bundled_example_keeps_its_story_not_its_ad_slot() -> None:
    text = boilerplate.extract((REPO / "datasets" / "examples" / "article.html").read_bytes())
    assert "Advertisement" in (REPO / "datasets" / "examples" / "article.html").read_text("utf-8")
    assert "Advertisement" not in text.split("\n\n")
    assert text.startswith("River towns rebuild after the spring floods") and "Helen Marsh" in text


def test_keep_repeats_turns_the_rule_off(tiny_extractor) -> None:
    page = f"<div class='a'><p>{_REPEATED}</p></div><div class='b'><p>{_REPEATED}</p></div>"
    keeping = dataclasses.replace(tiny_extractor, keep_repeats=True)
    assert keeping.extract(page, threshold=0.0).count(_REPEATED) == 2
    assert tiny_extractor.extract(page, threshold=0.0).count(_REPEATED) == 1


def _extract_with_and_without(tmp_path, html: str, flag: str) -> tuple[str, str, str]:
    """``extract --threshold 0`` of one page without and with ``flag``, and a batch of it
    with ``flag``: the two texts printed and the batch's JSON Lines."""
    from click.testing import CliRunner

    from boilerplate.cli import main

    page = tmp_path / "page.html"
    page.write_text(html)
    runs = [CliRunner().invoke(main, ["extract", str(page), "--threshold", "0", *flags]) for flags in ((), (flag,))]
    assert all(r.exit_code == 0 for r in runs)
    out = tmp_path / "out.jsonl"
    batch = CliRunner().invoke(main, ["extract", str(page), "--threshold", "0", flag, "-o", str(out), "-q"])
    assert batch.exit_code == 0
    return runs[0].stdout, runs[1].stdout, out.read_text()


def test_keep_repeats_on_the_command_line(tmp_path) -> None:
    """One page and a batch of it: the repeated paragraph once by default, twice with --keep-repeats."""
    html = f"<div class='desktop'><p>{_REPEATED}</p></div><div class='mobile'><p>{_REPEATED}</p></div>"
    default, keeping, batch = _extract_with_and_without(tmp_path, html, "--keep-repeats")
    assert default.count(_REPEATED) == 1 and keeping.count(_REPEATED) == 2
    assert batch.count(_REPEATED) == 2


def _contained(ancestors: list[tuple[int, ...]], words: list[int]):
    from boilerplate.blocks import Block

    return [Block(i, " ".join(["word"] * n), "p", "body>div>p", len(a), 0, 0, 0, 0, 0, a)
            for i, (a, n) in enumerate(zip(ancestors, words))]


def test_kept_blocks_outside_the_main_container_are_dropped_unless_sure() -> None:
    from boilerplate.extractor import SCATTERED_MIN_PROBA, drop_scattered

    # a teaser in the header (1>3), the article (1>2): its headline beside its body (1>2>5),
    # four paragraphs in the body; then a card in the side rail (1>10)
    ancestors = [(1, 3, 4), (1, 2, 12), (1, 2, 5, 6), (1, 2, 5, 7), (1, 2, 5, 8), (1, 2, 5, 9), (1, 10, 11)]
    blocks = _contained(ancestors, [8, 6, 40, 40, 40, 40, 8])
    proba = np.array([0.7, 0.6, 0.9, 0.8, 0.95, 0.9, SCATTERED_MIN_PROBA])
    every = np.ones(7, dtype=bool)
    assert drop_scattered(blocks, every.copy(), proba).tolist() == [False, True, True, True, True, True, True]
    # the card unsure too: it goes; the article's unsure headline and paragraph stay
    proba[6] = 0.6
    assert drop_scattered(blocks, every.copy(), proba).tolist() == [False, True, True, True, True, True, False]
    # blocks already dropped are not brought back
    kept = np.array([True, False, True, False, True, True, True])
    assert drop_scattered(blocks, kept, proba).tolist() == [False, False, True, False, True, True, False]


def test_no_main_container_or_no_numbers_changes_nothing() -> None:
    from boilerplate.blocks import Block
    from boilerplate.extractor import MAIN_CONTAINER_SHARE, drop_scattered

    # two columns of equal weight: no element but the page holds 80% of the kept words
    blocks = _contained([(1, 2, 3), (1, 2, 4), (1, 5, 6), (1, 5, 7)], [30, 30, 30, 30])
    proba = np.full(4, 0.6)
    assert MAIN_CONTAINER_SHARE > 0.5
    assert drop_scattered(blocks, np.ones(4, dtype=bool), proba).all()  # the page's root holds them all
    loose = [Block(i, "some words here", "p", "body>p", 2, 0, 0, 0, 0, 0) for i in range(3)]  # made by hand
    assert drop_scattered(loose, np.ones(3, dtype=bool), np.full(3, 0.6)).all()
    assert drop_scattered(blocks[:1], np.ones(1, dtype=bool), proba[:1]).all()


def test_keep_scattered_turns_the_container_rule_off(tiny_extractor) -> None:
    page = make_page(1003).html
    blocks = tiny_extractor.predict(page, threshold=0.0)
    assert not all(b.label for b in blocks)  # at threshold 0 the chrome outside the article goes
    keeping = dataclasses.replace(tiny_extractor, keep_scattered=True)
    assert all(b.label for b in keeping.predict(page, threshold=0.0))


def test_keep_scattered_on_the_command_line(tmp_path) -> None:
    """One page and a batch of it: at threshold 0 the footer outside the article goes by
    default and stays with --keep-scattered."""
    article = "".join(f"<p>{_REPEATED} Paragraph {i} of the story goes on.</p>" for i in range(6))
    html = (f"<body><main><article><div class='body'>{article}</div></article></main>"
            "<footer><p>Footer note under the page</p></footer></body>")
    default, keeping, batch = _extract_with_and_without(tmp_path, html, "--keep-scattered")
    assert "Footer note" not in default and "Footer note" in keeping
    assert default.count("of the story") == 6
    assert "Footer note" in batch


def test_comment_sections_are_told_by_their_class_and_id_words() -> None:
    from boilerplate.extractor import in_comment_section

    for path in ("body>div#comments>ol.commentlist>li>p", "div.comment-body>p", "section.post-replies>div>p",
                 "div#disqus_thread>p", "div.entry>div#respond>form>p"):
        assert in_comment_section(path), path
    # other words, a word inside a longer one, a tag (not a class) named so, no class or id at all
    for path in ("body>main>article>p", "div.reviews>p", "div.commentary>p", "comment-list>p", "p"):
        assert not in_comment_section(path), path


def _article_with_comments(article_words: int, comment_words: list[int]):
    from boilerplate.blocks import Block

    texts = [("story", "body>article>div.body>p", article_words)]
    texts += [("reader", "body>article>div#comments>ol>li.comment>p", n) for n in comment_words]
    return [Block(i, " ".join([word] * n), "p", path, 4, 0, 0, 0, 0, 0) for i, (word, path, n) in enumerate(texts)]


def test_comments_the_model_is_less_sure_of_than_the_article_are_dropped() -> None:
    from boilerplate.extractor import COMMENT_RULE_MARGIN, COMMENT_RULE_MIN_WORDS, drop_comments

    assert COMMENT_RULE_MIN_WORDS == 25 and 0.1 < COMMENT_RULE_MARGIN < 0.2
    every = np.ones(3, dtype=bool)
    article = _article_with_comments(150, [40, 60])
    # the story at P 0.95, two comments at 0.7: the model is surer of the story, so they go
    assert drop_comments(article, every.copy(), np.array([0.95, 0.7, 0.7])).tolist() == [True, False, False]
    # a forum thread: the model is about as sure of the replies as of the first post, so they stay
    assert drop_comments(article, every.copy(), np.array([0.8, 0.7, 0.7])).tolist() == [True, True, True]
    # the text outside the comments too short to tell
    short = _article_with_comments(COMMENT_RULE_MIN_WORDS - 1, [10])
    assert drop_comments(short, np.ones(2, dtype=bool), np.array([0.99, 0.6])).tolist() == [True, True]
    # only kept blocks count: with the story already dropped, nothing is outside
    assert drop_comments(article, np.array([False, True, True]), np.array([0.95, 0.7, 0.7])).tolist() == [
        False, True, True]
    # the mean is weighted by words: a long unsure comment outweighs a short sure one
    mixed = _article_with_comments(150, [5, 200])
    assert drop_comments(mixed, every.copy(), np.array([0.9, 0.99, 0.7])).tolist() == [True, False, False]
    assert drop_comments(mixed, every.copy(), np.array([0.9, 0.7, 0.99])).tolist() == [True, True, True]


_STORY = "".join(f"<p>{_REPEATED} Paragraph {i} of the story goes on at some length.</p>" for i in range(8))
_COMMENTS = "<div id='comments'><ol class='commentlist'><li><p>Reader says the bridge was fixed.</p></li></ol></div>"


def test_the_comment_rule_follows_the_target_and_keep_comments() -> None:
    """With the shipped model, which is surer of the story than of the reader's comment."""
    from boilerplate.extractor import default_extractor

    shipped = default_extractor()
    page = f"<body><main><article><div class='body'>{_STORY}</div>{_COMMENTS}</article></main></body>"
    assert "Reader says" not in shipped.extract(page, threshold=0.0)
    for extractor in (dataclasses.replace(shipped, keep_comments=True),
                      dataclasses.replace(shipped, target="article+comments")):
        assert "Reader says" in extractor.extract(page, threshold=0.0)


def test_keep_comments_on_the_command_line(tmp_path) -> None:
    """One page and a batch of it: the reader's comment goes by default and stays with --keep-comments."""
    html = f"<body><main><article><div class='body'>{_STORY}</div>{_COMMENTS}</article></main></body>"
    default, keeping, batch = _extract_with_and_without(tmp_path, html, "--keep-comments")
    assert "Reader says" not in default and "Reader says" in keeping
    assert default.count("of the story") == 8
    assert "Reader says" in batch
