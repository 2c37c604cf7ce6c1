"""Gold text → block labels, by token alignment, with a quality measure.

A block of four or more tokens is content when at least half of its tokens lie in a
4-token window that also occurs in the gold text. A shorter block (a heading, a byline)
is content when its tokens are a whole gold paragraph or sit inside a short one: a bare
"Share" or "Home" occurs in many gold texts as a word, rarely as a paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import shingle_prf, shingles, tokens

#: Bump when the labelling rule changes (cached training data is keyed by it).
ALIGN_VERSION = 1
WINDOW = 4
MIN_COVERAGE = 0.5
SHORT_PARAGRAPH_TOKENS = 12


@dataclass(frozen=True, slots=True)
class Alignment:
    """Labels of a page's blocks and how well the labelled text recovers the gold."""

    labels: np.ndarray      # bool per block
    coverage: np.ndarray    # fraction of each block's tokens found in the gold
    ceiling: float          # 4-gram-shingle F1 of the labelled blocks' text against the gold
    gold_in_page: float     # fraction of gold shingles present anywhere in the page text


def align(block_texts: Sequence[str], gold: str) -> Alignment:
    """Label blocks whose text is (mostly) part of ``gold``."""
    gold_tokens = tokens(gold)
    grams = {tuple(gold_tokens[i:i + WINDOW]) for i in range(len(gold_tokens) - WINDOW + 1)}
    paragraphs = [tuple(tokens(p)) for p in gold.split("\n")]
    whole = {p for p in paragraphs if p}
    short_text = "\n".join(" ".join(p) for p in paragraphs if 0 < len(p) <= SHORT_PARAGRAPH_TOKENS)
    n = len(block_texts)
    coverage = np.zeros(n)
    for i, text in enumerate(block_texts):
        words = tokens(text)
        if not words:
            continue
        if len(words) < WINDOW:
            key = tuple(words)
            if key in whole or f" {' '.join(key)} " in f" {short_text.replace(chr(10), '  ')} ":
                coverage[i] = 1.0
            continue
        hit = np.fromiter((tuple(words[j:j + WINDOW]) in grams for j in range(len(words) - WINDOW + 1)), bool)
        covered = np.zeros(len(words), bool)
        for k in range(WINDOW):
            covered[k:k + len(hit)] |= hit
        coverage[i] = covered.mean()
    labels = coverage >= MIN_COVERAGE
    labelled = "\n\n".join(t for t, keep in zip(block_texts, labels) if keep)
    page = shingles("\n".join(block_texts))
    gold_shingles = shingles(gold)
    present = sum((gold_shingles & page).values()) / max(sum(gold_shingles.values()), 1)
    return Alignment(labels=labels, coverage=coverage, ceiling=shingle_prf(labelled, gold).f1, gold_in_page=present)
