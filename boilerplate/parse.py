"""Text of a page → a cleaned lxml tree and its title.

lxml's HTML parser (libxml2) is lenient with broken markup and an order of magnitude
faster than building a BeautifulSoup tree. ``huge_tree`` raises libxml2's nesting limit
from 256 to 2048 levels (real pages with unclosed inline tags pass 256); the input size
is already capped by ``limits.MAX_INPUT_BYTES``. Elements that never carry visible text
(script, style, templates, embedded media) and comments are removed here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree, html

from .errors import InputError

#: Elements whose content is never visible page text.
DROPPED_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object",
    "embed", "canvas", "select", "textarea", "head", "video", "audio", "map",
)

_PARSER = html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True,
    recover=True, default_doctype=False, collect_ids=False, huge_tree=True,
)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed page: its cleaned tree and its ``<title>`` text."""

    root: etree._Element
    title: str


def parse(text: str) -> Document:
    """Parse page text into a :class:`Document`; an empty page gives an empty ``<html>``."""
    if not isinstance(text, str):
        raise InputError(f"parse() takes decoded text, not {type(text).__name__}; call decode() first")
    data = text.encode("utf-8", errors="replace")
    root = None
    if data.strip():
        try:
            root = etree.fromstring(data, parser=_PARSER)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            root = None
    if root is None:
        root = html.Element("html")
    title = _title(root)
    etree.strip_elements(root, *DROPPED_TAGS, with_tail=False)
    return Document(root=root, title=title)


def _title(root: etree._Element) -> str:
    for element in root.iter("title"):
        text = element.text_content() if hasattr(element, "text_content") else element.text
        return " ".join((text or "").split())
    return ""
