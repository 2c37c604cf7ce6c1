"""Page-level models: what kind of page this is, and whether it has main content at all.

Both read one vector per page, :func:`page_summary` of the page's block features and the
first pass's P(content) per block (``PAGE_SUMMARY_NAMES``), and are small logistic
regressions: a multinomial one for WCXB's seven page types, a binary one for
P(the page has main content). Their parameters (standardisation, coefficients, class
names, the summary columns they read, the version) are plain JSON: loading one runs no
code and predicting needs numpy only. scikit-learn is imported only to fit them.

The confidence model has no labelled content-less pages to learn from, so it makes them:
each training page with its gold content blocks removed (its chrome alone, the relative
feature columns recomputed for the smaller page, :func:`chrome_only`) is a negative, the
page itself a positive. The decision threshold is set on pages of sites held out by
cross-validation, so that about 1% of real pages would be emptied.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError
from .features import FEATURE_NAMES, shift, window_mean

#: Bump when a summary column is added, removed or changes meaning, or the JSON layout changes.
PAGE_VERSION = 1
FORMAT = "boilerplate-page-model"
KINDS = ("page_type", "confidence")
PAGE_TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")
#: Class names of the confidence model: P(content) is the probability of the second.
CONFIDENCE_CLASSES = ("no_content", "content")
#: Regularisation strengths tried (inverse of the L2 penalty), chosen by grouped CV.
CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
#: Share of real pages the confidence threshold may empty (on held-out sites).
MAX_EMPTIED = 0.01
#: P(content) above which a block counts as probable in the summary.
PROBABLE = 0.5

_COL = {name: i for i, name in enumerate(FEATURE_NAMES)}
_HINTS = tuple(n for n in FEATURE_NAMES if n.startswith(("schema_", "og_")))
#: Keyword groups whose hits say "page chrome"; the other groups get a column each.
_CHROME_KEYWORDS = ("kw_share", "kw_subscribe", "kw_cookie", "kw_copyright", "kw_advert", "kw_related",
                    "kw_navigation")
_OWN_KEYWORDS = ("kw_login", "kw_comments", "kw_byline", "kw_shop", "kw_media")
_CLASS_SHARES = ("product", "docs", "card", "comment")

PAGE_SUMMARY_NAMES: tuple[str, ...] = (
    # the first pass's verdict on the page
    "log_blocks", "log_words", "p_max", "p_top3", "p_word_mean", "probable_block_share", "probable_word_share",
    "log_probable_words", "log_p_words", "log_longest_run", "longest_run_share", "run_concentration",
    "log_probable_runs", "log_probable_block_words", "log_largest_probable_block", "log_p_sentences",
    "p_terminal_share", "p_link_density", "p_stopword_ratio",
    # the page's text and structure
    "link_density", "link_block_share", "li_word_share", "table_word_share", "heading_block_share",
    "chrome_word_share", "article_word_share", "form_word_share", "repeated_path_word_share",
    "repeated_text_block_share", "date_block_share", "digit_ratio", "title_overlap_max",
    "kw_chrome", *_OWN_KEYWORDS, *(f"anc_class_{c}_share" for c in _CLASS_SHARES),
    # page-constant metadata hints (schema.org @type groups, og:type)
    *_HINTS,
)
#: What the confidence model reads: not the metadata hints nor the title match, which a
#: page and its chrome-only negative share or lose together for reasons a real
#: content-less page does not (see :func:`chrome_only`).
CONFIDENCE_NAMES: tuple[str, ...] = tuple(n for n in PAGE_SUMMARY_NAMES if n not in _HINTS and n != "title_overlap_max")
#: Columns a context pass would read from the page-type model (one per type).
PAGE_TYPE_CONTEXT_NAMES: tuple[str, ...] = tuple(f"page_{t}" for t in PAGE_TYPES)


def _column(X: np.ndarray, name: str) -> np.ndarray:
    return X[:, _COL[name]].astype(np.float64)


def _counts(X: np.ndarray, name: str) -> np.ndarray:
    """A count feature stored as ``log1p(count)``, back to a count."""
    return np.maximum(np.rint(np.expm1(_column(X, name))), 0.0)


def _longest_run(weights: np.ndarray, mask: np.ndarray) -> float:
    """The largest sum of ``weights`` over consecutive positions where ``mask`` holds."""
    if not mask.any():
        return 0.0
    runs = np.cumsum(~mask)  # constant along each run of True
    return float(np.bincount(runs[mask], weights=weights[mask]).max())


def _share(weights: np.ndarray, mask: np.ndarray) -> float:
    total = float(weights.sum())
    return float(weights[mask].sum()) / total if total > 0 else 0.0


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def page_summary(X: np.ndarray, first: np.ndarray) -> np.ndarray:
    """One page's summary, shape ``(len(PAGE_SUMMARY_NAMES),)``, from its block feature matrix
    (columns ``FEATURE_NAMES``) and the first pass's P(content) per block. No blocks: zeros."""
    X = np.asarray(X)
    p = np.asarray(first, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES) or p.shape != (len(X),):
        raise ValueError(f"expected X of shape (n, {len(FEATURE_NAMES)}) and first of shape (n,), "
                         f"got {X.shape} and {p.shape}")
    if len(X) == 0:
        return np.zeros(len(PAGE_SUMMARY_NAMES))
    words = _counts(X, "log_words")
    values = {**_first_pass_values(X, p, words), **_page_values(X, words)}
    return np.array([values[name] for name in PAGE_SUMMARY_NAMES], dtype=np.float64)


