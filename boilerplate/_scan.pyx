# cython: language_level=3, boundscheck=False, wraparound=False
"""Character scans, compiled, that stand in for regex passes over a whole page: each gives
exactly what the regex named in its docstring gives (tests compare them)."""

from cpython.unicode cimport (
    Py_UNICODE_ISALNUM, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ,
)


cdef inline bint _is_word(Py_UCS4 c) noexcept:
    """``re``'s ``\\w`` for str patterns (ASCII without a call into the Unicode database)."""
    if c < 128:
        return (u"a" <= c <= u"z") or (u"0" <= c <= u"9") or (u"A" <= c <= u"Z") or c == u"_"
    return Py_UNICODE_ISALNUM(c)


cdef inline bint _forbidden(Py_UCS4 c) noexcept:
    return (c <= 0x1f and c != 0x09 and c != 0x0a and c != 0x0d) or c == 0xfffe or c == 0xffff or 0xd800 <= c <= 0xdfff


def has_forbidden(str text):
    """Whether ``decode._FORBIDDEN`` (``[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff\\ud800-\\udfff]``) matches."""
    cdef Py_UCS4 c
    for c in text:
        if _forbidden(c):
            return True
    return False


cdef inline bint _name_char(Py_UCS4 c) noexcept:
    """``[^\\s/>"'=]``: a character of an attribute's name (or unquoted value)."""
    return not (Py_UNICODE_ISSPACE(c) or c == u"/" or c == u">" or c == u'"' or c == u"'" or c == u"=")


cdef inline unsigned int _folded(Py_UCS4 c) noexcept:
    """An ASCII letter lower-cased (bit 0x20 set); no other character lands on h, t, m or l."""
    return (<unsigned int>c) | 0x20


cdef inline bint _html_end_at(int kind, void* data, Py_ssize_t i, Py_ssize_t n) noexcept:
    """Whether ``</html\\s*>`` (any case) starts at ``i``."""
    cdef Py_ssize_t j = i + 6
    if j + 1 > n or PyUnicode_READ(kind, data, i + 1) != u"/" \
            or _folded(PyUnicode_READ(kind, data, i + 2)) != 0x68 or _folded(PyUnicode_READ(kind, data, i + 3)) != 0x74 \
            or _folded(PyUnicode_READ(kind, data, i + 4)) != 0x6d or _folded(PyUnicode_READ(kind, data, i + 5)) != 0x6c:
        return False  # not "</html" (0x68 0x74 0x6d 0x6c) in any case
    while j < n and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)):
        j += 1
    return j < n and PyUnicode_READ(kind, data, j) == u">"


def scan_tags(str text, Py_ssize_t max_attributes):
    """One pass over the page's tags, for what ``parse`` must fix before libxml2 reads it:
    whether some start tag (``<[A-Za-z][^<>]*``) holds more than ``max_attributes`` runs of
    attribute-name characters (every attribute of a tag starts such a run, so when this is
    False no tag has more than ``max_attributes`` attributes), and where the first
    ``</html\\s*>`` end tag starts, any case (``parse._HTML_END.search``), or -1."""
    cdef Py_ssize_t n = len(text), i = 0, runs, html_end = -1
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 c
    cdef bint inside, many = False
    while i + 1 < n and not (many and html_end >= 0):
        if PyUnicode_READ(kind, data, i) != u"<":
            i += 1
            continue
        c = PyUnicode_READ(kind, data, i + 1)
        if html_end < 0 and c == u"/" and _html_end_at(kind, data, i, n):
            html_end = i
        if many or not (u"a" <= c <= u"z" or u"A" <= c <= u"Z"):
            i += 1
            continue
        i += 1
        runs, inside = 0, False
        while i < n:
            c = PyUnicode_READ(kind, data, i)
            if c == u"<" or c == u">":
                break
            if _name_char(c):
                if not inside:
                    runs += 1
                    inside = True
            else:
                inside = False
            i += 1
        if runs > max_attributes:
            many = True
    return many, html_end


cdef inline bint _upper(Py_UCS4 c) noexcept:
    """``[A-ZÀ-ÖØ-ÞА-ЯЁ]``"""
    return (u"A" <= c <= u"Z") or (u"À" <= c <= u"Ö") or (u"Ø" <= c <= u"Þ") or (u"А" <= c <= u"Я") or c == u"Ё"


cdef inline bint _lower(Py_UCS4 c) noexcept:
    """``[a-zà-öø-ÿа-яё]``"""
    return (u"a" <= c <= u"z") or (u"à" <= c <= u"ö") or (u"ø" <= c <= u"ÿ") or (u"а" <= c <= u"я") or c == u"ё"


ctypedef Py_ssize_t (*_TextCount)(str text)


cdef list _per_text(list texts, _TextCount count):
    """``count`` of every text."""
    cdef str text
    return [count(text) for text in texts]


