"""Bytes or text of a page → a clean ``str``.

Charset chain: byte-order mark → strict UTF-8 → declared charset (``<meta>`` or XML
declaration) → statistical detection on a bounded sample → lenient cp1252. Valid UTF-8
comes before the declaration because non-ASCII text that is not UTF-8 almost never
validates as UTF-8, while pages that declare Latin-1 but are UTF-8 are common. Characters
that XML forbids (NUL and other C0 controls) are removed, since lxml refuses them.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from .errors import InputError
from .limits import CHARSET_DETECT_BYTES, CHARSET_SNIFF_BYTES, MAX_INPUT_BYTES

try:  # a compiled scan that finds no forbidden character ten times faster than the regex
    from ._scan import has_forbidden as _has_forbidden
except ImportError:  # pragma: no cover - a source tree without the built extension
    def _has_forbidden(text: str) -> bool:
        return True

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Declared labels that mean something wider in practice (as browsers treat them).
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030", "x-sjis": "shift_jis"}
#: Codecs Python knows that no page is written in (placeholders and escape formats, which
#: raise on or misread page bytes); with the bytes-to-bytes transforms (base64, zlib, rot13 …)
#: they count as undeclared. (A page declaring one used to raise LookupError from decode().)
_NOT_PAGE_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape"})


def decode(page: Any) -> str:
    """Return the page as text; accepts ``str``, ``bytes``/``bytearray`` or a BeautifulSoup object."""
    if isinstance(page, str):
        text = page[:MAX_INPUT_BYTES]
    elif isinstance(page, (bytes, bytearray, memoryview)):
        text = decode_bytes(bytes(page[:MAX_INPUT_BYTES]))
    elif _is_soup(page):
        text = str(page)[:MAX_INPUT_BYTES]
    else:
        raise InputError(f"cannot read a page from {type(page).__name__}: pass str, bytes or a BeautifulSoup object")
    return _FORBIDDEN.sub("", text) if _has_forbidden(text) else text


def decode_bytes(data: bytes) -> str:
    """Decode page bytes whose charset is unknown (see the module docstring for the chain)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[:exc.start].decode("utf-8")  # cut inside a character by the size cap
    declared = declared_charset(data)
    if declared == "utf-8":  # a few broken bytes in a UTF-8 page
        return data.decode("utf-8", errors="replace")
    if declared:
        try:
            return data.decode(declared, errors="strict")
        except UnicodeDecodeError:
            pass  # the declaration lies: fall through to detection
    detected = _detect(data[:CHARSET_DETECT_BYTES])
    return data.decode(detected or declared or "cp1252", errors="replace")


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes, if Python knows it."""
    match = _DECLARED.search(data[:CHARSET_SNIFF_BYTES])
    if not match:
        return None
    name = charset_name((match.group(1) or match.group(2)).decode("ascii"))
    # A declaration spelled in ASCII bytes is not UTF-16 or UTF-32 text: browsers read such a page as UTF-8.
    return "utf-8" if name and name.startswith(("utf-16", "utf-32")) else name


def charset_name(label: str) -> str | None:
    """Python's codec for a charset label a page may be written in, or None (unknown, or not a page charset)."""
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_PAGE_CHARSETS:
        return None
    return info.name


def _detect(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else None


def _is_soup(page: Any) -> bool:
    return type(page).__module__.startswith("bs4") and hasattr(page, "decode_contents")
