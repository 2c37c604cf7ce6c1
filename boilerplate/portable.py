"""Gradient-boosted trees as plain arrays: a model format that runs no code and needs no scikit-learn.

A fitted ``BlockClassifier``'s trees are copied out of scikit-learn's private
``TreePredictor`` objects into flat numpy arrays, one entry per node of all trees:

    feature, threshold, missing_left, left, right, value     per node
    roots                                                     first node of each tree
    baseline                                                  the raw score before any tree

A row goes left at a split when ``x <= threshold``, or when ``x`` is NaN and
``missing_left``; leaves have ``feature == -1`` and point to themselves. P(content) is
the logistic of the baseline plus one leaf value per tree, summed tree by tree in
boosting order as scikit-learn sums them: the raw scores are bit-identical to
``HistGradientBoostingClassifier``'s and the probabilities equal to 1e-15.

Prediction walks all rows × all trees one level at a time, as array gathers. For that
the nodes are renumbered level by level, siblings side by side, so a node's children
are ``child`` and ``child + 1``; thresholds are rounded down to float32, which for
float32 inputs gives the same comparisons (x ≤ t ⇔ x ≤ the largest float32 ≤ t); pairs
that reached a leaf are dropped from the walk as they finish.

The arrays are stored in a ``.npz`` read with ``allow_pickle=False`` and checked (dtypes,
shapes, indices in range, every node below exactly one parent, so every walk ends)
before use: loading one runs no code, and it keeps loading whatever scikit-learn
version is installed, or none. ``persist`` writes and reads these files with their
manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from .errors import ModelError

try:  # the compiled walk (``_trees.pyx``), built on install; the numpy walk below is the fallback
    from ._trees import raw_scores as _compiled_raw_scores
except ImportError:  # pragma: no cover - a source tree without the built extension
    _compiled_raw_scores = None

#: Bump when the arrays or their meaning change; files record it and loading checks it.
PORTABLE_VERSION = 1

#: Rows walked through the trees at once: bounds the (rows × trees) index arrays
#: to a few MB whatever the page's block count.
CHUNK_ROWS = 2048

_NODE_ARRAYS = {
    "feature": np.int32, "threshold": np.float64, "missing_left": np.bool_,
    "left": np.int32, "right": np.int32, "value": np.float64,
}


@dataclass(frozen=True, slots=True, eq=False)
class PortableClassifier:
    """P(content) per block from exported trees; the prediction API of ``BlockClassifier``."""

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    baseline: float
    classes_: np.ndarray
    n_features_in_: int
    params: dict[str, Any] = field(default_factory=dict)
    depth: int = field(init=False)
    _walk: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check(self)
        walk, depth = _walk_arrays(self)
        object.__setattr__(self, "_walk", walk)
        object.__setattr__(self, "depth", depth)

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The source classifier's parameters (recorded, not used: the trees are fixed)."""
        return dict(self.params)

    def decision_function(self, X) -> np.ndarray:
        """Raw score per row: baseline plus one leaf value per tree, summed in boosting order."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has shape {X.shape}; this model expects (n, {self.n_features_in_})")
        raw = np.empty(X.shape[0], dtype=np.float64)
        if _compiled_raw_scores is not None:
            _compiled_raw_scores(np.ascontiguousarray(X), self.feature, self.threshold, self.missing_left.view(np.uint8),
                                 self.left, self.right, self.value, self.roots, self.baseline, raw)
            return raw
        for start in range(0, X.shape[0], CHUNK_ROWS):
            raw[start:start + CHUNK_ROWS] = self._raw(X[start:start + CHUNK_ROWS])
        return raw

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (as scikit-learn's)."""
        raw = self.decision_function(X)
        proba = np.empty((len(raw), 2), dtype=np.float64)
        proba[:, 1] = 1.0 / (1.0 + np.exp(-raw))
        proba[:, 0] = 1.0 - proba[:, 1]
        return proba

    def predict(self, X) -> np.ndarray:
        """Most probable class per row."""
        return self.classes_[(self.decision_function(X) > 0).astype(np.int64)]

    def content_proba(self, X) -> np.ndarray:
        """P(content) per block (the probability of the class ``True``/``1``)."""
        return positive_column(self.predict_proba(X), self.classes_)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        feature, child, threshold = self._walk["feature"], self._walk["child"], self._walk["threshold"]
        nan_right, is_split = self._walk["nan_right"], self._walk["is_split"]
        n, n_trees = X.shape[0], self.n_trees
        flat = np.ascontiguousarray(X, dtype=np.float32).ravel()
        missing = bool(np.isnan(flat).any())
        # Level 0: every row starts at the roots, which are nodes 0 … n_trees-1.
        x = X[:, feature[:n_trees]].ravel()
        node = np.tile(child[:n_trees], n) + (x > np.tile(threshold[:n_trees], n))
        if missing:
            node += np.isnan(x) & np.tile(nan_right[:n_trees], n)
        offset = np.repeat(np.arange(n, dtype=np.int64) * X.shape[1], n_trees)
        final = node  # pair (row, tree) at position row * n_trees + tree
        active = is_split[node]
        position, node, offset = np.flatnonzero(active), node[active], offset[active]
        while node.size:
            x = flat[offset + feature[node]]
            step = child[node] + (x > threshold[node])
            if missing:
                step += np.isnan(x) & nan_right[node]
            active = is_split[step]
            if active.all():
                node = step
                continue
            final[position[~active]] = step[~active]
            position, node, offset = position[active], step[active], offset[active]
        leaf_values = self._walk["value"][final].reshape(n, n_trees)
        # Baseline first, then tree by tree: the order (and so the rounding) of scikit-learn's sum.
        return np.cumsum(np.hstack((np.full((n, 1), self.baseline), leaf_values)), axis=1)[:, -1]

    # ---------------------------------------------------------------- files

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the model is, as named plain arrays (what the ``.npz`` holds)."""
        return {
            "portable_version": np.array(PORTABLE_VERSION, dtype=np.int64),
            **{name: getattr(self, name) for name in _NODE_ARRAYS},
            "roots": self.roots,
            "baseline": np.array(self.baseline, dtype=np.float64),
            "classes": self.classes_,
            "n_features": np.array(self.n_features_in_, dtype=np.int64),
            "params_json": np.array(json.dumps(self.params, sort_keys=True)),
        }

    def save(self, handle: IO[bytes]) -> None:
        """Write the arrays as a compressed ``.npz`` to an open binary file."""
        np.savez_compressed(handle, **self.arrays())

    @classmethod
    def load(cls, source: str | IO[bytes]) -> PortableClassifier:
        """Read a ``.npz`` written by :meth:`save`; never unpickles, checks every array."""
        try:
            with np.load(source, allow_pickle=False) as npz:
                data = {name: npz[name] for name in npz.files}
        except Exception as exc:  # OSError, ValueError (pickled data), BadZipFile, zlib.error: a damaged file
            raise ModelError(f"{source}: not a portable model file ({type(exc).__name__}: {exc})") from None
        return cls.from_arrays(data, source=str(source))

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray], *, source: str = "arrays") -> PortableClassifier:
        """Build from named arrays (as :meth:`arrays` gives), checking names, dtypes and shapes."""
        try:
            return cls._from_arrays(data, source)
        except (ValueError, TypeError, OverflowError) as exc:  # a value of the wrong kind anywhere
            raise ModelError(f"{source}: {exc}") from None

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray], source: str) -> PortableClassifier:
        expected = {"portable_version", *_NODE_ARRAYS, "roots", "baseline", "classes", "n_features", "params_json"}
        if set(data) != expected:
            raise ModelError(f"{source}: arrays {sorted(data)}, expected {sorted(expected)}")
        version = data["portable_version"]
        if version.shape != () or version.dtype.kind not in "iu" or int(version) != PORTABLE_VERSION:
            raise ModelError(f"{source}: portable format {data['portable_version']!r}, this package reads {PORTABLE_VERSION}")
        nodes = {}
        for name, dtype in _NODE_ARRAYS.items():
            array = data[name]
            if array.ndim != 1 or not np.can_cast(array.dtype, dtype, casting="same_kind"):
                raise ModelError(f"{source}: array {name!r} has dtype {array.dtype} and shape {array.shape}")
            nodes[name] = np.ascontiguousarray(array, dtype=dtype)
        for name in ("roots", "classes"):
            if data[name].ndim != 1 or data[name].dtype.kind not in "iub":
                raise ModelError(f"{source}: array {name!r} has dtype {data[name].dtype} and shape {data[name].shape}")
        for name in ("baseline", "n_features"):
            if data[name].shape != () or data[name].dtype.kind not in "iuf":
                raise ModelError(f"{source}: {name!r} must be a number")
        if data["params_json"].shape != () or data["params_json"].dtype.kind != "U":
            raise ModelError(f"{source}: 'params_json' must be a string")
        try:
            params = json.loads(str(data["params_json"]))
        except ValueError:
            raise ModelError(f"{source}: 'params_json' is not JSON") from None
        return cls(**nodes, roots=data["roots"].astype(np.int32), baseline=float(data["baseline"]),
                   classes_=data["classes"].astype(np.int64), n_features_in_=int(data["n_features"]),
                   params=params if isinstance(params, dict) else {})


def positive_column(proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The column of class ``True``/``1`` in ``predict_proba`` output (zeros when it is absent)."""
    positive = np.flatnonzero(classes == 1)
    return proba[:, positive[0]] if positive.size else np.zeros(len(proba))


