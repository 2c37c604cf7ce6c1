"""Second-pass features: the first pass's P(content) around each block.

An isolated short paragraph inside the article sits among probable blocks and a lone
long block in the footer among improbable ones; the second pass sees that. Computed per
page from the first pass's probabilities and the blocks' DOM paths, as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .features import group_ids, shift

#: Bump when a column is added, removed or changes meaning.
CONTEXT_VERSION = 1
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_RADII = (2, 5, 10, 25)
_RADII_ARRAY = np.array(_RADII)

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
    columns = [p[:, None]]
    columns += [shift(p, offset)[:, None] for offset in _OFFSETS]
    cumulative = np.concatenate([[0.0], np.cumsum(p)])
    lo, hi = np.maximum(index[:, None] - _RADII_ARRAY, 0), np.minimum(index[:, None] + _RADII_ARRAY + 1, n)
    columns.append((cumulative[hi] - cumulative[lo]) / (hi - lo))
    probable = np.flatnonzero(p >= 0.5)
    if probable.size:
        # distance to the nearest probable block: search the sorted positions once
        right = np.minimum(np.searchsorted(probable, index), probable.size - 1)
        left = np.maximum(right - 1, 0)
        distance = np.minimum(np.abs(probable[right] - index), np.abs(probable[left] - index))
        after_first, before_last = (index - probable[0]) / n, (probable[-1] - index) / n
    else:
        distance, after_first, before_last = np.full(n, n), np.full(n, -1.0), np.full(n, -1.0)
    path_ids, path_counts = group_ids(list(paths))
    unique_paths = list(dict.fromkeys(paths))  # in the order of their group numbers
    parent_ids = group_ids([path.rsplit(">", 1)[0] for path in unique_paths])[0][path_ids]
    columns.append(np.column_stack([
        np.full(n, p.max()), np.full(n, p.mean()), np.full(n, probable.size / n),
        np.argsort(np.argsort(-p, kind="stable"), kind="stable") / n,
        np.log1p(distance), after_first, before_last,
        _group_mean(p, path_ids), np.log1p(path_counts[path_ids].astype(np.float64)),
        _group_mean(p, parent_ids), _group_max(p, path_ids),
    ]))
    return np.hstack(columns, dtype=np.float32)


def _group_mean(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Mean P over the blocks of each block's group."""
    counts = np.bincount(ids).astype(np.float64)
    return np.bincount(ids, weights=p)[ids] / counts[ids]


def _group_max(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Highest P among the blocks of each block's group."""
    best = np.full(int(ids.max()) + 1, -np.inf)
    np.maximum.at(best, ids, p)
    return best[ids]
