# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Word statistics of a page's blocks, compiled: per block its ``\\w+`` words, their
characters, how many are distinct, how many of those are title words, and its stop words
in each language; per page how many distinct stop words of each language it holds. The
same numbers as ``features._word_stats_python`` (``re.findall`` and sets), without a
string object per word: words are hashed and compared where they sit in the page text."""

import numpy as np

from cpython.unicode cimport Py_UNICODE_ISALNUM, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef uint64_t _FNV_OFFSET = 14695981039346656037ULL
cdef uint64_t _FNV_PRIME = 1099511628211ULL


cdef inline bint _is_word(Py_UCS4 c) noexcept:
    """``re``'s ``\\w`` for str patterns (ASCII without a call into the Unicode database)."""
    if c < 128:
        return (u"a" <= c <= u"z") or (u"0" <= c <= u"9") or (u"A" <= c <= u"Z") or c == u"_"
    return Py_UNICODE_ISALNUM(c)


cdef inline uint64_t _mix(uint64_t h, Py_UCS4 c) noexcept:
    """One code point into an FNV-1a hash."""
    return (h ^ <uint64_t>c) * _FNV_PRIME


cdef inline Py_ssize_t _table_size(Py_ssize_t n) noexcept:
    """A power of two at least twice ``n``: open addressing stays short."""
    cdef Py_ssize_t size = 8
    while size < 2 * n:
        size *= 2
    return size


cdef class WordSet:
    """Words, each with a 32-bit mask, found by their characters in a text (exact match)."""

    cdef uint32_t[::1] chars     # every word's code points, one after the other
    cdef int64_t[::1] starts     # word k is chars[starts[k] : starts[k] + lengths[k]]
    cdef int64_t[::1] lengths
    cdef uint64_t[::1] hashes
    cdef readonly uint32_t[::1] masks
    cdef int64_t[::1] slots      # word index per slot, -1 where empty
    cdef Py_ssize_t size

    def __init__(self, dict masks):
        """``masks``: word → mask (bit k: the word is in list k)."""
        words = list(masks)
        self.size = len(words)
        self.chars = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).copy()
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        self.lengths = lengths
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.masks = np.array([masks[w] for w in words], dtype=np.uint32)
        self.hashes = np.zeros(self.size, dtype=np.uint64)
        self.slots = np.full(_table_size(self.size), -1, dtype=np.int64)
        cdef Py_ssize_t k, i, slot, mask = self.slots.shape[0] - 1
        cdef uint64_t h
        for k in range(self.size):
            h = _FNV_OFFSET
            for i in range(self.lengths[k]):
                h = _mix(h, self.chars[self.starts[k] + i])
            self.hashes[k] = h
            slot = <Py_ssize_t>(h & <uint64_t>mask)
            while self.slots[slot] >= 0:
                slot = (slot + 1) & mask
            self.slots[slot] = k

    def __len__(self) -> int:
        return self.size

    cdef Py_ssize_t find(self, int kind, void* data, Py_ssize_t start, Py_ssize_t length, uint64_t h) noexcept:
        """Index of the word ``text[start:start + length]`` (hash ``h``), or -1."""
        cdef Py_ssize_t mask = self.slots.shape[0] - 1, slot = <Py_ssize_t>(h & <uint64_t>mask), k, i, offset
        while True:
            k = self.slots[slot]
            if k < 0:
                return -1
            if self.hashes[k] == h and self.lengths[k] == length:
                offset = self.starts[k]
                for i in range(length):
                    if self.chars[offset + i] != PyUnicode_READ(kind, data, start + i):
                        break
                else:
                    return k
            slot = (slot + 1) & mask


cdef inline bint _same(int kind, void* data, Py_ssize_t a, Py_ssize_t b, Py_ssize_t length) noexcept:
    cdef Py_ssize_t i
    for i in range(length):
        if PyUnicode_READ(kind, data, a + i) != PyUnicode_READ(kind, data, b + i):
            return False
    return True


