"""Plain-text pages the tests write themselves: a news page flattened to one line.

The page has what a crawler's text dump of a news site carries inline: a skip link and
navigation menu, account links, a headline and byline, the article, an ad marker, a
photo caption with its credit, a video playlist with durations, "Related:" and
"Opinion:" teasers, a newsletter box, a cookie notice and a copyright footer.
``ARTICLE`` is what must be kept, ``BOILERPLATE`` what must be dropped.
"""

from __future__ import annotations

from functools import lru_cache

HEADLINE = "Flood repairs begin as council approves river bridge plan"

ARTICLE = (
    "Three weeks after the river burst its banks, the town council has approved a plan to rebuild the old "
    "stone bridge and repair the flood walls along the east bank.",
    "The council said on Tuesday that the first crews would arrive before the end of the month, and that the "
    "work should be finished before the autumn storms.",
    "Residents whose homes were damaged in the flood have been told they can apply for grants of up to five "
    "thousand pounds to cover repairs that their insurance does not pay for.",
    "Mary Collins, who has lived beside the river for forty years, said the water had reached the top of her "
    "kitchen door and that she was still sleeping at her daughter's house.",
    "\"We have been waiting for someone to tell us what happens next, and at last we have an answer,\" she said.",
    "Engineers who inspected the bridge last week found that two of its arches had been undermined by the "
    "current, and the council closed it to traffic as a precaution.",
    "The repairs are expected to cost about four million pounds, most of which will come from a government fund "
    "for towns hit by severe weather.",
    "Local businesses on the high street say the closure has cut the number of shoppers by half, and several "
    "have asked the council for help with their rent until the bridge reopens.",
)

BOILERPLATE = (
    "Skip to main content",
    "Home News Sport Business Opinion Culture Weather Travel Video Audio",
    "Search Log In My Account Settings Sign Out",
    "Ad Feedback",
    "The old stone bridge after the flood. Photo: James Whitaker/Getty Images",
    "Now playing 03:13 Watch: drone footage shows the flooded valley 02:45 Storm damage in pictures 01:58 "
    "How to protect your home from floods 04:20",
    "Related: Storm warnings issued for the coast as rivers rise",
    "Opinion: Why our towns are not ready for the next flood",
    "Sign up for our morning newsletter Get the news in your inbox every day Subscribe",
    "We use cookies to improve your experience. Accept all Manage preferences",
    "© 2026 Daily Example Media. All rights reserved. Terms of Use Privacy Policy Contact Us",
)


def _parts() -> list[str]:
    return [
        BOILERPLATE[0], BOILERPLATE[1], BOILERPLATE[2], HEADLINE,
        "By Jane Smith, Daily Example Updated 10:42 AM GMT, Tue March 3, 2026",
        ARTICLE[0], ARTICLE[1], BOILERPLATE[3], BOILERPLATE[4], ARTICLE[2], ARTICLE[3], ARTICLE[4],
        BOILERPLATE[5], ARTICLE[5], BOILERPLATE[6], ARTICLE[6], ARTICLE[7],
        BOILERPLATE[7], BOILERPLATE[8], BOILERPLATE[9], BOILERPLATE[10],
    ]


def news_page_one_line() -> str:
    """The whole page as one line, boilerplate inline where a text dump puts it."""
    return " ".join(_parts())


def news_page_lines() -> str:
    """The same page with one line per block."""
    return "\n".join(_parts())


@lru_cache(maxsize=1)
def tiny_text_extractor():
    """A small text model trained in seconds on HTML pages the tests write (``synthetic.py``),
    rendered to text both ways; shared by the text test modules."""
    from synthetic import make_page
    from threadpoolctl import threadpool_limits

    from boilerplate.text.pages import build_pages
    from boilerplate.text.train import build_rows, fit_text_extractor

    pages, skipped = build_pages([make_page(seed) for seed in range(24)])
    assert not skipped
    with threadpool_limits(1):
        extractor, _ = fit_text_extractor(build_rows(pages, both=True),
                                          params={"max_iter": 15, "min_samples_leaf": 5})
    return extractor
