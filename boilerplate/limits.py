"""Caps that bound the work done on one page, each with the reason it exists.

Every stage reads its bound from here, so the worst case of a page is decided in one place.
"""

from __future__ import annotations

#: Bytes of input decoded and parsed; the rest is dropped. Main content sits far before
#: 8 MB on real pages, and a 50 MB page must not cost 50 MB of tree per worker.
MAX_INPUT_BYTES = 8_000_000

#: Bytes scanned for a BOM, a ``<meta charset>`` or an XML declaration. Browsers look at
#: the first 1024 bytes; a little more catches pages with long preambles.
CHARSET_SNIFF_BYTES = 4096

#: Bytes given to the statistical charset detector: it is slow and a sample suffices.
CHARSET_DETECT_BYTES = 65_536

#: Text blocks kept per page. Real pages have a few hundred; the cap bounds the
#: feature matrix (blocks x features) of a machine-generated page.
MAX_BLOCKS = 20_000

#: Characters kept per block. Beyond this the block is one wall of text whose
#: features are already saturated; it bounds regex work per block.
MAX_BLOCK_CHARS = 100_000

#: Attributes kept per start tag (the rest are dropped before parsing). libxml2's HTML
#: parser compares each attribute with every earlier one of its tag: 40,000 attributes on
#: one tag took 24 s and a 7 MB tag of 700,000 ran for hours. Real tags have a few dozen.
MAX_ATTRIBUTES = 512

#: Characters of an element's class and id matched against the class/id vocabularies.
#: Real class lists stay far below this; an 8 MB attribute took 70 s of regex work and
#: kept its whole value in the class memo, per distinct value.
MAX_CLASS_ID_CHARS = 2_000

#: Ancestors shown in a block's DOM path string. The walk itself is iterative and
#: handles any depth; this only bounds the string kept per block.
MAX_PATH_ANCESTORS = 12

#: Open elements kept when a page nests deeper than libxml2 allows. libxml2 (even with
#: ``huge_tree``) stops reading a page at 2048 levels of nesting and everything after that
#: point was lost; crawled pages reach that depth with thousands of unclosed ``<font>``/
#: ``<b>``/``<div>`` tags. Only on such a page, ``parse`` drops the start tags (and their end
#: tags) that would open deeper than this, keeping all the text, and parses again. Real
#: content sits 10-40 levels deep; the margin to 2048 absorbs where parse.py's model of
#: libxml2's nesting rules differs from libxml2 itself.
MAX_NESTING_DEPTH = 512

#: Innermost ancestors whose numbers a block keeps (``Block.ancestors``), for the
#: main-container rule. Real pages nest their text 10-40 elements deep; the cap bounds the
#: numbers kept per block on a page nested thousands of levels deep.
MAX_ANCESTOR_IDS = 64
