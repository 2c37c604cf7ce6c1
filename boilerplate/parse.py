"""Text of a page → a cleaned lxml tree and its title.

lxml's HTML parser (libxml2) is lenient with broken markup and an order of magnitude
faster than building a BeautifulSoup tree. ``huge_tree`` raises libxml2's nesting limit
from 256 to 2048 levels (real pages with unclosed inline tags pass 256); the input size
is already capped by ``limits.MAX_INPUT_BYTES``. Elements that never carry visible text
(script, style, templates, embedded media) and comments are removed here, once.

A page nested deeper than 2048 levels (thousands of unclosed ``<font>``/``<b>``/``<div>``
from a broken generator) makes libxml2 stop reading with a fatal "Excessive depth in
document" error (``ERR_RESOURCE_LIMIT`` in the parser's error log): everything from that
point on would be lost. Only then, the page is parsed again with the start tags that open
deeper than ``limits.MAX_NESTING_DEPTH`` dropped (``flatten.py``, one linear pass), and
if libxml2 still stops, once more with the tags stripped (all but ``br``, block boundaries,
``html``/``head``/``body`` and raw-text elements, none of which nest): the text is kept
either way. Normal pages pay only the look at the error log.

libxml2 also stops at the first ``</html>`` end tag, where a browser reads on (HTML5 puts
what follows into the body): a page whose template closes ``</html>`` early, or that is
two documents run together, would lose everything after it. So when anything but
whitespace follows the first ``</html>``, every ``</html>`` is removed before parsing; the
parser closes the document at the end of the text instead. The first ``</html>`` is found
by the compiled scan of the tags that runs anyway (``_scan.scan_tags``): no second pass.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from lxml import etree, html

from .errors import InputError
from .limits import MAX_ATTRIBUTES, MAX_NESTING_DEPTH

try:  # one compiled pass over the tags instead of two regex passes over the page
    from ._scan import scan_tags as _scan_tags
except ImportError:  # pragma: no cover - a source tree without the built extension
    def _scan_tags(text: str, max_attributes: int) -> tuple[bool, int]:
        end = _HTML_END.search(text)
        return True, -1 if end is None else end.start()

#: Elements whose content is never visible page text.
DROPPED_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object",
    "embed", "canvas", "select", "textarea", "head", "video", "audio", "map",
)

_PARSER_OPTIONS = {
    "encoding": "utf-8", "remove_comments": True, "remove_pis": True, "no_network": True,
    "recover": True, "default_doctype": False, "collect_ids": False, "huge_tree": True,
}
#: One parser per thread: a parser's error log, read after each parse, is shared by the
#: threads that use it (and lxml serialises their parses on it).
_THREAD = threading.local()


_SCHEMA_TYPE = re.compile(r'"@type"\s*:\s*(?:"([A-Za-z]+)"|\[([^\]]{0,300})\])')
_QUOTED = re.compile(r'"([A-Za-z]+)"')
#: Bytes of JSON-LD read per page for ``@type`` hints.
_MAX_JSONLD_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed page: its cleaned tree, its ``<title>`` and what its metadata says it is.

    ``schema_types`` are the schema.org ``@type`` names in its JSON-LD (``Article``,
    ``Product``, ``QAPage`` …), ``og_type`` its OpenGraph type, lower-cased.
    """

    root: etree._Element
    title: str
    schema_types: frozenset[str] = field(default_factory=frozenset)
    og_type: str = ""


def parse(text: str) -> Document:
    """Parse page text into a :class:`Document`; an empty page gives an empty ``<html>``."""
    if not isinstance(text, str):
        raise InputError(f"parse() takes decoded text, not {type(text).__name__}; call decode() first")
    markup = _prepared(text)
    root, stopped = _libxml2(markup)
    if stopped:  # nested deeper than libxml2 reads: see the module docstring
        from . import flatten  # only such pages need it

        root, stopped = _libxml2(flatten.flattened(markup, MAX_NESTING_DEPTH))
        if stopped:
            root, stopped = _libxml2(flatten.flattened(markup, 0, strip=True))
            if stopped:  # not expected: the stripped markup has no elements that nest
                raise InputError("the HTML parser stopped early on this page even with its tags stripped")
    if root is None:
        root = html.Element("html")
    title = _title(root)
    schema_types, og_type = _metadata(root)
    etree.strip_elements(root, *DROPPED_TAGS, with_tail=False)
    return Document(root=root, title=title, schema_types=schema_types, og_type=og_type)