def _first_pass_values(X: np.ndarray, p: np.ndarray, words: np.ndarray) -> dict[str, float]:
    """How much probable text the page has, how it is spread, and what it looks like."""
    chars, sentences, link = _counts(X, "log_chars"), _counts(X, "log_sentences"), _column(X, "link_density")
    probable = p >= PROBABLE
    pw, pc = p * words, p * chars
    run = _longest_run(words, probable)
    probable_words, total_words = float(words[probable].sum()), float(words.sum())
    runs = int(probable[0]) + int((probable[1:] & ~probable[:-1]).sum())
    return {
        "log_blocks": math.log1p(len(p)),
        "log_words": math.log1p(total_words),
        "p_max": float(p.max()),
        "p_top3": float(np.sort(p)[-3:].mean()),
        "p_word_mean": _ratio(float(pw.sum()), total_words),
        "probable_block_share": float(probable.mean()),
        "probable_word_share": _ratio(probable_words, total_words),
        "log_probable_words": math.log1p(probable_words),
        "log_p_words": math.log1p(float(pw.sum())),
        "log_longest_run": math.log1p(run),
        "longest_run_share": _ratio(run, total_words),
        "run_concentration": _ratio(run, probable_words),
        "log_probable_runs": math.log1p(runs),
        "log_probable_block_words": math.log1p(_ratio(probable_words, float(probable.sum()))),
        "log_largest_probable_block": math.log1p(float(words[probable].max())) if probable.any() else 0.0,
        "log_p_sentences": math.log1p(float((p * sentences).sum())),
        "p_terminal_share": _ratio(float((pw * _column(X, "ends_with_terminal")).sum()), float(pw.sum())),
        "p_link_density": _ratio(float((pc * link).sum()), float(pc.sum())),
        "p_stopword_ratio": _ratio(float((pw * _column(X, "stopword_ratio")).sum()), float(pw.sum())),
    }