def word_stats(str lowered, WordSet stops, WordSet title, int n_lists):
    """Statistics of each newline-separated text of ``lowered`` (lower-cased block texts
    joined by newlines): ``(words, word_chars, distinct, in_title, stop_hits, page_hits)``.

    ``words``, ``word_chars``, ``distinct``, ``in_title``: per text, float64 — the number
    of ``\\w+`` words, their total length, the distinct ones, the distinct ones in
    ``title``; ``stop_hits[j, l]``: text j's words (every occurrence) in stop list l of
    ``stops`` (bit l of a word's mask); ``page_hits[l]``: distinct words of the whole
    page in list l.
    """
    cdef Py_ssize_t n = len(lowered), n_texts = lowered.count("\n") + 1
    cdef int kind = PyUnicode_KIND(lowered)
    cdef void* data = PyUnicode_DATA(lowered)
    words_out = np.zeros(n_texts)
    chars_out = np.zeros(n_texts)
    distinct_out = np.zeros(n_texts)
    title_out = np.zeros(n_texts)
    stops_out = np.zeros((n_texts, n_lists))
    page_out = np.zeros(n_lists, dtype=np.int64)
    cdef double[::1] words = words_out, chars = chars_out, distinct = distinct_out, in_title = title_out
    cdef double[:, ::1] stop_hits = stops_out
    cdef int64_t[::1] page_hits = page_out
    cdef unsigned char[::1] seen = np.zeros(max(len(stops), 1), dtype=np.uint8)
    # This text's distinct words so far: open addressing over (start, length, hash).
    cdef int64_t[::1] slot_start = np.empty(8, dtype=np.int64), slot_length = np.empty(8, dtype=np.int64)
    cdef uint64_t[::1] slot_hash = np.empty(8, dtype=np.uint64)
    cdef Py_ssize_t s = 0, e, i, j, b, size, mask, slot, k, length, l
    cdef uint64_t h
    cdef uint32_t bits
    cdef bint new
    for b in range(n_texts):
        e = s
        while e < n and PyUnicode_READ(kind, data, e) != u"\n":
            e += 1
        size = _table_size((e - s + 2) // 2)  # a text of m characters holds at most (m + 1) // 2 words
        if size > slot_start.shape[0]:
            slot_start = np.empty(size, dtype=np.int64)
            slot_length = np.empty(size, dtype=np.int64)
            slot_hash = np.empty(size, dtype=np.uint64)
        slot_start[:size] = -1
        mask = size - 1
        i = s
        while i < e:
            if not _is_word(PyUnicode_READ(kind, data, i)):
                i += 1
                continue
            h = _FNV_OFFSET
            j = i
            while j < e and _is_word(PyUnicode_READ(kind, data, j)):
                h = _mix(h, PyUnicode_READ(kind, data, j))
                j += 1
            length = j - i
            words[b] += 1
            chars[b] += length
            slot = <Py_ssize_t>(h & <uint64_t>mask)
            new = True
            while slot_start[slot] >= 0:
                if slot_hash[slot] == h and slot_length[slot] == length and _same(kind, data, slot_start[slot], i, length):
                    new = False
                    break
                slot = (slot + 1) & mask
            if new:
                slot_start[slot], slot_length[slot], slot_hash[slot] = i, length, h
                distinct[b] += 1
                if title.size and title.find(kind, data, i, length, h) >= 0:
                    in_title[b] += 1
            k = stops.find(kind, data, i, length, h) if stops.size else -1
            if k >= 0:
                bits = stops.masks[k]
                for l in range(n_lists):
                    if (bits >> l) & 1:
                        stop_hits[b, l] += 1
                        if not seen[k]:
                            page_hits[l] += 1
                seen[k] = 1
            i = j
        s = e + 1
    return words_out, chars_out, distinct_out, title_out, stops_out, page_out


def word_sequences(str lowered):
    """Per newline-separated text of ``lowered``: its number of ``\\w+`` words and a 64-bit
    hash of their sequence (texts with the same words in the same order hash alike)."""
    cdef Py_ssize_t n = len(lowered), i = 0, words = 0
    cdef int kind = PyUnicode_KIND(lowered)
    cdef void* data = PyUnicode_DATA(lowered)
    cdef uint64_t h = _FNV_OFFSET
    cdef bint inside = False
    cdef Py_UCS4 c
    cdef list counts = [], hashes = []
    while i <= n:
        c = PyUnicode_READ(kind, data, i) if i < n else u"\n"
        if _is_word(c):
            if not inside:
                words += 1
                inside = True
            h = _mix(h, c)
        else:
            if inside:
                h = _mix(h, 0x110000)  # past every code point: ends the word
                inside = False
            if c == u"\n":
                counts.append(words)
                hashes.append(h)
                words, h = 0, _FNV_OFFSET
        i += 1
    return counts, hashes
