"""One page's blocks → a float32 feature matrix with named, versioned columns.

Work is per page, with Python per block only to read its fields: words, distinct words,
title words and stop words in one compiled pass over the page's joined text
(``_words.pyx``); character classes, sentence ends, dates and keyword phrases by
compiled scans (``_scan.pyx``, ``_phrases.pyx``); then numpy matrices for ratios,
position and neighbour context. Each compiled piece has a Python twin that tests hold
it equal to. Column names are in ``FEATURE_NAMES``; any change to them or to their
meaning bumps ``FEATURE_VERSION``, which model files record.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .blocks import TAG_BITS, Block
from .parse import Document
from .vocab import (
    class_groups, lowercase_keyword_index, lowercase_keywords, schema_groups, stopwords, text_keywords,
)

try:  # the compiled phrase matcher (``_phrases.pyx``), built on install; the regex is the fallback
    from ._phrases import PhraseTable
except ImportError:  # pragma: no cover - a source tree without the built extension
    PhraseTable = None
try:
    from ._scan import class_counts as _class_counts
    from ._scan import dates, sentence_ends, title_words
except ImportError:  # pragma: no cover
    _class_counts = dates = sentence_ends = title_words = None
try:
    from ._words import WordSet, word_sequences as _word_sequences, word_stats as _compiled_word_stats
except ImportError:  # pragma: no cover
    WordSet = _compiled_word_stats = _word_sequences = None

FEATURE_VERSION = 2

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯЁ]")
_LETTER = re.compile(r"[^\W\d_]")
_PUNCT = re.compile(r"[.,;:!?。，、；：！？]")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$|[\"'”’)])")
_TITLE_WORD = re.compile(r"\b[A-ZÀ-ÖØ-ÞА-ЯЁ][a-zà-öø-ÿа-яё]")
_SEPARATOR = re.compile(r"[|»«·•›‹/>]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DATE = re.compile(r"\b(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}|(?:19|20)\d{2})\b")
#: Compiled scans that count what a pattern matches (``_scan.pyx``).
_SCANS = {_SENTENCE_END: sentence_ends, _TITLE_WORD: title_words, _DATE: dates} if sentence_ends else {}
#: The character classes counted per block (or text segment), in one pass (``count_classes``):
#: letters, digits, capitals, punctuation, separators, CJK.
CHAR_CLASSES = (_LETTER, _DIGIT, _UPPER, _PUNCT, _SEPARATOR, _CJK)
_TERMINAL = frozenset('.!?"”’:)。！？')

_CONTAINER_TAGS = (
    ("p",), ("div",), ("li",), ("td", "th"), ("h1",), ("h2", "h3"), ("h4", "h5", "h6"),
    ("pre",), ("blockquote",), ("dd", "dt"), ("section", "article", "main"), ("header", "footer", "nav", "aside"),
    ("button", "option", "form", "fieldset", "legend", "label"), ("figcaption", "caption", "figure"),
)
_CONTAINER_INDEX = {tag: i for i, group in enumerate(_CONTAINER_TAGS) for tag in group}
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
#: Whether a container group (``_CONTAINER_INDEX``; -1, the last entry, for none) is a heading.
_HEADING_GROUP = np.array([float(bool(set(group) & _HEADINGS)) for group in _CONTAINER_TAGS] + [0.0])

_LOCAL = (
    "log_chars", "log_words", "mean_word_len", "log_sentences", "link_density", "log_links",
    "stopword_ratio", "punct_ratio", "digit_ratio", "upper_ratio", "titlecase_ratio",
    "separator_ratio", "cjk_ratio", "date_hits", "ends_with_terminal", "text_density",
    "depth", "is_heading",
)
_CONTEXT_KEYS = ("log_words", "link_density", "stopword_ratio", "text_density", "is_heading", "ends_with_terminal")
_OFFSETS = (-2, -1, 1, 2)


def _names() -> tuple[str, ...]:
    keyword_names, _ = text_keywords()
    class_names, _ = class_groups()
    names = list(_LOCAL)
    names += [f"kw_{k}" for k in keyword_names]
    names += [f"tag_is_{'_'.join(group)}" for group in _CONTAINER_TAGS]
    names += [f"in_{t}" for t in TAG_BITS]
    names += [f"class_{c}" for c in class_names]
    names += [f"anc_class_{c}" for c in class_names]
    names += [
        "rel_index", "rel_char_pos", "text_share", "log_page_blocks", "log_page_chars", "page_link_density",
        "title_overlap", "title_coverage", "rel_depth", "log_path_count", "log_text_repeats",
        "same_path_prev", "same_path_next", "dist_to_longest", "win5_log_words", "win5_link_density",
        "win5_stopword_ratio", "page_stopword_ratio",
    ]
    names += [f"{key}@{off:+d}" for off in _OFFSETS for key in _CONTEXT_KEYS]
    schema, og_types = schema_groups()
    names += [f"schema_{name}" for name, _ in schema] + [f"og_{t}" for t in og_types]
    return tuple(names)


FEATURE_NAMES: tuple[str, ...] = _names()


def page_language(token_sets: Sequence[set[str]]) -> str | None:
    """The stop-word language that covers most distinct tokens of the page, if any does."""
    vocabulary: set[str] = set().union(*token_sets) if token_sets else set()
    return _best_language({language: len(vocabulary & words) for language, words in stopwords().items()})


def _best_language(hits: Mapping[str, int]) -> str | None:
    """The language with most distinct stop words on the page (more than two; the first
    in ``stopwords()`` order on a tie)."""
    best, best_hits = None, 2
    for language, count in hits.items():
        if count > best_hits:
            best, best_hits = language, count
    return best


class WordStats(NamedTuple):
    """Per block: its ``\\w+`` words (lower-cased), their characters, its distinct words,
    those of them in the title, its stop words in the page's ``language`` (None: no stop
    words counted)."""

    words: np.ndarray
    word_chars: np.ndarray
    distinct: np.ndarray
    in_title: np.ndarray
    stops: np.ndarray
    language: str | None


def word_stats(texts: list[str], title_tokens: frozenset[str], lowered: str | None = None) -> WordStats:
    """:class:`WordStats` of a page's block texts: one compiled pass over the page (``_words.pyx``).
    ``lowered``: the texts joined by newlines and lower-cased, when the caller has it."""
    lowered = _lines_lowered(texts, lowered)
    if _compiled_word_stats is None or lowered is None:
        return _word_stats_python(texts, title_tokens)
    languages, table = _stop_table()
    words, chars, distinct, in_title, stop_hits, page_hits = _compiled_word_stats(
        lowered, table, _title_set(title_tokens), len(languages))
    language = _best_language(dict(zip(languages, page_hits.tolist())))
    stops = stop_hits[:, languages.index(language)].copy() if language else np.zeros(len(texts))
    return WordStats(words, chars, distinct, in_title, stops, language)


def word_sequence_keys(texts: list[str]) -> list[tuple[int, Hashable]]:
    """Per text: its number of lower-cased ``\\w+`` words, and a key equal for texts with the
    same words in the same order (a 64-bit hash of them from one compiled pass; the words
    themselves without it). Different words give different keys but for a hash collision."""
    lowered = _lines_lowered(texts)
    if _word_sequences is None or lowered is None:
        words = [tuple(_WORD.findall(t.lower())) for t in texts]
        return [(len(w), w) for w in words]
    return list(zip(*_word_sequences(lowered)))


def _lines_lowered(texts: list[str], lowered: str | None = None) -> str | None:
    """The texts joined by newlines and lower-cased (``lowered`` when the caller has made it),
    for the compiled passes that take one text per line; None when some text holds a newline."""
    lowered = "\n".join(texts).lower() if lowered is None else lowered
    return lowered if lowered.count("\n") == len(texts) - 1 else None


def _word_stats_python(texts: list[str], title_tokens: frozenset[str]) -> WordStats:
    """:func:`word_stats` from ``re.findall`` and sets: the reference for ``_words.pyx``."""
    tokens = [_WORD.findall(t.lower()) for t in texts]
    token_sets = [set(t) for t in tokens]
    language = page_language(token_sets)
    stop = stopwords().get(language, frozenset()) if language else frozenset()
    n = len(texts)
    return WordStats(
        words=np.fromiter(map(len, tokens), np.float64, n),
        word_chars=np.fromiter((sum(map(len, t)) for t in tokens), np.float64, n),
        distinct=np.fromiter(map(len, token_sets), np.float64, n),
        in_title=np.fromiter((len(s & title_tokens) for s in token_sets), np.float64, n),
        stops=np.fromiter((sum(map(stop.__contains__, t)) for t in tokens), np.float64, n),
        language=language,
    )


@lru_cache(maxsize=1)
def _stop_table() -> tuple[tuple[str, ...], WordSet]:
    """The stop-word languages in ``stopwords()`` order and every stop word with a bit per language."""
    languages = tuple(stopwords())
    masks: dict[str, int] = {}
    for bit, language in enumerate(languages):
        for word in stopwords()[language]:
            masks[word] = masks.get(word, 0) | 1 << bit
    return languages, WordSet(masks)


def _title_set(title_tokens: frozenset[str]) -> WordSet:
    return WordSet(dict.fromkeys(title_tokens, 1))


def page_features(document: Document, blocks: Sequence[Block]) -> np.ndarray:
    """Feature matrix of a parsed page's blocks (title and metadata hints included)."""
    return block_features(blocks, document.title, schema_types=document.schema_types, og_type=document.og_type)


