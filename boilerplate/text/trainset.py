"""Rendered pages → training rows of the text model: segments, features, carried labels.

Each rendered page (``pages.TextPage``) is flattened both ways, segmented with the same
segmenter the extractor uses, and featurised; a segment takes the label of the blocks
its characters come from (the blocks' labels are the gold projected onto them), so the
labels need no second alignment and short segments (a heading, a byline) keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..trainset import MAX_BLOCK_WEIGHT
from .features import segment_features
from .pages import FLATTENINGS, TextPage
from .segment import Segment, segment_text


@dataclass(frozen=True, slots=True)
class TextRows:
    """Training rows of one rendered page: segments, features, carried labels, weights."""

    dataset: str
    page_id: str
    group: str
    page_type: str | None
    flattening: str
    text: str
    segments: tuple[Segment, ...]
    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    gold: str

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)

    def labels(self, target: str = "article") -> np.ndarray:
        return self.y


def carry_labels(segments: Sequence[Segment], starts: np.ndarray, block_lengths: np.ndarray,
                 labels: np.ndarray) -> np.ndarray:
    """A segment is content when most of its characters come from content blocks."""
    if not len(segments):
        return np.zeros(0, bool)
    total = int(starts[-1] + block_lengths[-1]) if len(starts) else 0
    content = np.zeros(total + 1, np.int64)
    for start, length, label in zip(starts, block_lengths, labels):
        if label:
            content[start:start + length] = 1
    cumulative = np.concatenate([[0], np.cumsum(content)])
    bounds = np.array([(s.start, s.end) for s in segments], np.int64).clip(0, total + 1)
    inside = cumulative[bounds[:, 1]] - cumulative[bounds[:, 0]]
    return inside * 2 > (bounds[:, 1] - bounds[:, 0])


def text_rows(page: TextPage, flattening: str) -> TextRows:
    """Segments, features and carried labels of a page flattened one way."""
    text, starts = page.render(flattening)
    segments = segment_text(text)
    lengths = np.fromiter(map(len, page.blocks), np.int64, len(page.blocks))
    y = carry_labels(segments, starts, lengths, page.labels)
    words = np.fromiter((len(s.text.split()) for s in segments), np.float32, len(segments))
    return TextRows(dataset=page.dataset, page_id=page.page_id, group=page.group, page_type=page.page_type,
                    flattening=flattening, text=text, segments=tuple(segments), X=segment_features(segments),
                    y=y, weights=np.clip(words, 1, MAX_BLOCK_WEIGHT), gold=page.gold)


def build_rows(pages: Sequence[TextPage], *, flattenings: Sequence[str] = FLATTENINGS) -> list[TextRows]:
    """Rows of every page under every flattening (segmenting and features are fast)."""
    return [text_rows(p, f) for p in pages for f in flattenings]


def stack(rows: Sequence[TextRows]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training matrix, labels and weights of many pages.

    A segment weighs its words (capped), scaled so that every page weighs the same in
    total: the score is averaged over pages, so a long page should not outweigh ten short
    ones (on the training split's out-of-fold scores this raised text F1 on every dataset
    but WCXB, where it was even). The total weight is that of the unscaled words.
    """
    X = np.concatenate([r.X for r in rows])
    y = np.concatenate([r.y for r in rows]).astype(np.int64)
    totals = [max(float(r.weights.sum()), 1e-9) for r in rows]
    mean_total = sum(totals) / max(len(totals), 1)
    w = np.concatenate([r.weights * (mean_total / t) for r, t in zip(rows, totals)]) if rows else np.zeros(0)
    return X, y, w
