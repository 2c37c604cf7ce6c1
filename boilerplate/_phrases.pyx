# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Phrase matching on word boundaries, compiled: what the regex ``vocab.lowercase_keywords``
finds, in the same order with the same leftmost-first choice, without the regex engine's
cost per character. A test compares the two on generated texts."""

import numpy as np

from cpython.unicode cimport Py_UNICODE_ISALNUM, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport int32_t, int64_t, uint32_t


cdef inline bint _is_word(Py_UCS4 c) noexcept:
    """``re``'s ``\\w`` for str patterns (ASCII without a call into the Unicode database)."""
    if c < 128:
        return (u"a" <= c <= u"z") or (u"0" <= c <= u"9") or (u"A" <= c <= u"Z") or c == u"_"
    return Py_UNICODE_ISALNUM(c)


cdef inline bint _boundary(int kind, void* data, Py_ssize_t i, Py_ssize_t n) noexcept:
    """``re``'s ``\\b`` at position ``i``."""
    cdef bint before = i > 0 and _is_word(PyUnicode_READ(kind, data, i - 1))
    cdef bint after = i < n and _is_word(PyUnicode_READ(kind, data, i))
    return before != after


def _flat(list strings):
    """The strings' code points one after the other, and where each starts and how long it is."""
    chars = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).copy()
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    return chars, np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64), lengths


cdef class PhraseTable:
    """The phrases as flat arrays, grouped by first character in the order the regex tries them."""

    cdef uint32_t[::1] chars       # every phrase's code points, one phrase after the other
    cdef int64_t[::1] starts       # phrase k is chars[starts[k] : starts[k] + lengths[k]]
    cdef int64_t[::1] lengths
    cdef int32_t[::1] groups
    cdef int64_t[::1] first        # phrases starting with character c: first[c] … first[c + 1] - 1
    cdef uint32_t[::1] first_chars  # the distinct first characters, sorted
    cdef uint32_t[::1] seconds      # each phrase's second character (0 for a one-character phrase)
    cdef int64_t[256] latin1_group  # the group of a Latin-1 first character, or -1

    def __init__(self, dict by_first):
        """``by_first``: a phrase's first character → its ``(phrase, group)`` pairs in the order the regex tries them."""
        keys = sorted(by_first, key=ord)
        phrases = [pair for key in keys for pair in by_first[key]]
        self.chars, self.starts, self.lengths = _flat([p for p, _ in phrases])
        self.groups = np.array([g for _, g in phrases], dtype=np.int32)
        self.first_chars = np.array([ord(k) for k in keys], dtype=np.uint32)
        self.first = np.cumsum([0] + [len(by_first[k]) for k in keys]).astype(np.int64)
        self.seconds = np.array([ord(p[1]) if len(p) > 1 else 0 for p, _ in phrases], dtype=np.uint32)
        cdef Py_ssize_t c
        for c in range(256):
            self.latin1_group[c] = self._group_of(c)

    cdef Py_ssize_t _group_of(self, Py_UCS4 c) noexcept:
        """Index of ``c`` in ``first_chars``, or -1."""
        cdef Py_ssize_t lo = 0, hi = self.first_chars.shape[0], mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self.first_chars[mid] < c:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self.first_chars.shape[0] and self.first_chars[lo] == c else -1

    cdef bint _matches(self, int kind, void* data, Py_ssize_t i, Py_ssize_t n, Py_ssize_t k) noexcept:
        """Whether phrase k sits at ``text[i:]``, its first two characters known to match."""
        cdef Py_ssize_t j, length = self.lengths[k], offset = self.starts[k]
        if i + length > n:
            return False
        for j in range(2, length):
            if PyUnicode_READ(kind, data, i + j) != self.chars[offset + j]:
                return False
        return True

    def find(self, str text):
        """Start offsets and group numbers of the phrases found in ``text``, left to right.

        A phrase must start and end on a word boundary; after a match the search goes on
        at its end, as ``re.finditer`` does.
        """
        cdef Py_ssize_t n = len(text), i = 0, g, k, step
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef list starts = [], groups = []
        cdef bint wide_firsts = False, before = False, here
        cdef Py_UCS4 c, second
        for g in range(self.first_chars.shape[0]):
            if self.first_chars[g] >= 256:
                wide_firsts = True
        while i < n:  # ``before``: whether the character before i is a word character
            c = PyUnicode_READ(kind, data, i)
            here = _is_word(c)
            step = 1
            g = self.latin1_group[c] if c < 256 else (self._group_of(c) if wide_firsts else -1)
            if g >= 0 and before != here:  # phrases to try, at a word boundary
                second = PyUnicode_READ(kind, data, i + 1) if i + 1 < n else 0
                for k in range(self.first[g], self.first[g + 1]):
                    if ((self.seconds[k] == second or self.lengths[k] == 1) and self._matches(kind, data, i, n, k)
                            and _boundary(kind, data, i + self.lengths[k], n)):
                        starts.append(i)
                        groups.append(self.groups[k])
                        step = self.lengths[k]
                        here = _is_word(PyUnicode_READ(kind, data, i + step - 1))
                        break
            i += step
            before = here
        return starts, groups


