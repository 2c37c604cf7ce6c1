# cython: language_level=3, boundscheck=False, wraparound=True, initializedcheck=False
"""The block walk of ``blocks.py`` compiled, over libxml2's nodes directly.

Same events, same blocks as the Python walk (``blocks._walk_python``, kept as the
reference and as the fallback where this module is not built; a test compares the two
on real pages and on generated markup), without an lxml proxy object per element:
children, siblings, text and attributes are read from the C structs lxml parsed into.
What an element contributes (label, tag bits, class/id bits) still comes from the shared
``blocks.element_info``, memoised in Python.
"""

from cpython.object cimport PyObject_GenericSetAttr
from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Element, import_lxml__etree
from libc.string cimport strcmp

import_lxml__etree()


cdef inline tree.xmlNode* _text_or_skip(tree.xmlNode* node) noexcept nogil:
    """``node`` if it is text, skipping XInclude markers; NULL at anything else (lxml's rule)."""
    while node is not NULL:
        if node.type == tree.XML_TEXT_NODE or node.type == tree.XML_CDATA_SECTION_NODE:
            return node
        if node.type == tree.XML_XINCLUDE_START or node.type == tree.XML_XINCLUDE_END:
            node = node.next
        else:
            return NULL
    return NULL


cdef str _utf8(const char* value):
    return value.decode("utf-8", "replace")


cdef object _collect_text(tree.xmlNode* node):
    """The adjacent text nodes from ``node`` on, joined: lxml's ``.text``/``.tail``."""
    node = _text_or_skip(node)
    if node is NULL:
        return None
    cdef list parts = []
    while node is not NULL:
        if node.content is not NULL and node.content[0] != 0:
            parts.append(_utf8(<const char*>node.content))
        node = _text_or_skip(node.next)
    return "".join(parts)


cdef str _attribute(tree.xmlNode* node, const char* name):
    """The value of the namespace-less attribute ``name``, or None."""
    cdef tree.xmlAttr* attr = node.properties
    cdef tree.xmlNode* child
    while attr is not NULL:
        if attr.ns is NULL and strcmp(<const char*>attr.name, name) == 0:
            parts = []
            child = attr.children
            while child is not NULL:
                if child.content is not NULL:
                    parts.append(_utf8(<const char*>child.content))
                child = child.next
            return "".join(parts)
        attr = attr.next
    return None


cdef inline tree.xmlNode* _element_from(tree.xmlNode* node) noexcept nogil:
    """``node`` or its first following sibling that is an element; NULL if none."""
    while node is not NULL and node.type != tree.XML_ELEMENT_NODE:
        node = node.next
    return node


#: ``blocks.Block``'s fields, in order.
_FIELDS = ("index", "text", "tag", "path", "depth", "link_chars", "n_links", "tag_mask", "class_mask",
           "ancestor_class_mask", "ancestors", "proba", "label")


cdef object _new(type block_type, tuple values):
    """A frozen ``Block`` from its field values: ``object.__setattr__`` per field, as the
    dataclass's ``__init__`` does, but from C (a sixth of its cost)."""
    cdef object block = block_type.__new__(block_type)
    cdef Py_ssize_t k
    for k in range(13):
        PyObject_GenericSetAttr(block, _FIELDS[k], values[k])
    return block


def scored_blocks(list blocks, const double[::1] proba, const unsigned char[::1] labels):
    """Each block with ``proba`` and ``label`` set (``Block.scored`` for a page at once)."""
    cdef list out = []
    cdef Py_ssize_t i
    cdef type block_type
    for i in range(len(blocks)):
        b = blocks[i]
        block_type = type(b)
        out.append(_new(block_type, (b.index, b.text, b.tag, b.path, b.depth, b.link_chars, b.n_links, b.tag_mask,
                                     b.class_mask, b.ancestor_class_mask, b.ancestors, proba[i], labels[i] != 0)))
    return out