def _page_values(X: np.ndarray, words: np.ndarray) -> dict[str, float]:
    """The whole page's text and structure, whatever the first pass says: links, lists,
    tables, headings, repeats, keywords, class names and metadata hints."""
    chars, link = _counts(X, "log_chars"), _column(X, "link_density")

    def has(*names: str) -> np.ndarray:
        return np.logical_or.reduce([_column(X, name) > 0 for name in names])

    values = {
        "link_density": _ratio(float((chars * link).sum()), float(chars.sum())),
        "link_block_share": float((link >= 0.5).mean()),
        "li_word_share": _share(words, has("in_li", "tag_is_li")),
        "table_word_share": _share(words, has("in_table", "tag_is_td_th")),
        "heading_block_share": float(_column(X, "is_heading").mean()),
        "chrome_word_share": _share(words, has("in_nav", "in_header", "in_footer", "in_aside")),
        "article_word_share": _share(words, has("in_article", "in_main")),
        "form_word_share": _share(words, has("in_form", "in_button", "in_label")),
        "repeated_path_word_share": _share(words, _column(X, "log_path_count") >= math.log1p(5) - 1e-6),
        "repeated_text_block_share": float((_column(X, "log_text_repeats") > 0).mean()),
        "date_block_share": float((_column(X, "date_hits") > 0).mean()),
        "digit_ratio": _ratio(float((chars * _column(X, "digit_ratio")).sum()), float(chars.sum())),
        "title_overlap_max": float(_column(X, "title_overlap").max()),
        "kw_chrome": math.log1p(sum(float(_column(X, k).sum()) for k in _CHROME_KEYWORDS)),
    }
    values.update({k: math.log1p(float(_column(X, k).sum())) for k in _OWN_KEYWORDS})
    values.update({f"anc_class_{c}_share": _share(words, has(f"anc_class_{c}", f"class_{c}")) for c in _CLASS_SHARES})
    values.update({h: float(X[0, _COL[h]]) for h in _HINTS})
    return values


