"""Second-pass features: the first pass's P(content) around each block.

An isolated short paragraph inside the article sits among probable blocks and a lone
long block in the footer among improbable ones; the second pass sees that. Computed per
page from the first pass's probabilities and the blocks' DOM paths, as arrays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .features import shift

#: Bump when a column is added, removed or changes meaning.
CONTEXT_VERSION = 1
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_RADII = (2, 5, 10, 25)

CONTEXT_NAMES: tuple[str, ...] = (
    ("p",) + tuple(f"p@{o:+d}" for o in _OFFSETS) + tuple(f"p_win{r}" for r in _RADII)
    + ("p_page_max", "p_page_mean", "p_page_share", "p_rank", "log_dist_probable", "after_first_probable",
       "before_last_probable", "p_same_path", "log_same_path", "p_parent_path", "p_same_path_max")
)


def context_features(proba: np.ndarray, paths: Sequence[str]) -> np.ndarray:
    """Matrix ``(len(proba), len(CONTEXT_NAMES))`` for one page."""
    p = np.asarray(proba, dtype=np.float64)
    n = len(p)
    if n == 0:
        return np.zeros((0, len(CONTEXT_NAMES)), dtype=np.float32)
    index = np.arange(n)
    columns = [p]
    columns += [shift(p, offset) for offset in _OFFSETS]
    cumulative = np.concatenate([[0.0], np.cumsum(p)])
    for radius in _RADII:
        lo, hi = np.clip(index - radius, 0, n), np.clip(index + radius + 1, 0, n)
        columns.append((cumulative[hi] - cumulative[lo]) / (hi - lo))
    probable = np.flatnonzero(p >= 0.5)
    if probable.size:
        # distance to the nearest probable block: search the sorted positions once
        right = np.clip(np.searchsorted(probable, index), 0, probable.size - 1)
        left = np.clip(right - 1, 0, probable.size - 1)
        distance = np.minimum(np.abs(probable[right] - index), np.abs(probable[left] - index))
        after_first, before_last = (index - probable[0]) / n, (probable[-1] - index) / n
    else:
        distance, after_first, before_last = np.full(n, n), np.full(n, -1.0), np.full(n, -1.0)
    columns += [
        np.full(n, p.max()), np.full(n, p.mean()), np.full(n, probable.size / n),
        np.argsort(np.argsort(-p, kind="stable"), kind="stable") / n,
        np.log1p(distance), after_first, before_last,
    ]
    columns += _group_means(p, list(paths))
    parents = [path.rsplit(">", 1)[0] for path in paths]
    columns.append(_group_means(p, parents)[0])
    columns.append(_group_max(p, list(paths)))
    return np.column_stack(columns).astype(np.float32)


def _group_ids(keys: list[str]) -> tuple[np.ndarray, int]:
    ids: dict[str, int] = defaultdict(lambda: len(ids))
    return np.fromiter((ids[k] for k in keys), np.int64, len(keys)), len(ids)


def _group_means(p: np.ndarray, keys: list[str]) -> list[np.ndarray]:
    """Mean P over the blocks sharing a key, and log of their count, for each block."""
    ids, groups = _group_ids(keys)
    sums = np.bincount(ids, weights=p, minlength=groups)
    counts = np.bincount(ids, minlength=groups).astype(np.float64)
    return [sums[ids] / counts[ids], np.log1p(counts[ids])]


def _group_max(p: np.ndarray, keys: list[str]) -> np.ndarray:
    ids, groups = _group_ids(keys)
    best = np.full(groups, -np.inf)
    np.maximum.at(best, ids, p)
    return best[ids]
