"""The text model: two passes of the block classifier over a page's segments.

In flat text a sentence of the article and a sentence of a teaser or a comment look
alike; what tells them apart is where they stand. The first pass scores each segment
from its text features; the second pass reads the same features plus the first pass's
P(content) around the segment (neighbours, windows, the page's most probable stretch),
so an isolated short sentence inside the article is kept and a lone long one among
teasers is dropped. Probabilities seen in training come from models that did not see
the page (two folds by site); at prediction both fold models of a pass are averaged.
It is a ``BlockClassifier`` (so model files hold one estimator with one manifest); a
call to :meth:`content_proba` scores one page, whose segments must be in order.
"""

from __future__ import annotations

import hashlib

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..features import shift
from ..model import BlockClassifier
from .features import TEXT_FEATURE_NAMES

_OFFSETS = (-3, -2, -1, 1, 2, 3)
_RADII = (1, 3, 8, 20)
CONTEXT_NAMES: tuple[str, ...] = (
    ("p",) + tuple(f"p@{o:+d}" for o in _OFFSETS) + tuple(f"p_win{r}" for r in _RADII)
    + ("p_page_max", "p_page_mean", "p_rank", "p_mass_before", "p_mass_after", "dist_to_p_peak",
       "log_gap_to_p_peak")
)
_LOG_WORDS = TEXT_FEATURE_NAMES.index("log_words")


def context_features(proba: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Second-pass columns of one page: ``(len(proba), len(CONTEXT_NAMES))``."""
    p = np.asarray(proba, dtype=np.float64)
    n = len(p)
    if n == 0:
        return np.zeros((0, len(CONTEXT_NAMES)), dtype=np.float32)
    w = np.maximum(np.asarray(words, dtype=np.float64), 1.0)
    columns = [p]
    columns += [shift(p, offset) for offset in _OFFSETS]
    mass = np.concatenate([[0.0], np.cumsum(p * w)])
    weight = np.concatenate([[0.0], np.cumsum(w)])
    index = np.arange(n)
    windows = []
    for radius in _RADII:
        lo, hi = np.clip(index - radius, 0, n), np.clip(index + radius + 1, 0, n)
        windows.append((mass[hi] - mass[lo]) / (weight[hi] - weight[lo]))
    columns += windows
    total = max(float(mass[-1]), 1e-9)
    peak = int(np.argmax(windows[2] * np.sqrt(weight[np.clip(index + _RADII[2] + 1, 0, n)]
                                              - weight[np.clip(index - _RADII[2], 0, n)])))
    improbable = np.cumsum(p < 0.5)
    columns += [
        np.full(n, p.max()),
        np.full(n, float((p * w).sum() / w.sum())),
        np.argsort(np.argsort(p, kind="stable"), kind="stable") / max(n - 1, 1),
        mass[:-1] / total,
        (total - mass[1:]) / total,
        (index - peak) / n,
        np.log1p(np.abs(improbable - improbable[peak])),
    ]
    return np.column_stack(columns).astype(np.float32)


def page_fold(page_key: str) -> int:
    """The fold (0 or 1) of a page's site in the first pass's cross-fitting."""
    return hashlib.sha1(f"fold:{page_key}".encode()).digest()[0] % 2


class TwoPassClassifier(BlockClassifier):
    """P(content) per segment from text features, then again with the first pass's context.

    Same parameters as :class:`BlockClassifier` (used for every model). :meth:`fit` takes
    ``pages`` (a page number per row; a page's rows contiguous and in order) and ``folds``
    (0 or 1 per row, constant within a site). Each pass is two models, one per fold,
    averaged at prediction; ``oof_proba_`` (dropped before saving) holds every training row's P(content) from
    the models that did not see it, for choosing the threshold.
    """

    def fit(self, X, y, sample_weight=None, *, pages=None, folds=None) -> "TwoPassClassifier":
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        n = len(y)
        pages = np.zeros(n, np.int64) if pages is None else np.asarray(pages)
        folds = (np.arange(n) % 2) if folds is None else np.asarray(folds)
        w = None if sample_weight is None else np.asarray(sample_weight)
        params = self.get_params()
        self.first_, self.second_ = [], []
        first = np.zeros(n)
        for k in (0, 1):
            fit = folds != k
            model = BlockClassifier(**params).fit(X[fit], y[fit], sample_weight=None if w is None else w[fit])
            self.first_.append(model)
            first[~fit] = model.content_proba(X[~fit])
        Z = np.hstack([X, _page_context(first, X, pages)])
        oof = np.zeros(n)
        for k in (0, 1):
            fit = folds != k
            model = BlockClassifier(**params).fit(Z[fit], y[fit], sample_weight=None if w is None else w[fit])
            self.second_.append(model)
            oof[~fit] = model.content_proba(Z[~fit])
        self.oof_proba_ = oof
        self.classes_ = self.second_[0].classes_
        self.n_features_in_ = X.shape[1]
        return self

    def first_proba(self, X) -> np.ndarray:
        """First-pass P(content) of one page: the mean of the fold models."""
        check_is_fitted(self, "first_")
        X = np.asarray(X, dtype=np.float32)
        return np.mean([m.content_proba(X) for m in self.first_], axis=0)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of one page's segments (rows in page order)."""
        check_is_fitted(self, "second_")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[-1] if X.ndim else 0} features, the model expects {self.n_features_in_}")
        if len(X) == 0:
            return np.zeros((0, len(self.classes_)))
        Z = np.hstack([X, _page_context(self.first_proba(X), X, np.zeros(len(X), np.int64))])
        return np.mean([m.predict_proba(Z) for m in self.second_], axis=0)


def _page_context(proba: np.ndarray, X: np.ndarray, pages: np.ndarray) -> np.ndarray:
    words = np.expm1(X[:, _LOG_WORDS])
    out = np.zeros((len(proba), len(CONTEXT_NAMES)), dtype=np.float32)
    bounds = np.flatnonzero(np.diff(pages)) + 1
    for lo, hi in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(pages)]])):
        out[lo:hi] = context_features(proba[lo:hi], words[lo:hi])
    return out
