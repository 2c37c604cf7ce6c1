# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled walk of exported gradient-boosted trees (``portable.py``): one row at a time,
tree by tree, summed in boosting order, so the raw scores are bit-identical to
scikit-learn's. The arrays must have passed ``portable._check`` (indices in range,
children after their parent), which is what makes the unchecked indexing here safe."""


def raw_scores(const float[:, ::1] X, const int[::1] feature, const double[::1] threshold,
               const unsigned char[::1] missing_left, const int[::1] left, const int[::1] right,
               const double[::1] value, const int[::1] roots, double baseline, double[::1] out):
    """Write baseline + Σ leaf values of every tree into ``out[i]`` for each row ``X[i]``."""
    cdef Py_ssize_t i, t, n_rows = X.shape[0], n_trees = roots.shape[0]
    cdef int node
    cdef double x
    with nogil:
        # Tree by tree over all rows: one tree's nodes stay in cache while every row walks it;
        # each row still adds its leaf values in boosting order, as scikit-learn does.
        for i in range(n_rows):
            out[i] = baseline
        for t in range(n_trees):
            for i in range(n_rows):
                node = roots[t]
                while feature[node] >= 0:
                    x = X[i, feature[node]]
                    if x != x:
                        node = left[node] if missing_left[node] else right[node]
                    elif x <= threshold[node]:
                        node = left[node]
                    else:
                        node = right[node]
                out[i] += value[node]