cdef class _Walk:
    """The open elements and the block being collected."""

    cdef object element_info
    cdef type block_type
    cdef Py_ssize_t max_block_chars, max_path, max_ancestors
    cdef int link_bit
    cdef list blocks, pieces
    # the stack of open elements, the sentinel first (but in ``labels`` and ``numbers``): one list per field
    cdef list tags, labels, tag_masks, own_masks, class_masks, is_block, numbers
    cdef Py_ssize_t link_chars, n_links, br_run, started
    cdef object tag_mask, class_mask

    def __init__(self, element_info, block_type, Py_ssize_t max_block_chars, Py_ssize_t max_path, int link_bit,
                 Py_ssize_t max_ancestors):
        self.element_info, self.block_type = element_info, block_type
        self.max_block_chars, self.max_path, self.link_bit = max_block_chars, max_path, link_bit
        self.max_ancestors, self.numbers, self.started = max_ancestors, [], 0
        self.blocks, self.pieces = [], []
        self.tags, self.labels, self.tag_masks = [""], [], [0]
        self.own_masks, self.class_masks, self.is_block = [0], [0], [True]
        self.link_chars = self.n_links = self.br_run = 0
        self.tag_mask = self.class_mask = 0

    cdef void add(self, object text, Py_ssize_t frame) except *:
        if not text:
            return
        self.pieces.append(text)
        if text.isspace():
            return
        if self.tag_masks[frame] & self.link_bit:
            self.link_chars += len(text.strip())
        self.br_run = 0
        self.tag_mask |= self.tag_masks[frame]
        self.class_mask |= self.class_masks[frame]

    cdef void flush(self) except *:
        cdef Py_ssize_t container
        if self.pieces:
            text = " ".join("".join(self.pieces).split())[:self.max_block_chars].rstrip()
            if text:
                container = len(self.is_block) - 1
                while not self.is_block[container]:
                    container -= 1
                self.blocks.append(_new(self.block_type, (
                    len(self.blocks), text, self.tags[container],
                    ">".join(self.labels[-self.max_path:]) if self.labels else "",
                    len(self.tags) - 1, min(self.link_chars, len(text)), self.n_links,
                    self.tag_mask, self.own_masks[container], self.class_mask,
                    tuple(self.numbers[-self.max_ancestors:]), None, None,
                )))
        self.pieces = []
        self.link_chars = self.n_links = self.br_run = 0
        self.tag_mask = self.class_mask = 0

    cdef void start(self, tree.xmlNode* node) except *:
        tag = _utf8(<const char*>node.name).lower() if node.name is not NULL else ""
        classes = _attribute(node, b"class") or ""
        ident = _attribute(node, b"id") or ""
        hidden = _attribute(node, b"hidden") is not None or _attribute(node, b"aria-hidden") == "true"
        label, bits, own, is_block = self.element_info(tag, classes, ident, hidden, _attribute(node, b"style") or "")
        if is_block:
            self.flush()
        elif tag == "br":
            self.br_run += 1
            if self.br_run >= 2:
                self.flush()
                self.br_run = 0
            self.pieces.append(" ")
        elif tag == "a":
            self.n_links += 1
        self.started += 1
        self.tags.append(tag)
        self.labels.append(label)
        self.numbers.append(self.started)
        self.tag_masks.append(self.tag_masks[-1] | bits)
        self.own_masks.append(own)
        self.class_masks.append(self.class_masks[-1] | own)
        self.is_block.append(is_block)
        self.add(_collect_text(node.children), len(self.tags) - 1)

    cdef void end(self, tree.xmlNode* node, bint is_root) except *:
        if self.is_block[-1]:
            self.flush()
        self.tags.pop()
        self.labels.pop()
        self.numbers.pop()
        self.tag_masks.pop()
        self.own_masks.pop()
        self.class_masks.pop()
        self.is_block.pop()
        if not is_root:
            self.add(_collect_text(node.next), len(self.tags) - 1)


def walk_blocks(_Element root not None, element_info, block_type, Py_ssize_t max_blocks,
                Py_ssize_t max_block_chars, Py_ssize_t max_path, int link_bit, Py_ssize_t max_ancestors):
    """The blocks under ``root`` in document order, as ``blocks._walk_python`` makes them."""
    cdef _Walk walk = _Walk(element_info, block_type, max_block_chars, max_path, link_bit, max_ancestors)
    cdef tree.xmlNode* top = root._c_node
    cdef tree.xmlNode* node = top
    cdef tree.xmlNode* child
    cdef bint done = False
    walk.start(node)
    while not done and len(walk.blocks) < max_blocks:
        child = _element_from(node.children)
        if child is not NULL:
            node = child
            walk.start(node)
            continue
        while True:  # no element children: close elements until one has a next sibling
            walk.end(node, node is top)
            if node is top or len(walk.blocks) >= max_blocks:
                done = True
                break
            child = _element_from(node.next)
            if child is not NULL:
                node = child
                walk.start(node)
                break
            node = node.parent
    walk.flush()
    return walk.blocks[:max_blocks]
