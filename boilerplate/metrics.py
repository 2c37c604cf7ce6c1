"""Text-level and block-level scores.

Text level, as in the public article-extraction benchmark: lower-cased ``\\w+`` tokens,
multisets of 4-token shingles, precision and recall per page (averaged over pages by
:func:`summarize`; F1 is taken from the two averages). WCXB's own metric is the word-bag
F1 per page, averaged over pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased ``\\w+`` tokens."""
    return _TOKEN.findall(text.lower()) if text else []


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of ``n``-token shingles; a text shorter than ``n`` tokens is one shingle."""
    words = tokens(text)
    if 0 < len(words) < n:
        return Counter([tuple(words)])
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float


def _prf(overlap: int, predicted: int, gold: int) -> PRF:
    if gold == 0 and predicted == 0:
        return PRF(1.0, 1.0, 1.0)
    if gold == 0 or predicted == 0:
        return PRF(0.0, 0.0, 0.0)
    precision, recall = overlap / predicted, overlap / gold
    return PRF(precision, recall, f1(precision, recall))


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def shingle_prf(predicted: str, gold: str, n: int = 4) -> PRF:
    """Text-level precision/recall/F1 of one page (4-gram shingle multisets)."""
    p, g = shingles(predicted, n), shingles(gold, n)
    return _prf(sum((p & g).values()), sum(p.values()), sum(g.values()))


def word_prf(predicted: str, gold: str) -> PRF:
    """WCXB's word-bag precision/recall/F1 of one page."""
    p, g = Counter(tokens(predicted)), Counter(tokens(gold))
    return _prf(sum((p & g).values()), sum(p.values()), sum(g.values()))


def summarize(scores: Iterable[PRF]) -> PRF:
    """Benchmark summary: precision and recall averaged over pages, F1 from the averages."""
    rows = [(s.precision, s.recall) for s in scores]
    if not rows:
        return PRF(0.0, 0.0, 0.0)
    precision, recall = (float(v) for v in np.mean(np.asarray(rows), axis=0))
    return PRF(precision, recall, f1(precision, recall))


def mean_f1(scores: Iterable[PRF]) -> float:
    """Mean of per-page F1 (WCXB's summary)."""
    values = [s.f1 for s in scores]
    return float(np.mean(values)) if values else 0.0


def block_prf(predicted: np.ndarray, gold: np.ndarray, weights: np.ndarray | None = None) -> PRF:
    """Block-level precision/recall/F1 of boolean labels, optionally weighted."""
    w = np.ones(len(gold)) if weights is None else np.asarray(weights, dtype=np.float64)
    predicted, gold = np.asarray(predicted, bool), np.asarray(gold, bool)
    tp = float(w[predicted & gold].sum())
    p, g = float(w[predicted].sum()), float(w[gold].sum())
    if p == 0 and g == 0:
        return PRF(1.0, 1.0, 1.0)
    precision = tp / p if p else 0.0
    recall = tp / g if g else 0.0
    return PRF(precision, recall, f1(precision, recall))
