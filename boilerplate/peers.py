"""Other open-source extractors, wrapped as ``bytes -> text`` for side-by-side scores.

They are optional (``pip install 'boilerplate[bench]'``); a missing one is reported, not fatal.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .decode import decode


def _trafilatura(comments: bool = False) -> Callable[[bytes], str]:
    import trafilatura

    def run(html: bytes) -> str:
        return trafilatura.extract(decode(html), include_comments=comments, include_tables=True) or ""
    return run


def _justext() -> Callable[[bytes], str]:
    import justext

    stoplist = justext.get_stoplist("English")

    def run(html: bytes) -> str:
        paragraphs = justext.justext(decode(html).encode("utf-8"), stoplist, encoding="utf-8")
        return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)
    return run


def _readability() -> Callable[[bytes], str]:
    import lxml.html
    from readability import Document

    def run(html: bytes) -> str:
        summary = Document(decode(html)).summary(html_partial=True)
        root = lxml.html.fromstring(summary)
        return re.sub(r"\n\s*\n+", "\n\n", root.text_content()).strip()
    return run


PEERS: dict[str, Callable[[], Callable[[bytes], str]]] = {
    "trafilatura": _trafilatura,
    "trafilatura+comments": lambda: _trafilatura(comments=True),  # the peer for the article+comments target
    "justext": _justext,
    "readability-lxml": _readability,
}


def load_peer(name: str) -> Callable[[bytes], str] | None:
    """The named extractor as a function, or ``None`` when its package is not installed."""
    try:
        return PEERS[name]()
    except ImportError:
        return None
