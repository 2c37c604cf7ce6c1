"""Pages the tests write themselves: news-like pages with known gold text.

Every page has a navigation bar, a share bar, an article of several paragraphs,
related links, a cookie notice and a footer; only the article is gold. Seeded, so
the same seed gives the same pages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

WORDS = (
    "the council said river water town people homes week report new plan year families local "
    "government officials residents street bridge school children money repair season storm "
    "engineers insurance weeks months before after during while because although their would "
    "could should about between under over against into through across along near"
).split()
NAV = ["Home", "News", "Sport", "Business", "Opinion", "Culture", "Weather", "Travel"]


@dataclass(frozen=True)
class SyntheticPage:
    dataset: str
    page_id: str
    html: bytes
    article: str
    comments: str
    group: str
    page_type: str | None = None
    url: str | None = None


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make_page(seed: int) -> SyntheticPage:
    rng = random.Random(seed)
    title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(3, 7))]
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in rng.sample(NAV, 6))
    related = "".join(f'<li><a href="/r{i}">{_sentence(rng)[:40]}</a></li>' for i in range(4))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = f"""<html><head><title>{title} | Daily Example</title></head><body>
<div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Privacy policy</a></div>
<header><nav class="menu"><ul>{nav}</ul></nav></header>
<main><article class="story"><h1>{title}</h1>
<div class="share">Share <a href="#">Facebook</a> <a href="#">Twitter</a></div>
<div class="article-body">{body}</div></article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside></main>
<footer class="site-footer"><a href="/about">About us</a> <a href="/terms">Terms of use</a> &copy; 2026 Daily Example. All rights reserved.</footer>
</body></html>"""
    gold = "\n\n".join([title] + paragraphs)
    return SyntheticPage("synthetic", f"{seed:04d}", html.encode("utf-8"), gold, "", f"site{seed % 7}")