cdef inline bint _is_ascii_alnum(Py_UCS4 c) noexcept:
    return (u"a" <= c <= u"z") or (u"0" <= c <= u"9")


cdef class ClassWordTable:
    """The class/id words of ``vocab.class_groups``, matched as its regex matches them: at a
    token start (not after ``[a-z0-9]``), the first word in the regex's order that the text
    continues with (words of three letters or fewer only as a whole token); after a match
    the search goes on at its end. Words are ASCII, looked up by their first letter."""

    cdef uint32_t[::1] chars
    cdef int64_t[::1] starts
    cdef int64_t[::1] lengths
    cdef int32_t[::1] groups
    cdef unsigned char[::1] whole
    cdef int64_t[129] first         # words starting with ASCII c: first[c] … first[c + 1] - 1

    def __init__(self, list words):
        """``words``: ``(word, group, whole_token_only)`` in the order the regex tries them."""
        cdef Py_ssize_t c
        if any(not w or not w.isascii() for w, _, _ in words) or any(not 0 <= g < 63 for _, g, _ in words):
            raise ValueError("class/id words must be non-empty ASCII, in at most 63 groups")
        ordered = sorted(words, key=lambda item: ord(item[0][0]))  # stable: the regex's order within a letter
        self.chars, self.starts, self.lengths = _flat([w for w, _, _ in ordered])
        self.groups = np.array([g for _, g, _ in ordered], dtype=np.int32)
        self.whole = np.array([bool(x) for _, _, x in ordered], dtype=np.uint8)
        first = np.concatenate(([0], np.cumsum(np.bincount([ord(w[0]) for w, _, _ in ordered], minlength=128))))
        for c in range(129):
            self.first[c] = first[c]

    def mask(self, str lowered):
        """Bit ``1 << group`` for every group with a word in ``lowered`` (a lower-cased class plus id)."""
        cdef Py_ssize_t n = len(lowered), i, j, k, length, offset, end = 0
        cdef int kind = PyUnicode_KIND(lowered)
        cdef void* data = PyUnicode_DATA(lowered)
        cdef Py_ssize_t c
        cdef unsigned long long bits = 0
        cdef bint found
        for i in range(n):
            c = <Py_ssize_t>PyUnicode_READ(kind, data, i)
            if i < end or c >= 128 or self.first[c] == self.first[c + 1]:
                continue
            if i > 0 and _is_ascii_alnum(PyUnicode_READ(kind, data, i - 1)):
                continue
            for k in range(self.first[c], self.first[c + 1]):
                length, offset = self.lengths[k], self.starts[k]
                if i + length > n:
                    continue
                found = True
                for j in range(1, length):
                    if PyUnicode_READ(kind, data, i + j) != self.chars[offset + j]:
                        found = False
                        break
                if found and self.whole[k] and i + length < n and _is_ascii_alnum(PyUnicode_READ(kind, data, i + length)):
                    found = False
                if found:
                    bits |= 1ULL << self.groups[k]
                    end = i + length
                    break
        return bits