def block_features(blocks: Sequence[Block], title: str = "", *, schema_types: frozenset[str] = frozenset(),
                   og_type: str = "") -> np.ndarray:
    """Feature matrix of shape ``(len(blocks), len(FEATURE_NAMES))``, dtype float32."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    texts = [b.text for b in blocks]
    lowered = "\n".join(texts).lower()
    title_tokens = frozenset(_WORD.findall(title.lower()))
    words, word_chars, distinct, in_title, stops, _ = word_stats(texts, title_tokens, lowered)

    letters, digits, uppers, puncts, separators, cjk = count_classes(CHAR_CLASSES, texts)
    chars = np.fromiter(map(len, texts), np.float64, n)
    numbers = np.array([(b.link_chars, b.n_links, b.depth, b.tag_mask, b.class_mask, b.ancestor_class_mask)
                        for b in blocks], dtype=np.int64)
    link_chars, links, depth = numbers[:, :3].T.astype(np.float64)
    container = np.array([_CONTAINER_INDEX.get(b.tag, -1) for b in blocks], dtype=np.int64)
    sentences = _count(_SENTENCE_END, texts)
    is_heading = _HEADING_GROUP[container]
    terminal = np.fromiter((t[-1] in _TERMINAL for t in texts), np.float64, n)
    safe_chars = np.maximum(chars, 1.0)
    safe_words = np.maximum(words, 1.0)
    safe_letters = np.maximum(letters, 1.0)
    link_density = link_chars / safe_chars
    stop_ratio = stops / safe_words
    lines = np.maximum(np.ceil(chars / 80.0), 1.0)
    text_density = words / lines

    local = {
        "log_chars": np.log1p(chars),
        "log_words": np.log1p(words),
        "mean_word_len": word_chars / safe_words,
        "log_sentences": np.log1p(sentences),
        "link_density": link_density,
        "log_links": np.log1p(links),
        "stopword_ratio": stop_ratio,
        "punct_ratio": puncts / safe_chars,
        "digit_ratio": digits / safe_chars,
        "upper_ratio": uppers / safe_letters,
        "titlecase_ratio": _count(_TITLE_WORD, texts) / safe_words,
        "separator_ratio": separators / safe_words,
        "cjk_ratio": cjk / safe_chars,
        "date_hits": np.minimum(_dates(texts, digits), 5.0),
        "ends_with_terminal": terminal,
        "text_density": text_density,
        "depth": depth,
        "is_heading": is_heading,
    }
    columns = [np.column_stack([local[name] for name in _LOCAL])]
    columns.append(keyword_hits(texts, lowered).T)
    columns.append(container[:, None] == np.arange(len(_CONTAINER_TAGS)))
    n_classes = len(class_groups()[0])
    columns += [_bits(numbers[:, 3], len(TAG_BITS)), _bits(numbers[:, 4], n_classes), _bits(numbers[:, 5], n_classes)]

    total_chars = float(chars.sum())
    path_ids, path_counts = group_ids([b.path for b in blocks])
    text_ids, text_counts = group_ids(texts)
    same_path = path_ids[1:] == path_ids[:-1]
    longest = int(np.argmax(chars))
    index = np.arange(n, dtype=np.float64)
    columns += [np.column_stack([
        index / max(n - 1, 1),
        (np.cumsum(chars) - chars) / max(total_chars, 1.0),
        chars / max(total_chars, 1.0),
        np.full(n, math.log1p(n)),
        np.full(n, math.log1p(total_chars)),
        np.full(n, float(link_chars.sum()) / max(total_chars, 1.0)),
        in_title / max(len(title_tokens), 1),
        in_title / np.maximum(distinct, 1.0),
        depth / max(float(depth.max()), 1.0),
        np.log1p(path_counts[path_ids].astype(np.float64)),
        np.log1p((text_counts[text_ids] - 1).astype(np.float64)),
        np.concatenate(([False], same_path)),
        np.concatenate((same_path, [False])),
        (index - longest) / max(n, 1),
    ])]
    columns.append(window_mean(np.column_stack((local["log_words"], link_density, stop_ratio)), 5))
    columns.append(np.full((n, 1), float(stops.sum()) / max(float(words.sum()), 1.0)))
    neighbours = np.column_stack([local[key] for key in _CONTEXT_KEYS])
    columns += [shift(neighbours, offset) for offset in _OFFSETS]
    schema, og_types = schema_groups()
    flags = [bool(types & schema_types) for _, types in schema] + [og_type == t for t in og_types]
    columns.append(np.broadcast_to(np.array(flags, dtype=np.float64), (n, len(flags))))
    return np.hstack(columns, dtype=np.float32)


def group_ids(keys: list) -> tuple[np.ndarray, np.ndarray]:
    """Each key's group number (in order of first appearance) and each group's size."""
    ids: dict = {}
    numbers = np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)
    return numbers, np.bincount(numbers, minlength=len(ids))


def count_matches(pattern: re.Pattern[str], texts: list[str]) -> np.ndarray:
    """Number of matches of ``pattern`` in each text."""
    findall = pattern.findall
    return np.fromiter((len(findall(t)) for t in texts), np.float64, len(texts))


def _count(pattern: re.Pattern[str], texts: list[str]) -> np.ndarray:
    """Matches of a pattern per text: a compiled scan where there is one for it."""
    scan = _SCANS.get(pattern)
    if scan is not None:
        return np.asarray(scan(texts), dtype=np.float64)
    return count_matches_joined(pattern, texts)


def count_matches_joined(pattern: re.Pattern[str], texts: list[str]) -> np.ndarray:
    """:func:`count_matches` from one pass over the texts joined by newlines: for patterns
    that never match a newline and whose boundaries (``\\b``, ``$``, ``\\s``) hold at a
    newline as at the end of a string."""
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    positions = [m.start() for m in pattern.finditer("\n".join(texts))]
    return np.bincount(np.searchsorted(starts, positions, side="right") - 1, minlength=len(texts)).astype(np.float64)


def count_classes(patterns: tuple[re.Pattern[str], ...], texts: list[str]) -> np.ndarray:
    """:func:`count_matches` of up to eight single-character patterns (character classes,
    whatever their context) at once, shape ``(len(patterns), len(texts))``: one lookup per
    character in a table of all code points instead of a regex call per text and pattern."""
    table = _class_table(patterns)
    if _class_counts is not None:
        return _class_counts(texts, table, len(patterns))
    bits = table[np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    bounds = np.cumsum([0, *map(len, texts)])
    out = np.empty((len(patterns), len(texts)))
    for k in range(len(patterns)):
        hits = np.concatenate(([0], np.cumsum((bits >> k) & 1, dtype=np.int64)))
        out[k] = hits[bounds[1:]] - hits[bounds[:-1]]
    return out


@lru_cache(maxsize=8)
def _class_table(patterns: tuple[re.Pattern[str], ...]) -> np.ndarray:
    """Bit k set for the code points ``patterns[k]`` matches (all of Unicode: 1.1 MB, made once)."""
    if len(patterns) > 8:
        raise ValueError("at most eight character classes per table")
    table = np.zeros(0x110000, dtype=np.uint8)
    for plane in range(0, 0x110000, 0x10000):  # a plane at a time: a few MB at most while building
        chars = "".join(map(chr, range(plane, plane + 0x10000)))
        for k, pattern in enumerate(patterns):
            table[[plane + m.start() for m in pattern.finditer(chars)]] |= 1 << k
    return table


def _dates(texts: list[str], digits: np.ndarray) -> np.ndarray:
    """Matches of ``_DATE`` per text; every one needs a digit, so only texts with digits are searched."""
    dates = np.zeros(len(texts))
    with_digits = digits > 0
    if with_digits.any():
        dates[with_digits] = _count(_DATE, [t for t, d in zip(texts, with_digits) if d])
    return dates


def keyword_hits(texts: list[str], lowered: str | None = None) -> np.ndarray:
    """Keyword-group hit counts per text (block or segment), from one pass over the joined
    texts (``lowered``: them joined by newlines and lower-cased, when the caller has it)."""
    names, _ = text_keywords()
    joined = "\n".join(texts).lower() if lowered is None else lowered
    if len(joined) == sum(map(len, texts)) + len(texts) - 1:
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    else:  # lower() changed some text's length: offsets come from the lowered texts
        parts = [t.lower() for t in texts]
        starts = np.cumsum([0] + [len(t) + 1 for t in parts[:-1]])
        joined = "\n".join(parts)
    if PhraseTable is not None:
        positions, groups = _phrase_table().find(joined)
    else:
        positions, groups = [], []
        for match in lowercase_keywords().finditer(joined):
            positions.append(match.start())
            groups.append(int(match.lastgroup[1:]))
    n = len(texts)
    if not positions:
        return np.zeros((len(names), n))
    block_of = np.searchsorted(starts, np.asarray(positions), side="right") - 1
    hits = np.bincount(np.asarray(groups) * n + block_of, minlength=len(names) * n).reshape(len(names), n)
    return np.minimum(hits, 5).astype(np.float64)


@lru_cache(maxsize=1)
def _phrase_table() -> PhraseTable:
    return PhraseTable(lowercase_keyword_index())


def _bits(masks: np.ndarray, width: int) -> np.ndarray:
    """Bits 0 … width-1 of each mask, as columns of 0/1."""
    return (masks[:, None] >> np.arange(width)) & 1


def shift(values: np.ndarray, offset: int) -> np.ndarray:
    """values[i + offset] (rows, for a matrix), with -1 where that neighbour does not exist."""
    out = np.full_like(values, -1.0)
    if offset < 0:
        out[-offset:] = values[:offset]
    else:
        out[:-offset] = values[offset:]
    return out


def window_sum(values: np.ndarray, radius: int) -> np.ndarray:
    """Sum of ``values`` over ``i - radius … i + radius`` (clipped at the ends; each column of a matrix)."""
    padded = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])
    lo, hi = _window(len(values), radius)
    return padded[hi] - padded[lo]


def window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over ``i - radius … i + radius`` (clipped at the ends; each column of a matrix)."""
    lo, hi = _window(len(values), radius)
    return window_sum(values, radius) / (hi - lo).reshape(-1, *[1] * (values.ndim - 1))


def _window(n: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(n)
    return np.maximum(index - radius, 0), np.minimum(index + radius + 1, n)  # np.clip costs more
