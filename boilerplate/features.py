"""One page's blocks → a float32 feature matrix with named, versioned columns.

Work is per page: a few C-level string calls per block (findall, set intersection);
character classes counted through a code-point table over the page's text, keywords,
dates and sentence ends in one regex pass over the page's joined text; then numpy for
ratios, position and neighbour context. Column names are in ``FEATURE_NAMES``; any
change to them or to their meaning bumps ``FEATURE_VERSION``, which model files record.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .blocks import TAG_BITS, Block
from .parse import Document
from .vocab import (
    class_groups, lowercase_keyword_index, lowercase_keywords, schema_groups, stopwords, text_keywords,
)

try:  # the compiled phrase matcher (``_phrases.pyx``), built on install; the regex is the fallback
    from ._phrases import find_phrases as _find_phrases
except ImportError:  # pragma: no cover - a source tree without the built extension
    _find_phrases = None
try:
    from ._scan import class_counts as _class_counts
    from ._scan import dates, sentence_ends, title_words
    from ._scan import word_runs as _word_runs
except ImportError:  # pragma: no cover
    _class_counts = dates = sentence_ends = title_words = _word_runs = None

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
    best, best_hits = None, 2
    for language, words in stopwords().items():
        hits = len(vocabulary & words)
        if hits > best_hits:
            best, best_hits = language, hits
    return best


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
    tokens, words, word_chars = _tokens(texts)
    token_sets = [set(t) for t in tokens]
    language = page_language(token_sets)
    stop = stopwords().get(language, frozenset()) if language else frozenset()

    letters, digits, uppers, puncts, separators, cjk = count_classes(CHAR_CLASSES, texts)
    chars = np.fromiter(map(len, texts), np.float64, n)
    stops = np.fromiter((sum(map(stop.__contains__, t)) for t in tokens), np.float64, n)
    link_chars = np.fromiter((b.link_chars for b in blocks), np.float64, n)
    links = np.fromiter((b.n_links for b in blocks), np.float64, n)
    depth = np.fromiter((b.depth for b in blocks), np.float64, n)
    sentences = _count(_SENTENCE_END, texts)
    is_heading = np.fromiter((b.tag in _HEADINGS for b in blocks), np.float64, n)
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
    columns = [local[name] for name in _LOCAL]
    columns.append(keyword_hits(texts).T)
    container = np.fromiter((_CONTAINER_INDEX.get(b.tag, -1) for b in blocks), np.int64, n)
    columns.append((container[:, None] == np.arange(len(_CONTAINER_TAGS))).astype(np.float64))
    columns.append(_bits((b.tag_mask for b in blocks), n, len(TAG_BITS)))
    n_classes = len(class_groups()[0])
    columns.append(_bits((b.class_mask for b in blocks), n, n_classes))
    columns.append(_bits((b.ancestor_class_mask for b in blocks), n, n_classes))

    total_chars = float(chars.sum())
    title_tokens = set(_WORD.findall(title.lower()))
    overlap = np.fromiter((len(s & title_tokens) for s in token_sets), np.float64, n)
    path_counts = Counter(b.path for b in blocks)
    text_counts = Counter(texts)
    paths = [b.path for b in blocks]
    same_prev = np.array([0.0] + [float(paths[i] == paths[i - 1]) for i in range(1, n)])
    same_next = np.array([float(paths[i] == paths[i + 1]) for i in range(n - 1)] + [0.0])
    longest = int(np.argmax(chars))
    index = np.arange(n, dtype=np.float64)
    columns += [
        index / max(n - 1, 1),
        (np.cumsum(chars) - chars) / max(total_chars, 1.0),
        chars / max(total_chars, 1.0),
        np.full(n, math.log1p(n)),
        np.full(n, math.log1p(total_chars)),
        np.full(n, float(link_chars.sum()) / max(total_chars, 1.0)),
        overlap / max(len(title_tokens), 1),
        overlap / np.maximum(np.fromiter(map(len, token_sets), np.float64, n), 1.0),
        depth / max(float(depth.max()), 1.0),
        np.log1p(np.fromiter((path_counts[p] for p in paths), np.float64, n)),
        np.log1p(np.fromiter((text_counts[t] - 1 for t in texts), np.float64, n)),
        same_prev,
        same_next,
        (index - longest) / max(n, 1),
        window_mean(local["log_words"], 5),
        window_mean(link_density, 5),
        window_mean(stop_ratio, 5),
        np.full(n, float(stops.sum()) / max(float(words.sum()), 1.0)),
    ]
    for offset in _OFFSETS:
        columns += [shift(local[key], offset) for key in _CONTEXT_KEYS]
    schema, og_types = schema_groups()
    columns += [np.full(n, float(bool(types & schema_types))) for _, types in schema]
    columns += [np.full(n, float(og_type == t)) for t in og_types]
    return np.column_stack(columns).astype(np.float32)


def _tokens(texts: list[str]) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Each text's lower-cased ``\\w+`` tokens, their number and their total length: one
    findall over the page, cut per text by a compiled count (block texts hold no newline)."""
    if _word_runs is None:
        tokens = [_WORD.findall(t.lower()) for t in texts]
        return (tokens, np.fromiter(map(len, tokens), np.float64, len(texts)),
                np.fromiter((sum(map(len, t)) for t in tokens), np.float64, len(texts)))
    lowered = "\n".join(texts).lower()  # the same as lowering each text: case rules stop at a newline
    runs, run_chars = _word_runs(lowered)
    flat = _WORD.findall(lowered)
    bounds = np.cumsum([0, *runs]).tolist()
    tokens = [flat[a:b] for a, b in zip(bounds, bounds[1:])]
    return tokens, np.asarray(runs, dtype=np.float64), np.asarray(run_chars, dtype=np.float64)


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


def keyword_hits(texts: list[str]) -> np.ndarray:
    """Keyword-group hit counts per text (block or segment), from one regex pass over the joined texts."""
    names, _ = text_keywords()
    joined = "\n".join(texts).lower()
    if len(joined) == sum(map(len, texts)) + len(texts) - 1:
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    else:  # lower() changed some text's length: offsets come from the lowered texts
        lowered = [t.lower() for t in texts]
        starts = np.cumsum([0] + [len(t) + 1 for t in lowered[:-1]])
        joined = "\n".join(lowered)
    if _find_phrases is not None:
        positions, groups = _find_phrases(joined, lowercase_keyword_index())
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


def _bits(masks, n: int, width: int) -> np.ndarray:
    """Bits 0 … width-1 of each mask, as columns of 0/1."""
    values = np.fromiter(masks, np.int64, n)
    return ((values[:, None] >> np.arange(width)) & 1).astype(np.float64)


def shift(values: np.ndarray, offset: int) -> np.ndarray:
    """values[i + offset], with -1 where that neighbour does not exist."""
    out = np.full_like(values, -1.0)
    if offset < 0:
        out[-offset:] = values[:offset]
    else:
        out[:-offset] = values[offset:]
    return out


def window_sum(values: np.ndarray, radius: int) -> np.ndarray:
    """Sum of ``values`` over ``i - radius … i + radius`` (clipped at the ends)."""
    padded = np.concatenate([[0.0], np.cumsum(values)])
    lo, hi = _window(len(values), radius)
    return padded[hi] - padded[lo]


def window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over ``i - radius … i + radius`` (clipped at the ends)."""
    lo, hi = _window(len(values), radius)
    return window_sum(values, radius) / (hi - lo)


def _window(n: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(n)
    return np.clip(index - radius, 0, n), np.clip(index + radius + 1, 0, n)