def _metadata(root: etree._Element) -> tuple[frozenset[str], str]:
    """schema.org types from JSON-LD scripts and the OpenGraph type (the first ``og:type``
    meta), read before scripts go: one walk over both kinds of element."""
    types: set[str] = set()
    budget = _MAX_JSONLD_CHARS
    og_type = None
    for element in root.iter("script", "meta"):
        if element.tag == "meta":
            if og_type is None and (element.get("property") or element.get("name") or "").lower() == "og:type":
                og_type = (element.get("content") or "").strip().lower()[:40]
            continue
        if budget <= 0 or "ld+json" not in (element.get("type") or "").lower():
            continue
        text = (element.text or "")[:budget]
        budget -= len(text)
        for single, many in _SCHEMA_TYPE.findall(text):
            types.update([single] if single else _QUOTED.findall(many))
    return frozenset(types), og_type or ""


_ATTRIBUTE = re.compile(r"""[^\s/>"'=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?""")


_HTML_END = re.compile(r"</html\s*>", re.IGNORECASE)


def _prepared(text: str, max_attributes: int = MAX_ATTRIBUTES) -> str:
    """The text as libxml2 should read it: without its ``</html>`` end tags when more than
    whitespace follows the first one (see the module docstring), and with the attributes
    past ``max_attributes`` of any start tag dropped (see ``limits``)."""
    many_attributes, html_end = _scan_tags(text, max_attributes)
    if html_end >= 0:
        rest = _HTML_END.sub("", text[html_end:])
        if rest.strip():
            text = text[:html_end] + rest
    if many_attributes and len(text) > 2 * max_attributes:
        text = _capped(text, max_attributes)
    return text


def _capped(text: str, max_attributes: int) -> str:
    """The regex pass of :func:`_prepared`: every start tag long enough to hold more
    than ``max_attributes`` attributes (each takes two characters at least), cut at its
    attribute past that number."""
    def cap(match: re.Match[str]) -> str:
        tag = match.group(0)
        for count, attribute in enumerate(_ATTRIBUTE.finditer(tag, 1 + len(tag[1:].split(None, 1)[0]))):
            if count == max_attributes:
                return tag[:attribute.start()]
        return tag

    return re.sub(r"<[A-Za-z][^<>]{%d,}" % (2 * max_attributes), cap, text)


def _title(root: etree._Element) -> str:
    """The text of the first ``<title>`` in document order, whitespace collapsed."""
    title = None
    head = root.find("head")
    if root.tag != "title" and head is not None and len(root) and root[0] is head:
        title = next(head.iter("title"), None)  # nothing comes before the head: only its subtree is walked
    if title is None:
        title = next(root.iter("title"), None)
    return "" if title is None else " ".join("".join(title.itertext()).split())


# --- pages nested deeper than libxml2 reads ----------------------------------------------

def _parser() -> html.HTMLParser:
    """This thread's parser."""
    try:
        return _THREAD.parser
    except AttributeError:
        _THREAD.parser = html.HTMLParser(**_PARSER_OPTIONS)
        return _THREAD.parser


def _libxml2(markup: str) -> tuple[etree._Element | None, bool]:
    """libxml2's tree of ``markup`` (None if it gives none), and whether libxml2 stopped
    reading at one of its resource limits (in practice, nesting deeper than 2048 levels),
    so that the text after that point is missing from the tree."""
    data = markup.encode("utf-8", errors="replace")
    if not data.strip():
        return None, False
    parser = _parser()
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    error = parser.error_log.last_error  # a fatal error halts libxml2: it is the last one logged
    stopped = error is not None and error.level == etree.ErrorLevels.FATAL and (
        error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT or "Excessive depth" in error.message)
    return root, stopped
