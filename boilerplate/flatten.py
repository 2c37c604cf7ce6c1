"""A page nested deeper than libxml2 reads, brought within its limit.

libxml2 stops reading a page at 2048 levels of nesting, and everything after that point is
lost. ``parse.parse`` detects that and parses the page again as :func:`flattened` gives it:
the start tags that would open deeper than a cap dropped (their text kept), or, as a last
resort, every tag stripped. It needs a model of how libxml2 nests HTML elements (which tags
are void, raw text, closed by others, or outrank an end tag), kept here, apart from the
parser every page goes through.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .blocks import BLOCK_TAGS
from .parse import DROPPED_TAGS

# How libxml2 (2.14, as probed) nests HTML elements, as far as depth goes. Where this model
# is off, the margin between MAX_NESTING_DEPTH and libxml2's 2048 levels, then the stripped
# last pass, take up the difference.
#: Elements libxml2 never opens (no content, no end tag).
_VOID = frozenset("area base basefont br col frame hr img input isindex link meta param".split())
#: Elements whose content is text up to their end tag (``plaintext``: up to the end of the page).
_RAW_TEXT = frozenset("iframe noembed noframes script style textarea title xmp plaintext".split())
_RAW_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT}
#: Elements libxml2 opens once (a repeated start tag only adds attributes).
_NOT_NESTED = frozenset(("html", "head", "body"))
#: An end tag closes the open elements after its own only if none has a higher priority than it (default 100).
_END_PRIORITY = {"div": 150, "td": 160, "th": 160, "tr": 170, "thead": 180, "tbody": 180, "tfoot": 180, "table": 190}
#: Start tag → the open elements it closes first, while one of them is the innermost.
_CLOSED_BY_START = {
    new: frozenset(closed.split())
    for news, closed in (
        ("td th", "a b font i p span td th u"),
        ("a", "a"),
        ("fieldset", "a h1 h2 h3 h4 h5 h6 legend listing p pre"),
        ("table", "a h1 h2 h3 h4 h5 h6 listing p pre"),
        ("dt", "address dd dir listing menu p pre"),
        ("dd dl", "address dir dt listing menu p pre"),
        ("form", "address dir dl form h1 h2 h3 h4 h5 h6 listing menu ol p pre ul"),
        ("ul", "address dir listing menu p pre"),
        ("li", "address dl h1 h2 h3 h4 h5 h6 li listing p pre"),
        ("p", "b big h1 h2 h3 h4 h5 h6 i p s small strike tt u"),
        ("center", "b font i p"),
        ("thead", "caption colgroup"),
        ("colgroup", "caption colgroup p"),
        ("tbody", "caption colgroup p tbody td tfoot th thead tr"),
        ("tfoot", "caption colgroup p tbody td th thead tr"),
        ("tr", "caption colgroup p td th tr"),
        ("col", "caption p"),
        ("option optgroup", "option"),
        ("blockquote caption dir div frameset h1 h2 h3 h4 h5 h6 hr listing ol title xmp", "p"),
        ("address menu pre", "p ul"),
    )
    for new in news.split()
}
#: Start tags that leave libxml2 in the head (``body`` opens it itself).
_HEAD_ELEMENTS = frozenset("html head body title meta link base basefont script style noscript template".split())
#: Elements whose whole content goes when their start tag is dropped (it is never visible).
_INVISIBLE = frozenset(DROPPED_TAGS) - _RAW_TEXT - _NOT_NESTED - _VOID
#: What a dropped block-level start or end tag becomes: a block boundary that opens nothing.
_BOUNDARY = "<hr>"

# The HTML tokenizer's view of markup (libxml2 2.14 follows HTML5 here): a tag, a comment
# or a bogus comment (``<!...>``, ``<?...>``, ``</ ...>``). A tag ends at the first ``>``
# outside a quoted attribute value, or at the end of the page (group 3 is then empty). The
# branches of each repetition start with different characters: no backtracking, linear.
_TAG_REST = r"""(?:[^>=]|=(?:[\t\n\f\r ]*(?:"[^"]*(?:"|\Z)|'[^']*(?:'|\Z)))?)*+(>|\Z)"""
_TOKEN = re.compile(r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*)" + _TAG_REST + r"|(!--)|[!?/])")
_END_TAG_REST = re.compile(_TAG_REST)
_COMMENT_CLOSE = re.compile(r"--!?>")


def flattened(markup: str, max_depth: int, strip: bool = False) -> str:
    """``markup`` with every element that would open more than ``max_depth`` levels deep
    dropped: its start and end tags go (a block-level one becomes a boundary, ``<hr>``),
    its text stays; the whole subtree of an invisible one (``svg``, ``select`` …) goes.
    Nesting follows a model of libxml2's rules (an approximate stack of open elements).

    ``strip`` (with ``max_depth=0``) is the last resort: only the text is left, with ``<br>``,
    block boundaries, the ``html``/``head``/``body`` tags and raw-text elements (script,
    title …), and any other ``<`` escaped, so libxml2 finds nothing it could nest.

    One pass over the tags, O(1) work per tag (amortised): linear time.
    """
    out: list[str] = []
    copied = 0  # markup[:copied] is in ``out``, or cut
    after_boundary = False
    stack: list[str] = []  # the open elements, outermost first (html and body excluded)
    where: defaultdict[str, list[int]] = defaultdict(list)  # name → its indices in ``stack``
    high: dict[int, list[int]] = {p: [] for p in set(_END_PRIORITY.values())}  # priority → indices
    any_high: list[int] = []  # the indices of all elements with a priority
    cut_at = -1  # index in ``stack`` of the dropped invisible element whose content is cut
    in_body = False  # (for ``strip``) whether a ``<body>`` tag is in the output
    size = len(markup)

    def emit(start: int, end: int, replacement: str) -> None:
        """Write the markup up to ``start``, then ``replacement`` for ``markup[start:end]``."""
        nonlocal copied, after_boundary
        if cut_at >= 0:
            return
        piece = markup[copied:start]
        if piece and not piece.isspace():
            if strip:
                piece = piece.replace("<", "&lt;")
            elif piece[-1] == "<":  # text, as it was followed by a tag: it stays text
                piece = piece[:-1] + "&lt;"
            out.append(piece)
            after_boundary = False
        elif piece:
            out.append(piece)
        if replacement == _BOUNDARY:
            if not after_boundary:
                out.append(replacement)
                after_boundary = True
        elif replacement:
            out.append(replacement)
            after_boundary = False
        copied = end

    def pop(resume: int) -> None:
        """Close the innermost open element; a cut ending there resumes at ``resume``."""
        nonlocal cut_at, copied
        name = stack.pop()
        where[name].pop()
        priority = _END_PRIORITY.get(name)
        if priority:
            high[priority].pop()
            any_high.pop()
        if len(stack) == cut_at:
            cut_at = -1
            copied = resume

    search = _TOKEN.search
    pos = 0
    while True:
        match = search(markup, pos)
        if match is None:
            break
        closing, name, closed_by, comment = match.groups()
        start, pos = match.span()
        if name is None:  # a comment or a bogus comment: text libxml2 does not nest
            if not comment:
                pos = markup.find(">", pos)
                pos = size if pos < 0 else pos + 1
            elif markup.startswith(">", pos) or markup.startswith("->", pos):
                pos = markup.find(">", pos) + 1
            else:
                found = _COMMENT_CLOSE.search(markup, pos)
                pos = size if found is None else found.end()
            if strip:
                emit(start, pos, "")
            continue
        if not closed_by:  # a tag cut by the end of the page: libxml2 drops it
            if strip:
                emit(start, pos, "")
            break
        name = name.lower()
        if closing:
            if name != "head" and name in _NOT_NESTED:  # ``</body>``, ``</html>`` close all that is open
                while stack:
                    pop(start)
                if strip:  # (libxml2 drops what follows ``</html>``)
                    emit(start, pos, _BOUNDARY)
                continue
            if name == "head":  # closes what is open in the head, or nothing (in the body)
                if cut_at >= 0:  # the text after it is kept either way
                    cut_at = -1
                    copied = start
                if strip:
                    emit(start, pos, "</head>")
                continue
            indices = where.get(name)
            if not indices or (any_high and any_high[-1] > indices[-1] and any(
                    found and found[-1] > indices[-1]
                    for p, found in high.items() if p > _END_PRIORITY.get(name, 100))):
                if strip:  # not open, or an element of higher priority is open inside it: ignored
                    emit(start, pos, _BOUNDARY if name in BLOCK_TAGS else "")
                continue
            index = indices[-1]
            while len(stack) > index + 1:
                pop(start)
            was_cut = index == cut_at
            pop(pos)
            if index >= max_depth and not was_cut and cut_at < 0:
                if copied == start and name not in BLOCK_TAGS:
                    copied = pos  # inlined emit(start, pos, ""): the common case
                else:
                    emit(start, pos, _BOUNDARY if name in BLOCK_TAGS else "")
            continue
        if strip and not in_body and name not in _HEAD_ELEMENTS:  # it opens the body: the page's text goes there
            emit(start, start, "<body>")
            in_body = True
        auto_closed = _CLOSED_BY_START.get(name)
        while auto_closed and stack and stack[-1] in auto_closed:
            pop(start)
        if name in _VOID or name in _NOT_NESTED or markup.startswith("/>", pos - 2):  # opens nothing
            in_body = in_body or name == "body"
            if strip:  # html, head, body are kept (as is), to keep the head apart
                emit(start, pos, markup[start:pos] if name in _NOT_NESTED else "<br>" if name == "br"
                     else _BOUNDARY if name in BLOCK_TAGS else "")
            continue
        if name in _RAW_TEXT:  # a leaf whatever its depth: kept (as is) in every mode
            found = None if name == "plaintext" else _RAW_END[name].search(markup, pos)
            pos = size if found is None else _END_TAG_REST.match(markup, found.start() + 2 + len(name)).end()
            if strip:
                emit(start, pos, markup[start:pos])
            if found is None:
                break
            continue
        index = len(stack)
        stack.append(name)
        where[name].append(index)
        priority = _END_PRIORITY.get(name)
        if priority:
            high[priority].append(index)
            any_high.append(index)
        if index >= max_depth and cut_at < 0:
            if name in _INVISIBLE:
                emit(start, start, "")
                cut_at = index
            elif copied == start and name not in BLOCK_TAGS:
                copied = pos  # inlined emit(start, pos, "")
            else:
                emit(start, pos, _BOUNDARY if name in BLOCK_TAGS else "")
    if cut_at < 0:
        out.append(markup[copied:].replace("<", "&lt;") if strip else markup[copied:])
    return "".join(out)
