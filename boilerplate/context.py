"""Second-pass features: the first pass's P(content) around each block, and where the
block sits relative to the page's headline.

An isolated short paragraph inside the article sits among probable blocks and a lone
long block in the footer among improbable ones; the second pass sees that. A block that
shares a deep container with the headline (a product's description beside its name, not
the reviews or related products further down) is more likely main text. Computed per page
from the first pass's probabilities, the blocks' DOM paths and three of their first-pass
features (``in_h1``, ``is_heading``, ``title_overlap``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .features import FEATURE_NAMES, group_ids, shift

#: Bump when a column is added, removed or changes meaning.
CONTEXT_VERSION = 2
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_RADII = (2, 5, 10, 25)
_RADII_ARRAY = np.array(_RADII)

CONTEXT_NAMES: tuple[str, ...] = (
    ("p",) + tuple(f"p@{o:+d}" for o in _OFFSETS) + tuple(f"p_win{r}" for r in _RADII)
    + ("p_page_max", "p_page_mean", "p_page_share", "p_rank", "log_dist_probable", "after_first_probable",
       "before_last_probable", "p_same_path", "log_same_path", "p_parent_path", "p_same_path_max")
    + ("headline_shared_depth", "below_headline_container", "rel_offset_headline", "log_dist_headline")
)
_IN_H1, _IS_HEADING, _TITLE_OVERLAP = (FEATURE_NAMES.index(name) for name in ("in_h1", "is_heading", "title_overlap"))


def context_features(proba: np.ndarray, paths: Sequence[str], X: np.ndarray) -> np.ndarray:
    """Matrix ``(len(proba), len(CONTEXT_NAMES))`` for one page, from the first pass's
    P(content), the blocks' DOM paths and their first-pass feature matrix ``X``."""
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
    columns.append(_headline_position(X, unique_paths, path_ids))
    return np.hstack(columns, dtype=np.float32)


def headline_anchor(X: np.ndarray) -> int | None:
    """The block the headline columns measure from: the ``h1`` most like the ``<title>``,
    else the heading most like it (when any heading shares a word with it), else None.
    (``extractor.headline_index``, for the headline option, is simply the first ``h1``.)"""
    h1 = np.flatnonzero(X[:, _IN_H1] > 0)
    if h1.size:
        return int(h1[np.argmax(X[h1, _TITLE_OVERLAP])])
    headings = np.flatnonzero(X[:, _IS_HEADING] > 0)
    if headings.size and X[headings, _TITLE_OVERLAP].max() > 0:
        return int(headings[np.argmax(X[headings, _TITLE_OVERLAP])])
    return None


def _headline_position(X: np.ndarray, unique_paths: list[str], path_ids: np.ndarray) -> np.ndarray:
    """How deep a container each block shares with the headline (as a fraction of the
    headline's depth), how many levels the block sits below that shared container, and its
    signed relative and log distance from the headline in blocks; -1 without a headline."""
    n = len(X)
    anchor = headline_anchor(X)
    if anchor is None:
        return np.full((n, 4), -1.0)
    parts = unique_paths[path_ids[anchor]].split(">")
    prefixes = [">".join(parts[:k]) for k in range(len(parts) + 1)]
    shared = np.fromiter((_shared_depth(path, prefixes) for path in unique_paths), np.float64, len(unique_paths))
    below = np.fromiter((path.count(">") + 1 for path in unique_paths), np.float64, len(unique_paths)) - shared
    offset = np.arange(n) - anchor
    return np.column_stack([shared[path_ids] / len(parts), below[path_ids], offset / n, np.log1p(np.abs(offset))])


def _group_mean(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Mean P over the blocks of each block's group."""
    counts = np.bincount(ids).astype(np.float64)
    return np.bincount(ids, weights=p)[ids] / counts[ids]


def _group_max(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Highest P among the blocks of each block's group."""
    best = np.full(int(ids.max()) + 1, -np.inf)
    np.maximum.at(best, ids, p)
    return best[ids]


def _shared_depth(path: str, prefixes: Sequence[str]) -> int:
    """How many leading elements (``>``-separated) ``path`` shares with the path whose
    prefixes are ``prefixes`` (``prefixes[k]``: its first ``k`` elements), by bisection."""
    lo, hi = 0, len(prefixes) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        prefix = prefixes[mid]
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == ">"):
            lo = mid
        else:
            hi = mid - 1
    return lo
