"""The block classifier: a scikit-learn estimator on the numeric block matrix.

It knows nothing of HTML: rows are blocks, columns are ``features.FEATURE_NAMES``, the
target is "content or not". Gradient-boosted trees (``HistGradientBoostingClassifier``)
handle unscaled, mixed-range features and missing interactions without tuning, and
predict a few hundred blocks in well under a millisecond.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted, validate_data
from sklearn.utils.multiclass import check_classification_targets

from .portable import positive_column


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """Gradient-boosted P(content) per block.

    Parameters are stored as given and used in :meth:`fit`. ``class_weight="balanced"``
    counters the majority of boilerplate blocks on most pages; ``random_state`` makes
    fits reproducible.

    ``n_members`` > 1 fits that many boosted models, member k with ``random_state + k``
    (scikit-learn bins each feature on a random sample of 200,000 rows, so their split
    points differ), and averages their raw scores (log-odds). The ensemble is one additive
    model with each leaf value divided by ``n_members``, so it exports to the same
    portable trees; at the same total number of trees it varies less with the seed.
    """

    def __init__(
        self,
        *,
        learning_rate: float = 0.1,
        max_iter: int = 300,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        class_weight: str | dict | None = "balanced",
        random_state: int = 0,
        n_members: int = 1,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.class_weight = class_weight
        self.random_state = random_state
        self.n_members = n_members

    def __setstate__(self, state: dict) -> None:
        # A model file from before ensembles holds one ``estimator_`` and no ``n_members``.
        state.setdefault("n_members", 1)
        if "estimator_" in state:
            state.setdefault("estimators_", [state["estimator_"]])
        super().__setstate__(state)

    def fit(self, X, y, sample_weight=None) -> "BlockClassifier":
        """Fit on a block matrix ``X`` and labels ``y`` (optionally weighted per block)."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if not isinstance(self.n_members, (int, np.integer)) or self.n_members < 1:
            raise ValueError(f"n_members must be a positive integer, not {self.n_members!r}")
        self.estimators_ = [
            HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                class_weight=self.class_weight,
                early_stopping=False,
                random_state=self.random_state + k,
            ).fit(X, y, sample_weight=sample_weight)
            for k in range(int(self.n_members))
        ]
        self.estimator_ = self.estimators_[0]
        self.n_iter_ = self.estimator_.n_iter_
        return self

    def decision_function(self, X) -> np.ndarray:
        """Raw score (log-odds of content) per row: the members' mean."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self._raw(X)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        members = self.estimators_
        raw = members[0].decision_function(X)
        if len(members) > 1:
            raw = sum((m.decision_function(X) for m in members[1:]), raw) / len(members)
        return raw

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        if len(self.estimators_) == 1 or len(self.classes_) != 2:
            return self.estimator_.predict_proba(X)
        proba = np.empty((len(X), 2), dtype=np.float64)
        proba[:, 1] = 1.0 / (1.0 + np.exp(-self._raw(X)))
        proba[:, 0] = 1.0 - proba[:, 1]
        return proba

    def predict(self, X) -> np.ndarray:
        """Most probable class per row."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def content_proba(self, X) -> np.ndarray:
        """P(content) per block (the probability of the class ``True``/``1``)."""
        return positive_column(self.predict_proba(X), self.classes_)