def to_portable(classifier: Any) -> PortableClassifier:
    """Export a fitted ``BlockClassifier`` (binary, numeric features) to arrays.

    Reads scikit-learn's fitted ``HistGradientBoostingClassifier`` (``_predictors``,
    ``_baseline_prediction``): private names, so this runs only where the model was
    fitted or a pickle of it still loads; the arrays it makes depend on neither.
    """
    estimator = getattr(classifier, "estimator_", None)
    members = getattr(classifier, "estimators_", None) or [estimator]
    if any(getattr(member, "_predictors", None) is None for member in members):
        raise ModelError(f"cannot export {type(classifier).__name__}: not a fitted BlockClassifier")
    if getattr(estimator, "n_trees_per_iteration_", 1) != 1 or len(classifier.classes_) != 2:
        raise ModelError("only binary classifiers can be exported")
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _NODE_ARRAYS}
    roots, offset = [], 0
    # An ensemble's raw score is its members' mean: one additive model whose leaf values are
    # divided by the number of members (a power of two divides exactly).
    scale = 1.0 / len(members)
    for member in members:
        for iteration in member._predictors:
            (predictor,) = iteration
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ModelError("categorical splits cannot be exported")
            n = len(nodes)
            index = np.arange(offset, offset + n, dtype=np.int64)
            leaf = nodes["is_leaf"].astype(bool)
            columns["feature"].append(np.where(leaf, -1, nodes["feature_idx"]))
            columns["threshold"].append(np.where(leaf, 0.0, nodes["num_threshold"]))
            columns["missing_left"].append(nodes["missing_go_to_left"].astype(bool) & ~leaf)
            columns["left"].append(np.where(leaf, index, nodes["left"].astype(np.int64) + offset))
            columns["right"].append(np.where(leaf, index, nodes["right"].astype(np.int64) + offset))
            columns["value"].append(np.where(leaf, nodes["value"] * scale, 0.0))  # × 1.0 is exact
            roots.append(offset)
            offset += n
    baseline = np.mean([np.asarray(m._baseline_prediction, dtype=np.float64).ravel()[0] for m in members])
    return PortableClassifier(
        **{name: np.concatenate(parts).astype(_NODE_ARRAYS[name]) for name, parts in columns.items()},
        roots=np.asarray(roots, dtype=np.int32), baseline=float(baseline),
        classes_=np.asarray(classifier.classes_).astype(np.int64), n_features_in_=int(classifier.n_features_in_),
        params=_jsonable(classifier.get_params()),
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params, default=str))


