"""A parsed tree → the page's text blocks, in reading order.

A block is the text between two block-level boundaries (the start or end of a ``p``,
``div``, ``li``, ``td``, heading, ``section`` … or a run of two ``br``). One iterative
walk over the tree (``lxml.etree.iterwalk``: no recursion, so any depth is safe) keeps a
stack of what each open element contributes: its tag bits and class/id group bits, OR-ed
down from its ancestors, so a block knows in O(1) whether it sits inside a ``nav`` or
an element whose class says ``comment``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from lxml import etree

from .limits import MAX_ANCESTOR_IDS, MAX_BLOCK_CHARS, MAX_BLOCKS, MAX_CLASS_ID_CHARS, MAX_PATH_ANCESTORS
from .parse import Document
from .vocab import class_groups, class_word_order

try:  # the compiled class/id word matcher (``_phrases.pyx``); the regex is the fallback
    from ._phrases import ClassWordTable
except ImportError:  # pragma: no cover - a source tree without the built extension
    ClassWordTable = None

try:  # the compiled walk (``_walk.pyx``), built on install
    from ._walk import scored_blocks as _compiled_scored
    from ._walk import walk_blocks as _compiled_walk
except ImportError:  # pragma: no cover - a source tree without the built extension
    _compiled_scored = _compiled_walk = None

#: Bump when block segmentation or any Block field changes meaning.
BLOCKS_VERSION = 1

BLOCK_TAGS = frozenset(
    "address article aside blockquote body button caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html legend "
    "li main menu nav noframes ol option p pre section summary table tbody td tfoot th thead tr ul "
    "text".split()
)

#: Ancestor tags recorded as bits of ``Block.tag_mask`` (bit i = TAG_BITS[i]).
TAG_BITS = (
    "a", "article", "main", "nav", "header", "footer", "aside", "form", "ul", "ol", "li", "table",
    "figure", "figcaption", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "code",
    "button", "label", "dl", "section", "address", "time", "strong", "em", "hidden",
)
_TAG_BIT = {tag: 1 << i for i, tag in enumerate(TAG_BITS)}
_LINK_BIT = _TAG_BIT["a"]
_HIDDEN_BIT = _TAG_BIT["hidden"]
_B_FALLBACK = {"b": _TAG_BIT["strong"], "i": _TAG_BIT["em"]}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CLASS_MEMO: dict[str, int] = {}
_CLASS_MEMO_MAX = 100_000
_INFO_MEMO_MAX_CHARS = 512
_INFO_MEMO: dict[tuple[str, str, str, bool, str], tuple[str, int, int, bool]] = {}


@dataclass(frozen=True, slots=True)
class Block:
    """One text block of a page.

    ``tag_mask`` has bit i set when some of the block's text sits inside a ``TAG_BITS[i]``
    element; ``class_mask`` has bit i set when the block's own element has a class/id of
    group i (see ``data/classid.json``), ``ancestor_class_mask`` when an element around
    some of its text does.
    ``ancestors`` numbers the elements around the block's text (the innermost
    ``MAX_ANCESTOR_IDS``, outermost first; each element's number is the order of its start
    tag in the page), so two blocks sit in the same container exactly when they share a number.
    ``proba`` and ``label`` are set by prediction: P(content) and the decision.
    """

    index: int
    text: str
    tag: str
    path: str
    depth: int
    link_chars: int
    n_links: int
    tag_mask: int
    class_mask: int
    ancestor_class_mask: int
    ancestors: tuple[int, ...] = ()
    proba: float | None = None
    label: bool | None = None

    def scored(self, proba: float, label: bool) -> Block:
        """This block with its P(content) and decision (``dataclasses.replace`` is 5x slower)."""
        return Block(self.index, self.text, self.tag, self.path, self.depth, self.link_chars, self.n_links,
                     self.tag_mask, self.class_mask, self.ancestor_class_mask, self.ancestors, proba, label)


def scored_blocks(blocks: list[Block], proba: np.ndarray, labels: np.ndarray) -> list[Block]:
    """The blocks with their P(content) and decisions set (:meth:`Block.scored` for each)."""
    if _compiled_scored is not None:
        return _compiled_scored(blocks, np.ascontiguousarray(proba, dtype=np.float64),
                                np.ascontiguousarray(labels, dtype=np.uint8))
    return [b.scored(float(p), bool(k)) for b, p, k in zip(blocks, proba, labels)]


@dataclass(slots=True)
class _Frame:
    tag: str
    label: str
    tag_mask: int
    own_class_mask: int
    class_mask: int
    is_block: bool
    number: int = 0


def class_mask(value: str) -> int:
    """Bit mask of the class/id groups that occur in ``value`` (a class plus id string)."""
    mask = _CLASS_MEMO.get(value)
    if mask is None:
        mask = _class_bits(value.lower())
        if len(_CLASS_MEMO) >= _CLASS_MEMO_MAX:
            _CLASS_MEMO.clear()
        _CLASS_MEMO[value] = mask
    return mask


def _class_bits_regex(lowered: str) -> int:
    """:func:`class_mask` by the regex of ``vocab.class_groups`` (the reference, and the
    fallback where ``_phrases.pyx`` is not built)."""
    _, pattern = class_groups()
    mask = 0
    for match in pattern.finditer(lowered):
        mask |= 1 << int(match.lastgroup[1:])
    return mask


@lru_cache(maxsize=1)
def _class_word_table() -> ClassWordTable:
    return ClassWordTable(class_word_order())


def _class_bits(lowered: str) -> int:
    return _class_word_table().mask(lowered) if ClassWordTable is not None else _class_bits_regex(lowered)


def element_info(tag: str, classes: str, ident: str, hidden: bool, style: str) -> tuple[str, int, int, bool]:
    """What an element contributes whatever its ancestors: path label, tag bits (with the
    ``hidden`` bit for ``hidden``/``aria-hidden``/hiding styles), class/id group bits, and
    whether it bounds a block. Shared by both walks (``_walk.pyx`` and the Python one)."""
    key = (tag, classes, ident, hidden, style)
    info = _INFO_MEMO.get(key)
    if info is None:
        info = _element_info(tag, classes, ident, hidden, style)
        if len(classes) + len(ident) + len(style) <= _INFO_MEMO_MAX_CHARS:  # no giant keys kept
            if len(_INFO_MEMO) >= _CLASS_MEMO_MAX:
                _INFO_MEMO.clear()
            _INFO_MEMO[key] = info
    return info


def _element_info(tag: str, classes: str, ident: str, hidden: bool, style: str) -> tuple[str, int, int, bool]:
    bits = _TAG_BIT.get(tag) or _B_FALLBACK.get(tag, 0)
    if hidden or (style and _HIDDEN_STYLE.search(style)):
        bits |= _HIDDEN_BIT
    own = class_mask(f"{classes} {ident}"[:MAX_CLASS_ID_CHARS]) if (classes or ident) else 0
    label = tag
    if ident:
        label += "#" + ident.split()[0][:30]
    if classes:
        label += "." + ".".join(c[:30] for c in classes.split()[:3])
    return label, bits, own, tag in BLOCK_TAGS


def _frame_for(element: etree._Element, parent: _Frame, number: int) -> _Frame:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    get = element.get
    hidden = get("hidden") is not None or get("aria-hidden") == "true"
    label, bits, own, is_block = element_info(tag, get("class") or "", get("id") or "", hidden, get("style") or "")
    return _Frame(tag=tag, label=label, tag_mask=parent.tag_mask | bits, own_class_mask=own,
                  class_mask=parent.class_mask | own, is_block=is_block, number=number)


class _Builder:
    """Collects text pieces until a boundary, then emits a Block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pieces: list[str] = []
        self.link_chars = 0
        self.n_links = 0
        self.br_run = 0
        self.tag_mask = 0
        self.class_mask = 0

    def add(self, text: str | None, frame: _Frame) -> None:
        if not text:
            return
        self.pieces.append(text)
        if text.isspace():
            return
        if frame.tag_mask & _LINK_BIT:
            self.link_chars += len(text.strip())
        self.br_run = 0
        self.tag_mask |= frame.tag_mask
        self.class_mask |= frame.class_mask

    def flush(self, stack: list[_Frame]) -> None:
        if self.pieces:
            text = " ".join("".join(self.pieces).split())[:MAX_BLOCK_CHARS].rstrip()
            if text:
                container = next((f for f in reversed(stack) if f.is_block), stack[-1])
                self.blocks.append(Block(
                    index=len(self.blocks), text=text, tag=container.tag,
                    path=">".join(f.label for f in stack[1:][-MAX_PATH_ANCESTORS:]),
                    depth=len(stack) - 1, link_chars=min(self.link_chars, len(text)), n_links=self.n_links,
                    tag_mask=self.tag_mask, class_mask=container.own_class_mask,
                    ancestor_class_mask=self.class_mask,
                    ancestors=tuple(f.number for f in stack[1:][-MAX_ANCESTOR_IDS:]),
                ))
        self.pieces = []
        self.link_chars = 0
        self.n_links = 0
        self.br_run = 0
        self.tag_mask = 0
        self.class_mask = 0


