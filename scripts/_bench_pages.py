"""Pages for ``bench_speed.py``: the datasets' first test pages, and large pages made here.

The large pages are generated deterministically (a fixed seed per page): the same bytes on
every run and machine, so their timings compare across runs.

- ``article-1mb`` / ``article-10mb``: a news page (head with scripts and styles, cookie
  banner, navigation, breadcrumb) whose article is grown to a long read with sub-heads,
  figures and ad slots, followed by a long comment thread, teaser lists and a footer.
- ``paragraphs-10mb``: the same chrome around a feed of very many short paragraphs (more
  blocks than the extractor keeps).
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

WORDS = (
    "the council river town water homes street residents said week officials flood report "
    "engineers repair insurance families government fund grants households applications "
    "payments summer autumn valley bridge school market shop bakery road station train "
    "minister budget plan election local national people years months morning evening "
    "record rain storm damage season farmers crops prices energy heat homes village city "
    "hospital doctors patients nurses study results data research university students "
    "court judge case police officers investigation company workers jobs factory business "
    "and of to in for on with after before about over under between while because since"
).split()

NAMES = ("Helen Marsh", "J. Okafor", "Maria Lindqvist", "Tom Reyes", "Aiko Tanaka", "Sam Patel",
         "Lena Fischer", "Omar Haddad", "Grace Kim", "Piet de Vries", "Nora Walsh", "Luis Ortega")

SECTIONS = ("Home", "News", "Local", "World", "Business", "Sport", "Opinion", "Culture", "Weather", "Travel")


@dataclass(frozen=True, slots=True)
class LargePage:
    """A generated page: its name, target size in bytes and the builder of its body."""

    name: str
    size: int
    body: Callable[[random.Random, int], Iterator[str]]


def test_pages(datasets: tuple[str, ...], per_dataset: int, data_dir: str | None) -> list[tuple[str, str, bytes]]:
    """``(dataset, page_id, html)`` of the first ``per_dataset`` test-split pages of each dataset."""
    from boilerplate.corpora import load_pages
    from boilerplate.splits import split_of

    pages = []
    for name in datasets:
        test = (p for p in load_pages(name, data_dir=data_dir) if split_of(name, p.page_id) == "test")
        pages += [(name, p.page_id, p.html) for p in islice(test, per_dataset)]
    return pages


def write_pages(pages: list[bytes], folder: Path, prefix: str) -> list[Path]:
    """Write each page to ``folder/prefix-NNNN.html``; the paths in order."""
    paths = []
    for i, page in enumerate(pages):
        path = folder / f"{prefix}-{i:04d}.html"
        path.write_bytes(page)
        paths.append(path)
    return paths


def sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 6)) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def link_list(rng: random.Random, css: str, n: int) -> str:
    items = "".join(f'<li><a href="/news/{rng.randint(1, 99999)}">{html.escape(sentence(rng, 4, 9))}</a></li>'
                    for _ in range(n))
    return f'<ul class="{css}">{items}</ul>'


def head(title: str) -> str:
    script = "window.dataLayer = window.dataLayer || [];" + "".join(
        f'dataLayer.push({{"slot": "ad-{i}", "sizes": [[300, 250], [728, 90]]}});' for i in range(40))
    style = "".join(f".c{i} {{ margin: {i % 7}px; padding: {i % 5}px; color: #{i * 37 % 4096:03x}; }}" for i in range(120))
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width">\n<script>{script}</script>\n<style>{style}</style>\n</head>\n')


def chrome_top(rng: random.Random) -> str:
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in SECTIONS)
    return ('<body>\n<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. '
            'By continuing to browse you accept our cookie policy. <a href="/privacy">Manage preferences</a> '
            '<button>Accept all</button></div>\n'
            f'<header class="site-header"><a class="logo" href="/">The Valley Courier</a>'
            f'<nav class="main-nav"><ul>{nav}</ul></nav>'
            '<form class="search"><input type="text" name="q" placeholder="Search"><button>Search</button></form>'
            '<a class="login" href="/login">Log in</a> <a class="subscribe" href="/subscribe">Subscribe</a></header>\n'
            f'<div class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/news">News</a> &rsaquo; '
            f'<a href="/news/local">Local</a></div>\n')


def chrome_bottom(rng: random.Random) -> str:
    columns = "".join(f'<div class="footer-col"><h4>{s}</h4>{link_list(rng, "footer-links", 6)}</div>' for s in SECTIONS[:4])
    return (f'<footer class="site-footer">{columns}<p class="copyright">&copy; 2026 The Valley Courier. '
            'All rights reserved. <a href="/terms">Terms</a> <a href="/privacy">Privacy</a></p></footer>\n'
            '<script>(function(){var s=document.createElement("script");s.src="/analytics.js";'
            'document.body.appendChild(s);})();</script>\n</body>\n</html>\n')


def article_units(rng: random.Random, budget: int) -> Iterator[str]:
    """A long article: paragraphs with a sub-head, figure or ad slot every few of them."""
    yield (f'<main>\n<article class="story">\n<h1 class="headline">{sentence(rng, 6, 10)}</h1>\n'
           f'<div class="byline">By {rng.choice(NAMES)} &middot; 14 May 2026</div>\n'
           '<div class="share-bar"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a></div>\n'
           '<div class="article-body">\n')
    used, i = 0, 0
    while used < budget:
        i += 1
        unit = f"<p>{paragraph(rng)}</p>\n"
        if i % 7 == 0:
            unit += f"<h2>{sentence(rng, 3, 7)}</h2>\n"
        if i % 11 == 0:
            unit += (f'<figure><img src="/img/{i}.jpg" alt=""><figcaption>{sentence(rng, 6, 12)} '
                     f'Photo: {rng.choice(NAMES)}</figcaption></figure>\n')
        if i % 9 == 0:
            unit += '<div class="ad-slot advertisement">Advertisement</div>\n'
        if i % 13 == 0:
            unit += f'<div class="read-more">Read more: <a href="/news/{i}">{sentence(rng, 5, 9)}</a></div>\n'
        used += len(unit)
        yield unit
    yield ('</div>\n<div class="tags">Tags: <a href="/t/floods">Floods</a>, <a href="/t/valley">Valley</a></div>\n'
           '</article>\n')


def comment_units(rng: random.Random, budget: int) -> Iterator[str]:
    """A comment thread: author, time, one or two short paragraphs, reply and report links."""
    yield '<section class="comments"><h3>Comments</h3>\n'
    used, i = 0, 0
    while used < budget:
        i += 1
        text = "".join(f"<p>{paragraph(rng, (1, 3))}</p>" for _ in range(rng.randint(1, 2)))
        unit = (f'<div class="comment" id="c{i}"><div class="comment-meta"><a class="author" href="/u/{i}">'
                f'{rng.choice(NAMES)}</a> <time>{rng.randint(1, 59)} minutes ago</time></div>{text}'
                '<div class="comment-actions"><a href="#">Reply</a> <a href="#">Report</a> '
                f'<span class="likes">{rng.randint(0, 300)} likes</span></div></div>\n')
        used += len(unit)
        yield unit
    yield "</section>\n</main>\n"


def teaser_units(rng: random.Random, budget: int) -> Iterator[str]:
    """Sidebar and "more stories" boxes: headline lists with short teasers."""
    used = 0
    while used < budget:
        teasers = "".join(f'<div class="teaser"><a href="/news/{rng.randint(1, 99999)}"><h4>{sentence(rng, 5, 9)}</h4></a>'
                          f'<p class="standfirst">{sentence(rng, 10, 18)}</p></div>' for _ in range(6))
        unit = (f'<aside class="related-stories"><h3>More from {rng.choice(SECTIONS)}</h3>'
                f'{link_list(rng, "related", 8)}{teasers}</aside>\n')
        used += len(unit)
        yield unit


def article_body(rng: random.Random, size: int) -> Iterator[str]:
    """A tenth of the bytes for the article, half for comments, the rest for teasers."""
    yield from article_units(rng, size // 10)
    yield from comment_units(rng, size // 2)
    yield from teaser_units(rng, size - size // 10 - size // 2)


def paragraphs_body(rng: random.Random, size: int) -> Iterator[str]:
    """A feed of short paragraphs, three to ten words each."""
    yield '<main><div class="feed">\n'
    used = 0
    while used < size:
        unit = f"<p>{sentence(rng, 3, 10)}</p>\n"
        used += len(unit)
        yield unit
    yield "</div></main>\n"


LARGE_PAGES = (
    LargePage("article-1mb", 1_000_000, article_body),
    LargePage("article-10mb", 10_000_000, article_body),
    LargePage("paragraphs-10mb", 10_000_000, paragraphs_body),
)

#: The page every large-page child extracts first, to load the model before the timing.
WARMUP_PAGE = LargePage("warmup", 50_000, article_body)


def build_page(page: LargePage) -> bytes:
    """The page's bytes: the same on every call (the seed is the page's name)."""
    rng = random.Random(page.name)
    parts = [head(sentence(rng, 6, 10) + " | The Valley Courier"), chrome_top(rng)]
    parts += page.body(rng, page.size)
    parts.append(chrome_bottom(rng))
    return "".join(parts).encode("utf-8")


def write_large_pages(folder: Path) -> dict[str, Path]:
    """Write the warm-up page and the large pages to ``folder``; name → path."""
    paths = {}
    for page in (WARMUP_PAGE, *LARGE_PAGES):
        path = folder / f"{page.name}.html"
        path.write_bytes(build_page(page))
        paths[page.name] = path
    return paths