def _check(model: PortableClassifier) -> None:
    """Refuse arrays a walk could go wrong on: lengths, index ranges, children before parents."""
    n = len(model.feature)
    if not all(len(getattr(model, name)) == n for name in _NODE_ARRAYS):
        raise ValueError("node arrays differ in length")
    if n == 0 or len(model.roots) == 0:
        raise ValueError("no trees")
    if model.n_features_in_ < 1 or int(model.feature.max()) >= model.n_features_in_:
        raise ValueError("feature index out of range")
    if model.classes_.shape != (2,):
        raise ValueError("not a binary classifier")
    if int(model.roots.min()) < 0 or int(model.roots.max()) >= n:
        raise ValueError("tree root out of range")
    if not (np.isfinite(model.value).all() and np.isfinite(model.baseline)):
        raise ValueError("leaf values must be finite")
    split = model.feature >= 0
    if (model.feature < -1).any():
        raise ValueError("feature index out of range")
    index = np.arange(n)
    for child in (model.left, model.right):
        if (child < 0).any() or (child >= n).any():
            raise ValueError("child index out of range")
        if (child[split] <= index[split]).any() or (child[~split] != index[~split]).any():
            raise ValueError("a split's children must follow it and a leaf must point to itself")
    parents = np.bincount(np.concatenate((model.roots, model.left[split], model.right[split])), minlength=n)
    if (parents != 1).any():
        raise ValueError("every node must be a root or the child of exactly one split")


def _walk_arrays(model: PortableClassifier) -> tuple[dict[str, np.ndarray], int]:
    """The nodes renumbered level by level (roots first, siblings adjacent) for the walk."""
    split = model.feature >= 0
    levels, frontier = [model.roots.astype(np.int64)], model.roots.astype(np.int64)
    while True:
        parents = frontier[split[frontier]]
        if not parents.size:
            break
        frontier = np.column_stack((model.left[parents], model.right[parents])).ravel().astype(np.int64)
        levels.append(frontier)
    order = np.concatenate(levels)
    renumber = np.empty(len(order), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    is_split = split[order]
    threshold = model.threshold[order].astype(np.float32)
    above = threshold.astype(np.float64) > model.threshold[order]
    threshold[above] = np.nextafter(threshold[above], np.float32(-np.inf))  # largest float32 <= t
    threshold[~is_split] = np.inf  # a leaf keeps every row (x > inf is never true)
    walk = {
        "feature": np.where(is_split, model.feature[order], 0).astype(np.int64),
        "child": np.where(is_split, renumber[model.left[order]], np.arange(len(order))),
        "threshold": threshold,
        "nan_right": is_split & ~model.missing_left[order],
        "is_split": is_split,
        "value": model.value[order],
    }
    return walk, len(levels) - 1