def split_blocks(document: Document) -> list[Block]:
    """The document's non-empty text blocks in reading order (at most ``MAX_BLOCKS``)."""
    if _compiled_walk is not None:
        return _compiled_walk(document.root, element_info, Block, MAX_BLOCKS, MAX_BLOCK_CHARS, MAX_PATH_ANCESTORS,
                              _LINK_BIT, MAX_ANCESTOR_IDS)
    return _walk_python(document.root)


def _walk_python(root: etree._Element) -> list[Block]:
    """The walk in Python: the reference for ``_walk.pyx`` and the fallback without it."""
    top = _Frame(tag="", label="", tag_mask=0, own_class_mask=0, class_mask=0, is_block=True)
    stack: list[_Frame] = [top]
    out = _Builder()
    started = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            started += 1
            frame = _frame_for(element, stack[-1], started)
            if frame.is_block:
                out.flush(stack)
            elif frame.tag == "br":
                out.br_run += 1
                if out.br_run >= 2:
                    out.flush(stack)
                    out.br_run = 0
                out.pieces.append(" ")
            elif frame.tag == "a":
                out.n_links += 1
            stack.append(frame)
            out.add(element.text, frame)
        else:
            frame = stack.pop()
            if frame.is_block:
                stack.append(frame)
                out.flush(stack)
                stack.pop()
            if element is not root:
                out.add(element.tail, stack[-1])
        if len(out.blocks) >= MAX_BLOCKS:
            break
    out.flush(stack)
    return out.blocks[:MAX_BLOCKS]