# --- the models ---------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True, eq=False)
class PageModel:
    """A standardised linear model over some page-summary columns.

    ``names`` are the summary columns it reads (in ``PAGE_SUMMARY_NAMES``); ``coef`` has one
    row for two classes (the second class's logit, as scikit-learn's binary model) and one
    row per class otherwise (softmax). ``threshold`` is the confidence model's cut: a page
    whose P(content) is below it has no main content. ``info`` holds how it was fitted.
    """

    kind: str
    classes: tuple[str, ...]
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    threshold: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def columns(self) -> np.ndarray:
        """Positions of ``names`` in ``PAGE_SUMMARY_NAMES``."""
        index = {name: i for i, name in enumerate(PAGE_SUMMARY_NAMES)}
        return np.array([index[name] for name in self.names], dtype=np.int64)

    def predict_proba(self, summary: np.ndarray) -> np.ndarray:
        """Class probabilities (columns in ``classes`` order) of one summary ``(S,)`` or many ``(m, S)``."""
        s = np.asarray(summary, dtype=np.float64)
        single = s.ndim == 1
        s = np.atleast_2d(s)
        if s.shape[1] != len(PAGE_SUMMARY_NAMES):
            raise ValueError(f"a page summary has {len(PAGE_SUMMARY_NAMES)} columns, not {s.shape[1]}")
        z = (s[:, self.columns] - self.mean) / self.scale @ self.coef.T + self.intercept
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -500, 500)))
            proba = np.column_stack([1.0 - positive, positive])
        else:
            proba = _softmax(z)
        return proba[0] if single else proba

    def predict(self, summary: np.ndarray) -> str | np.ndarray:
        """The most probable class of one summary (a str) or many (an array of str)."""
        proba = self.predict_proba(summary)
        labels = np.array(self.classes)[np.argmax(np.atleast_2d(proba), axis=1)]
        return str(labels[0]) if np.ndim(proba) == 1 else labels

    def type_vector(self, summary: np.ndarray) -> np.ndarray:
        """P(each of ``PAGE_TYPES``, in that order) for one summary: 0 for a type the model lacks."""
        if self.kind != "page_type":
            raise ValueError("type_vector() is for a page-type model")
        proba = self.predict_proba(summary)
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([proba[..., index[t]] if t in index else np.zeros(proba.shape[:-1]) for t in PAGE_TYPES]).T

    def confidence(self, summary: np.ndarray) -> float | np.ndarray:
        """P(the page has main content): the last class's probability (confidence models)."""
        if self.kind != "confidence":
            raise ValueError("confidence() is for a confidence model")
        return self.predict_proba(summary)[..., 1]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able parameters (lists of floats, exact through ``repr``)."""
        return {
            "format": FORMAT, "version": PAGE_VERSION, "kind": self.kind, "classes": list(self.classes),
            "names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept.tolist(), "threshold": self.threshold,
            "info": self.info,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> "PageModel":
        """A model from :meth:`to_json` text (or its dict); anything else is a ``ModelError``."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise ModelError(f"page model is not JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ModelError("page model is not a JSON object")
        if data.get("format") != FORMAT:
            raise ModelError(f"not a page model (format {data.get('format')!r})")
        if data.get("version") != PAGE_VERSION:
            raise ModelError(f"page model version {data.get('version')!r}, this package reads {PAGE_VERSION}")
        try:
            threshold = data.get("threshold")
            return cls(
                kind=str(data["kind"]), classes=tuple(_strings(data["classes"])), names=tuple(_strings(data["names"])),
                mean=_array(data["mean"], 1), scale=_array(data["scale"], 1), coef=_array(data["coef"], 2),
                intercept=_array(data["intercept"], 1), threshold=None if threshold is None else float(threshold),
                info=dict(data.get("info") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"damaged page model: {exc!r}") from exc


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelError("expected a list of strings")
    return value


def _array(value: Any, ndim: int) -> np.ndarray:
    if isinstance(value, (str, bytes)) or (ndim == 2 and not all(isinstance(r, list) for r in value)):
        raise ModelError(f"expected a {ndim}-d list of numbers")
    out = np.array(value, dtype=np.float64)
    if out.ndim != ndim:
        raise ModelError(f"expected a {ndim}-d list of numbers, got {out.ndim}-d")
    return out


def _validate(model: PageModel) -> None:
    """Shapes, names, classes and values that the model's use depends on; else ``ModelError``."""
    if model.kind not in KINDS:
        raise ModelError(f"page model kind {model.kind!r} is not one of {KINDS}")
    d, k = len(model.names), len(model.classes)
    if len(set(model.names)) != d or not set(model.names) <= set(PAGE_SUMMARY_NAMES) or d == 0:
        raise ModelError("page model names are not distinct page-summary columns")
    if len(set(model.classes)) != k or k < 2:
        raise ModelError("page model needs two or more distinct classes")
    if model.kind == "confidence" and (model.classes != CONFIDENCE_CLASSES or model.threshold is None):
        raise ModelError(f"a confidence model has classes {CONFIDENCE_CLASSES} and a threshold")
    if model.kind == "page_type" and not set(model.classes) <= set(PAGE_TYPES):
        raise ModelError(f"page-type classes {model.classes} are not among {PAGE_TYPES}")
    rows = 1 if k == 2 else k
    shapes = {"mean": (d,), "scale": (d,), "coef": (rows, d), "intercept": (rows,)}
    for name, shape in shapes.items():
        value = getattr(model, name)
        if not isinstance(value, np.ndarray) or value.shape != shape or not np.isfinite(value).all():
            raise ModelError(f"page model {name} must be finite numbers of shape {shape}")
    if (model.scale <= 0).any():
        raise ModelError("page model scale must be positive")
    if model.threshold is not None and not 0.0 <= model.threshold <= 1.0:
        raise ModelError(f"page model threshold {model.threshold} is not in [0, 1]")


# --- chrome-only negatives ------------------------------------------------------------------

#: Columns of a block that depend on the other blocks of its page (``features.block_features``)
#: and that :func:`subset_features` recomputes; every other column is the block's own, or a
#: page-constant hint, and is kept.
_CONTEXT_KEYS = ("log_words", "link_density", "stopword_ratio", "text_density", "is_heading", "ends_with_terminal")


def subset_features(X: np.ndarray, keep: np.ndarray, texts: Sequence[str], paths: Sequence[str]) -> np.ndarray:
    """The feature matrix of the page made of the kept blocks only, as ``block_features``
    would compute it: position, share, page totals, path and text repeats, windows and
    neighbours recomputed. Kept as they were: the blocks' own columns, the title overlap,
    the metadata hints and the page language (its stop-word list)."""
    keep = np.asarray(keep, dtype=bool)
    Y = np.array(X[keep], dtype=np.float64)
    n = len(Y)
    if n == 0:
        return Y.astype(np.float32)
    texts = [t for t, k in zip(texts, keep) if k]
    paths = [p for p, k in zip(paths, keep) if k]
    words, chars = _counts(Y, "log_words"), _counts(Y, "log_chars")
    link = _column(Y, "link_density")
    link_chars = np.rint(link * np.maximum(chars, 1.0))
    stops = _column(Y, "stopword_ratio") * np.maximum(words, 1.0)
    depth = _column(Y, "depth")
    total_chars = float(chars.sum())
    index = np.arange(n, dtype=np.float64)
    path_counts, text_counts = Counter(paths), Counter(texts)
    same_prev = np.array([0.0] + [float(paths[i] == paths[i - 1]) for i in range(1, n)])
    same_next = np.array([float(paths[i] == paths[i + 1]) for i in range(n - 1)] + [0.0])
    new = {
        "rel_index": index / max(n - 1, 1),
        "rel_char_pos": (np.cumsum(chars) - chars) / max(total_chars, 1.0),
        "text_share": chars / max(total_chars, 1.0),
        "log_page_blocks": np.full(n, math.log1p(n)),
        "log_page_chars": np.full(n, math.log1p(total_chars)),
        "page_link_density": np.full(n, float(link_chars.sum()) / max(total_chars, 1.0)),
        "rel_depth": depth / max(float(depth.max()), 1.0),
        "log_path_count": np.log1p(np.array([path_counts[p] for p in paths], dtype=np.float64)),
        "log_text_repeats": np.log1p(np.array([text_counts[t] - 1 for t in texts], dtype=np.float64)),
        "same_path_prev": same_prev,
        "same_path_next": same_next,
        "dist_to_longest": (index - int(np.argmax(chars))) / n,
        "win5_log_words": window_mean(_column(Y, "log_words"), 5),
        "win5_link_density": window_mean(link, 5),
        "win5_stopword_ratio": window_mean(_column(Y, "stopword_ratio"), 5),
        "page_stopword_ratio": np.full(n, float(stops.sum()) / max(float(words.sum()), 1.0)),
    }
    for offset in (-2, -1, 1, 2):
        new.update({f"{key}@{offset:+d}": shift(_column(Y, key), offset) for key in _CONTEXT_KEYS})
    for name, values in new.items():
        Y[:, _COL[name]] = values
    return Y.astype(np.float32)


def chrome_only(row: Any) -> np.ndarray | None:
    """A content-less page made from a training page (``trainset.PageRows``): its blocks that
    are neither gold content nor gold comments (``y_article`` and ``y_comments`` False; user
    comments are text a reader came for, not chrome), features recomputed for that smaller
    page by :func:`subset_features`; None when the page has fewer than two such blocks.

    Its bias: it is a real page's chrome, from sites that publish articles. It keeps the
    page's metadata hints (``og:type`` article, schema Article) and loses its headline, so
    the confidence model reads neither the hints nor the title match. Blocks the gold missed
    (captions, comments, part of a product table) stay in it as noise. And it has no
    teasers, result lists or login forms of its own: the real content-less pages it stands
    for are only as alike as a page's menus, footers and related links are.
    """
    keep = ~(np.asarray(row.y_article, dtype=bool) | np.asarray(row.y_comments, dtype=bool))
    if keep.sum() < 2:
        return None
    return subset_features(row.X, keep, row.texts, row.paths)


# --- fitting ------------------------------------------------------------------------------


def _standardise(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = S.mean(axis=0)
    scale = S.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def _logistic(C: float, *, balanced: bool = False):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=2000, class_weight="balanced" if balanced else None)


def group_folds(groups: Sequence[str], folds: int) -> np.ndarray:
    """The fold of each sample, by a hash of its site (as ``train.fold_of``): a site's pages share a fold."""
    return np.array([hashlib.sha1(f"fold:{g}".encode()).digest()[0] % folds for g in groups], dtype=np.int64)


def cross_val_proba(S: np.ndarray, y: np.ndarray, fold: np.ndarray, C: float, *, balanced: bool = False,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Probabilities of each sample from a model fitted on the other folds (standardised in-fold)."""
    classes = np.unique(y)
    out = np.zeros((len(y), len(classes)))
    for k in np.unique(fold):
        train, held = fold != k, fold == k
        mean, scale = _standardise(S[train])
        model = _logistic(C, balanced=balanced).fit((S[train] - mean) / scale, y[train],
                                                    sample_weight=None if weights is None else weights[train])
        columns = np.searchsorted(classes, model.classes_)
        out[np.ix_(held, columns)] = model.predict_proba((S[held] - mean) / scale)
    return out


def _log_loss(proba: np.ndarray, y: np.ndarray, classes: np.ndarray, weights: np.ndarray | None = None) -> float:
    p = proba[np.arange(len(y)), np.searchsorted(classes, y)]
    losses = -np.log(np.clip(p, 1e-12, 1.0))
    return float(np.average(losses, weights=weights))


def choose_C(S: np.ndarray, y: np.ndarray, fold: np.ndarray, *, Cs: Sequence[float] = CS, balanced: bool = False,
             weights: np.ndarray | None = None) -> tuple[float, dict[float, float], np.ndarray]:
    """The C with the lowest grouped cross-validated log loss, every C's loss, and its
    out-of-fold probabilities."""
    if len(np.unique(fold)) < 2:
        raise ValueError("cross-validation needs samples in two folds at least (more sites)")
    classes = np.unique(y)
    losses, probas = {}, {}
    for C in Cs:
        probas[C] = cross_val_proba(S, y, fold, C, balanced=balanced, weights=weights)
        losses[C] = _log_loss(probas[C], y, classes, weights)
    best = min(Cs, key=lambda c: (losses[c], -c))
    return best, losses, probas[best]


def fit_model(kind: str, S: np.ndarray, y: np.ndarray, C: float, names: Sequence[str], *, balanced: bool = False,
              weights: np.ndarray | None = None, threshold: float | None = None,
              class_names: Sequence[str] | None = None, info: dict[str, Any] | None = None) -> PageModel:
    """Fit a logistic regression on summaries ``S`` (columns ``names``) and keep its parameters;
    ``class_names`` renames the sorted labels of ``y`` (``0, 1`` → ``CONFIDENCE_CLASSES``)."""
    mean, scale = _standardise(S)
    model = _logistic(C, balanced=balanced).fit((S - mean) / scale, y, sample_weight=weights)
    classes = tuple(class_names) if class_names is not None else tuple(str(c) for c in model.classes_)
    if len(classes) != len(model.classes_):
        raise ValueError(f"{len(classes)} class names for {len(model.classes_)} classes")
    return PageModel(kind=kind, classes=classes, names=tuple(names), mean=mean,
                     scale=scale, coef=model.coef_.astype(np.float64), intercept=model.intercept_.astype(np.float64),
                     threshold=threshold, info=dict(info or {}, C=C, balanced=balanced))


def _select(S: np.ndarray, names: Sequence[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(PAGE_SUMMARY_NAMES)}
    return S[:, [index[n] for n in names]]


def _site(row: Any) -> str:
    return f"{row.dataset}:{row.group}"


def summaries(rows: Sequence[Any], first_probas: Sequence[np.ndarray]) -> np.ndarray:
    """The page summary of every row, shape ``(len(rows), len(PAGE_SUMMARY_NAMES))``."""
    if len(rows) != len(first_probas):
        raise ValueError("one first-pass probability array per row")
    return np.array([page_summary(r.X, p) for r, p in zip(rows, first_probas)]).reshape(len(rows), -1)


def fit_page_type(rows: Sequence[Any], first_probas: Sequence[np.ndarray], *, folds: int = 5,
                  Cs: Sequence[float] = CS, balanced: bool = False) -> PageModel:
    """The multinomial page-type model, fitted on the rows with a ``page_type`` in
    ``PAGE_TYPES`` (WCXB), C chosen by cross-validation grouped by site. ``first_probas`` must
    be out of fold for the rows (as the block model's context pass uses them)."""
    chosen = [i for i, r in enumerate(rows) if r.page_type in PAGE_TYPES]
    if not chosen:
        raise ValueError("no rows with a page type")
    S = summaries([rows[i] for i in chosen], [first_probas[i] for i in chosen])
    y = np.array([rows[i].page_type for i in chosen])
    fold = group_folds([_site(rows[i]) for i in chosen], folds)
    C, losses, oof = choose_C(S, y, fold, Cs=Cs, balanced=balanced)
    classes = np.unique(y)
    predicted = classes[np.argmax(oof, axis=1)]
    info = {"pages": len(y), "folds": folds, "cv_log_loss": {repr(c): round(v, 4) for c, v in losses.items()},
            "cv_accuracy": round(float((predicted == y).mean()), 4),
            "cv_balanced_accuracy": round(_balanced_accuracy(y, predicted), 4),
            "class_counts": {str(c): int((y == c).sum()) for c in classes}}
    return fit_model("page_type", S, y, C, PAGE_SUMMARY_NAMES, balanced=balanced, info=info)


def _balanced_accuracy(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean([(predicted[y == c] == c).mean() for c in np.unique(y)]))


def fit_page_confidence(rows: Sequence[Any], first_probas: Sequence[np.ndarray],
                        negative_probas: Sequence[np.ndarray | None], *, folds: int = 5, Cs: Sequence[float] = CS,
                        max_emptied: float = MAX_EMPTIED) -> PageModel:
    """P(the page has main content): real pages against their chrome-only pages.

    ``negative_probas[i]`` is the first pass's P(content) of ``chrome_only(rows[i])`` (None
    when that is None), from the same out-of-fold model as ``first_probas[i]``: a model that
    saw the page would find its chrome too easy. C is chosen by cross-validation grouped by
    site, and the threshold is the ``max_emptied`` quantile of the real pages' out-of-fold
    confidence, so that about that share of real pages of unseen sites would be emptied.
    """
    if len(negative_probas) != len(rows):
        raise ValueError("one negative probability array (or None) per row")
    S, y, sites = [], [], []
    for row, first, negative in zip(rows, first_probas, negative_probas):
        S.append(page_summary(row.X, first))
        y.append(1)
        sites.append(_site(row))
        chrome = chrome_only(row)
        if (chrome is None) != (negative is None):
            raise ValueError(f"{row.dataset} {row.page_id}: negative probabilities do not match chrome_only()")
        if chrome is not None:
            S.append(page_summary(chrome, negative))
            y.append(0)
            sites.append(_site(row))
    S_all, y_all = _select(np.array(S), CONFIDENCE_NAMES), np.array(y)
    fold = group_folds(sites, folds)
    C, losses, oof = choose_C(S_all, y_all, fold, Cs=Cs)
    real, fake = oof[y_all == 1, 1], oof[y_all == 0, 1]
    threshold = threshold_for(real, max_emptied)
    info = {"pages": int((y_all == 1).sum()), "negatives": int((y_all == 0).sum()), "folds": folds,
            "cv_log_loss": {repr(c): round(v, 4) for c, v in losses.items()},
            "max_emptied": max_emptied, "cv_real_emptied": round(float((real < threshold).mean()), 4),
            "cv_chrome_emptied": round(float((fake < threshold).mean()), 4)}
    return fit_model("confidence", S_all, y_all, C, CONFIDENCE_NAMES, threshold=threshold,
                     class_names=CONFIDENCE_CLASSES, info=info)


def threshold_for(real_confidence: np.ndarray, max_emptied: float = MAX_EMPTIED) -> float:
    """The largest threshold (rounded down to 1e-4) below which at most ``max_emptied`` of these real pages fall."""
    real = np.sort(np.asarray(real_confidence, dtype=np.float64))
    allowed = int(math.floor(max_emptied * len(real)))
    if allowed >= len(real):
        return 1.0
    cut = real[allowed]  # pages strictly below it: at most ``allowed``
    return math.floor(cut * 1e4) / 1e4


def cross_fitted_type_proba(rows: Sequence[Any], first_probas: Sequence[np.ndarray], model: PageModel, *,
                            folds: int = 4, fit: Callable[..., PageModel] | None = None) -> list[np.ndarray]:
    """Page-type vectors (:meth:`PageModel.type_vector`) of every training row as the context
    pass should see them: for the rows the type model was fitted on (WCXB), from a model
    fitted without their site's fold (the folds of ``train.fold_of``); for the others, from
    ``model`` itself."""
    fit = fit or (lambda r, p: fit_page_type(r, p))
    S = summaries(rows, first_probas)
    out = [model.type_vector(s) for s in S]
    typed = np.array([r.page_type in PAGE_TYPES for r in rows], dtype=bool)
    fold = group_folds([_site(r) for r in rows], folds)
    for k in np.unique(fold[typed]):
        train = [i for i in np.flatnonzero(typed) if fold[i] != k]
        held = np.flatnonzero(typed & (fold == k))
        fold_model = fit([rows[i] for i in train], [first_probas[i] for i in train])
        for i in held:
            out[i] = fold_model.type_vector(S[i])
    return out


def top_type(vector: np.ndarray) -> str:
    """The most probable of ``PAGE_TYPES`` in a type vector (:meth:`PageModel.type_vector`):
    the type that decides whether a typed context pass scores the page, in training and at
    prediction alike."""
    return PAGE_TYPES[int(np.argmax(vector))]


def type_columns(vector: np.ndarray, n_blocks: int) -> np.ndarray:
    """A page's type vector repeated for each of its blocks: the ``PAGE_TYPE_CONTEXT_NAMES``
    columns a context pass would append, shape ``(n_blocks, len(PAGE_TYPES))``."""
    vector = np.asarray(vector, dtype=np.float32)
    if vector.shape != (len(PAGE_TYPES),):
        raise ValueError(f"a type vector has {len(PAGE_TYPES)} entries (PAGE_TYPES order), not {vector.shape}")
    return np.tile(vector, (n_blocks, 1))


# --- a pair of page models in one file -----------------------------------------------------


def page_models_json(type_model: PageModel | None, confidence_model: PageModel | None) -> str:
    """The JSON of a model file holding a page-type and/or a confidence model."""
    models = {"page_type": type_model, "confidence": confidence_model}
    for kind, model in models.items():
        if model is not None and model.kind != kind:
            raise ValueError(f"{kind} slot holds a {model.kind} model")
    return json.dumps({"format": FORMAT + "s", "version": PAGE_VERSION,
                       **{k: m.to_dict() for k, m in models.items() if m is not None}}, indent=1, sort_keys=True)


def load_page_models(text: str | bytes) -> dict[str, PageModel]:
    """The models of :func:`page_models_json` text, by kind; damaged text is a ``ModelError``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"page models are not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT + "s" or data.get("version") != PAGE_VERSION:
        raise ModelError("not a page-models file of this version")
    out = {kind: PageModel.from_json(data[kind]) for kind in KINDS if kind in data}
    for kind, model in out.items():
        if model.kind != kind:
            raise ModelError(f"{kind} slot holds a {model.kind} model")
    return out