cdef Py_ssize_t _title_words_in(str text):
    cdef Py_ssize_t i, hits = 0
    for i in range(len(text) - 1):
        if _upper(text[i]) and _lower(text[i + 1]) and (i == 0 or not _is_word(text[i - 1])):
            hits += 1
    return hits


def title_words(list texts):
    """Matches of ``\\b[A-ZÀ-ÖØ-ÞА-ЯЁ][a-zà-öø-ÿа-яё]`` in each text."""
    return _per_text(texts, _title_words_in)


cdef inline bint _sentence_mark(Py_UCS4 c) noexcept:
    """``[.!?。！？]``"""
    return c == u"." or c == u"!" or c == u"?" or c == u"。" or c == u"！" or c == u"？"


cdef inline bint _closing(Py_UCS4 c) noexcept:
    """``[\\"'”’)]``"""
    return c == u'"' or c == u"'" or c == u"”" or c == u"’" or c == u")"


cdef Py_ssize_t _sentence_ends_in(str text):
    cdef Py_ssize_t i, n = len(text), hits = 0
    for i in range(n):
        if _sentence_mark(text[i]) and (i + 1 == n or Py_UNICODE_ISSPACE(text[i + 1]) or _closing(text[i + 1])):
            hits += 1
    return hits


def sentence_ends(list texts):
    """Matches of ``[.!?。！？](?=\\s|$|[\\"'”’)])`` in each text."""
    return _per_text(texts, _sentence_ends_in)


def class_counts(list texts, const unsigned char[::1] table, int n_classes):
    """Per character class k (bit k of ``table[code point]``) and text j, how many of the
    text's characters are in the class: ``out[k, j]``."""
    import numpy as np

    out = np.zeros((n_classes, len(texts)), dtype=np.float64)
    cdef double[:, ::1] counts = out
    cdef Py_ssize_t j = 0
    cdef int k
    cdef unsigned char bits
    cdef Py_UCS4 c
    cdef str text
    for text in texts:
        for c in text:
            bits = table[c]
            if bits:
                for k in range(n_classes):
                    if (bits >> k) & 1:
                        counts[k, j] += 1
        j += 1
    return out


cdef inline Py_ssize_t _digits(str text, Py_ssize_t i, Py_ssize_t n) noexcept:
    """Length of the run of decimal digits (``\\d``) starting at ``i``."""
    cdef Py_ssize_t j = i
    while j < n and Py_UNICODE_ISDECIMAL(text[j]):
        j += 1
    return j - i


cdef inline bint _ends_word(str text, Py_ssize_t i, Py_ssize_t n) noexcept:
    """``\\b`` after a word character at ``i - 1``: the end, or a non-word character at ``i``."""
    return i >= n or not _is_word(text[i])


cdef Py_ssize_t _date_at(str text, Py_ssize_t i, Py_ssize_t n) noexcept:
    """End of a ``_DATE`` match starting at ``i`` (a word boundary before a digit), or -1.

    Each digit run of the pattern is followed by a non-digit or a ``\\b``, so no
    backtracking can help: every run must be whole, of an allowed length.
    """
    cdef Py_ssize_t r = _digits(text, i, n), j, r2, r3
    cdef Py_UCS4 sep
    if 1 <= r <= 4 and i + r < n:  # \d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b
        sep = text[i + r]
        if sep == u"-" or sep == u"/" or sep == u".":
            j = i + r + 1
            r2 = _digits(text, j, n)
            if 1 <= r2 <= 2 and j + r2 < n:
                sep = text[j + r2]
                if sep == u"-" or sep == u"/" or sep == u".":
                    j += r2 + 1
                    r3 = _digits(text, j, n)
                    if 1 <= r3 <= 4 and _ends_word(text, j + r3, n):
                        return j + r3
    if 1 <= r <= 2 and i + r < n and text[i + r] == u":":  # \d{1,2}:\d{2}\b
        j = i + r + 1
        if _digits(text, j, n) == 2 and _ends_word(text, j + 2, n):
            return j + 2
    if r == 4 and ((text[i] == u"1" and text[i + 1] == u"9") or (text[i] == u"2" and text[i + 1] == u"0")) \
            and _ends_word(text, i + 4, n):  # (?:19|20)\d{2}\b
        return i + 4
    return -1


cdef Py_ssize_t _dates_in(str text):
    cdef Py_ssize_t i = 0, n = len(text), end, hits = 0
    while i < n:
        if Py_UNICODE_ISDECIMAL(text[i]) and (i == 0 or not _is_word(text[i - 1])):
            end = _date_at(text, i, n)
            if end > i:
                hits += 1
                i = end
                continue
        i += 1
    return hits


def dates(list texts):
    """Matches of ``\\b(?:\\d{1,4}[-/.]\\d{1,2}[-/.]\\d{1,4}|\\d{1,2}:\\d{2}|(?:19|20)\\d{2})\\b`` per text."""
    return _per_text(texts, _dates_in)
