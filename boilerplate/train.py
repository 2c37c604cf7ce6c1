"""Training: public labelled pages → a fitted, thresholded, saved extractor.

Steps: read each dataset's training pages (the fixed split's complement), build rows
(blocks, features, projected labels), fit the first pass on all of them, then the
context pass on first-pass probabilities made out of fold (each site scored by a model
that never saw it, as it will be at prediction time); the decision threshold is chosen
on a fifth of the sites held out from the context pass.
Everything is seeded: the same data and code give the same model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .context import context_features
from .errors import DatasetError
from .extractor import TARGETS, Extractor
from .model import BlockClassifier
from .page import (
    PAGE_TYPES, PageModel, cross_fitted_type_proba, fit_page_type, page_models_json, top_type, type_columns,
)
from .persist import COMPANIONS, atomic_write, companion_path, save_model
from .splits import split_of
from .trainset import PageRows, Skipped, cached_rows, stack

log = logging.getLogger(__name__)

DATASETS = ("cleaneval", "dragnet", "l3s-gn1", "readability", "wcxb")
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.20, 0.81, 0.05))


@dataclass(frozen=True, slots=True)
class Corpus:
    """Rows of one split of several datasets, with the pages left out and why."""

    pages: dict[str, list]          # dataset -> GoldPage list of this split
    rows: list[PageRows]
    skipped: list[Skipped]
    unread: list = field(default_factory=list)  # SkippedPage: pages the readers could not use


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A page of the split that training did not use: its files and why; ``error`` when it is
    a bad input (an unreadable file, or gold that does not match its page) rather than a page
    the dataset publishes without gold."""

    dataset: str
    page_id: str
    files: tuple[str, ...]
    reason: str
    error: bool


def left_out(corpus: Corpus) -> list[LeftOut]:
    """Every page of the corpus's split that has no rows, with its files and the reason."""
    files = {(p.dataset, p.page_id): tuple(getattr(p, "files", ())) for pages in corpus.pages.values() for p in pages}
    out = [LeftOut(s.dataset, s.page_id, tuple(s.files), s.reason, bool(s.error)) for s in corpus.unread]
    out += [LeftOut(s.dataset, s.page_id, files.get((s.dataset, s.page_id), ()), s.reason, True) for s in corpus.skipped]
    return out


def load_corpus(datasets: Sequence[str], *, split: str, data_dir=None, cache_dir=None,
                n_jobs: int = 1, progress: bool = False) -> Corpus:
    """Pages and rows of one split (``"train"`` or ``"test"``) of the named datasets."""
    from .corpora import default_cache_dir, load_pages

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    pages: dict[str, list] = {}
    rows: list[PageRows] = []
    skipped: list[Skipped] = []
    unread: list = []
    for name in datasets:
        selected = [p for p in load_pages(name, data_dir=data_dir, cache_dir=cache, on_skip=unread.append)
                    if split_of(name, p.page_id) == split]
        pages[name] = selected
        r, s = cached_rows(f"{name}-{split}", selected, cache_dir=cache, n_jobs=n_jobs, progress=progress)
        rows += r
        skipped += s
    unread = [s for s in unread if split_of(s.dataset, s.page_id) == split]
    return Corpus(pages=pages, rows=rows, skipped=skipped, unread=unread)


def is_validation_group(group: str) -> bool:
    """A fifth of the training sites, by hash, hold out to choose the threshold."""
    return hashlib.sha1(f"validation:{group}".encode()).digest()[0] % 5 == 0


def fold_of(group: str, folds: int) -> int:
    """The cross-fitting fold of a site (by hash, so a site's pages share a fold)."""
    return hashlib.sha1(f"fold:{group}".encode()).digest()[0] % folds


def page_text_score(rows: Sequence[PageRows], probas: Sequence[np.ndarray], threshold: float, target: str) -> float:
    """Token-weighted block F1 per page, precision and recall averaged over pages: a cheap
    stand-in for the text-level metric, used to choose the threshold."""
    precisions, recalls = [], []
    for r, p in zip(rows, probas):
        gold = r.labels(target)
        predicted = p >= threshold
        tp = float(r.weights[predicted & gold].sum())
        n_pred, n_gold = float(r.weights[predicted].sum()), float(r.weights[gold].sum())
        precisions.append(tp / n_pred if n_pred else float(n_gold == 0))
        recalls.append(tp / n_gold if n_gold else 1.0)
    p, r_ = float(np.mean(precisions)), float(np.mean(recalls))
    return 2 * p * r_ / (p + r_) if p + r_ else 0.0


def best_threshold(rows: Sequence[PageRows], probas: Sequence[np.ndarray], target: str) -> tuple[float, float]:
    """The threshold with the best :func:`page_text_score` (ties go to the one nearest 0.5)."""
    scores = {t: page_text_score(rows, probas, t, target) for t in THRESHOLDS}
    log.info("threshold scores: %s", {t: round(s, 4) for t, s in scores.items()})
    best = max(scores, key=lambda t: (scores[t], -abs(t - 0.5)))
    return best, scores[best]


def _fit(rows: Sequence[PageRows], target: str, params: dict[str, Any], extra=None) -> BlockClassifier:
    X, y, w, _ = stack(rows, target)
    if extra is not None:
        X = np.hstack([X, np.concatenate(extra)])
    return BlockClassifier(**params).fit(X, y, sample_weight=w)


def out_of_fold_proba(rows: Sequence[PageRows], *, target: str, params: dict[str, Any], folds: int,
                      extra: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """P(content) of every training page from a model that did not see its site: the first
    pass's, or with ``extra`` (per page, columns beside its features) a second pass's."""
    keys = [fold_of(f"{r.dataset}:{r.group}", folds) for r in rows]
    out: list[np.ndarray | None] = [None] * len(rows)
    for k in range(folds):
        held = [i for i, key in enumerate(keys) if key == k]
        if not held:
            continue
        fit = [i for i, key in enumerate(keys) if key != k]
        model = _fit([rows[i] for i in fit], target, params, None if extra is None else [extra[i] for i in fit])
        for i in held:
            out[i] = model.content_proba(rows[i].X if extra is None else np.hstack([rows[i].X, extra[i]]))
    return [p if p is not None else np.zeros(len(r.texts)) for p, r in zip(out, rows)]


def check_typed_page_types(typed_page_types: Sequence[str], *, context: bool) -> None:
    """Raise ValueError unless every type is one of ``PAGE_TYPES`` and there is a context
    pass for the typed pass to stand beside."""
    unknown = set(typed_page_types) - set(PAGE_TYPES)
    if unknown:
        raise ValueError(f"typed page types must be among {', '.join(PAGE_TYPES)}, not {', '.join(sorted(unknown))}")
    if typed_page_types and not context:
        raise ValueError("a typed context pass stands beside the context pass: it needs the context pass on")


def fit_extractor(rows: Sequence[PageRows], *, target: str = "article", params: dict[str, Any] | None = None,
                  context: bool = True, folds: int = 4, tune_threshold: bool = True,
                  typed_page_types: Sequence[str] = (), page_models: dict[str, PageModel] | None = None,
                  ) -> tuple[Extractor, dict[str, Any]]:
    """Fit the first pass on all rows and, with ``context``, a second pass on out-of-fold
    first-pass probabilities (cross-fitting by site); choose the threshold on held-out sites.

    With ``typed_page_types``, a typed context pass is fitted too: it also reads the
    page-type model's probabilities, and scores the pages typed one of those types. The
    page-type model is ``page_models["page_type"]`` (else one fitted on the out-of-fold
    first pass); the rows it was fitted on (WCXB's) get type vectors cross-fitted by site.
    ``page_models`` are kept with the extractor."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    check_typed_page_types(typed_page_types, context=context)
    page_models = dict(page_models or {})
    if typed_page_types and "page_type" not in page_models and not any(r.page_type in PAGE_TYPES for r in rows):
        raise ValueError("a typed context pass needs a page-type model or pages with a page type (WCXB's)")
    params = dict(params or {})
    start = time.perf_counter()
    first = _fit(rows, target, params)
    validation = [is_validation_group(f"{r.dataset}:{r.group}") for r in rows]
    val_rows = [r for r, v in zip(rows, validation) if v]
    fit_rows = [r for r, v in zip(rows, validation) if not v]
    tune = tune_threshold and bool(val_rows) and bool(fit_rows)
    second = typed = None
    if context:
        oof = out_of_fold_proba(rows, target=target, params=params, folds=folds)
        extra = [context_features(p, r.paths, r.X) for p, r in zip(oof, rows)]
        second = _fit(rows, target, params, extra)
        if tune:
            held = _fit(fit_rows, target, params, [e for e, v in zip(extra, validation) if not v])
            probas = [held.content_proba(np.hstack([r.X, e])) for r, e, v in zip(rows, extra, validation) if v]
        if typed_page_types:
            if "page_type" not in page_models:
                page_models["page_type"] = fit_page_type(rows, oof)
            types = cross_fitted_type_proba(rows, oof, page_models["page_type"], folds=folds)
            typed_extra = [np.hstack([e, type_columns(t, len(r.texts))]) for e, t, r in zip(extra, types, rows)]
            typed = _fit(rows, target, params, typed_extra)
            if tune:
                held = _fit(fit_rows, target, params, [e for e, v in zip(typed_extra, validation) if not v])
                gated = [top_type(t) in typed_page_types for t, v in zip(types, validation) if v]
                val_extra = [e for e, v in zip(typed_extra, validation) if v]
                probas = [held.content_proba(np.hstack([r.X, e])) if g else p
                          for r, e, g, p in zip(val_rows, val_extra, gated, probas)]
    elif tune:
        held = _fit(fit_rows, target, params)
        probas = [held.content_proba(r.X) for r in val_rows]
    threshold, val_score = best_threshold(val_rows, probas, target) if tune else (0.5, float("nan"))
    X, y, _, _ = stack(rows, target)
    info = {
        "train_pages": len(rows),
        "train_blocks": int(len(y)),
        "content_block_share": round(float(y.mean()), 4),
        "context_folds": folds if context else 0,
        "validation_score": None if np.isnan(val_score) else round(val_score, 4),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return Extractor(classifier=first, threshold=threshold, target=target, context_classifier=second,
                     page_models=page_models or None, typed_context_classifier=typed,
                     typed_page_types=frozenset(typed_page_types) if typed is not None else frozenset()), info


def train(*, datasets: Sequence[str] = DATASETS, data_dir=None, cache_dir=None, output: str | Path,
          target: str = "article", params: dict[str, Any] | None = None, context: bool = True,
          n_jobs: int = 1, progress: bool = False, on_error: str = "skip",
          on_left_out: Callable[[LeftOut], object] | None = None, typed_page_types: Sequence[str] = (),
          page_models: dict[str, PageModel] | None = None) -> dict[str, Any]:
    """Train on the training split of ``datasets`` and save the model; returns its manifest.

    Every training page left out goes to ``on_left_out`` (else it is logged). A bad input
    (unreadable file, gold that does not match its page) is left out with ``on_error="skip"``
    and stops training with a ``DatasetError`` naming it with ``on_error="fail"``.
    """
    from .corpora import load_registry

    if on_error not in ("skip", "fail"):
        raise ValueError(f"on_error must be 'skip' or 'fail', not {on_error!r}")
    corpus = load_corpus(datasets, split="train", data_dir=data_dir, cache_dir=cache_dir,
                         n_jobs=n_jobs, progress=progress)
    left = left_out(corpus)
    errors = [item for item in left if item.error]
    if on_error == "fail" and errors:
        first = errors[0]
        raise DatasetError(f"{len(errors)} training page(s) cannot be used; first: {first.dataset} {first.page_id} "
                           f"({', '.join(first.files) or 'no file'}): {first.reason}; "
                           "pass --on-error skip to leave such pages out (they are listed)")
    for item in left:
        if on_left_out is not None:
            on_left_out(item)
        else:
            log.info("left out %s %s (%s): %s", item.dataset, item.page_id, ", ".join(item.files), item.reason)
    if left and on_left_out is None:
        log.warning("left out %d training page(s), %d of them bad inputs (-v lists them)", len(left), len(errors))
    extractor, info = fit_extractor(corpus.rows, target=target, params=params, context=context,
                                    typed_page_types=typed_page_types, page_models=page_models)
    registry = load_registry()
    info["datasets"] = {
        name: {"sha256": registry.datasets[name].sha256, "train_pages": sum(r.dataset == name for r in corpus.rows),
               "skipped": sum(s.dataset == name for s in corpus.skipped)}
        for name in datasets
    }
    return save_extractor(extractor, output, info=info)


def context_path(output: str | Path) -> Path:
    """Where the context pass of a model file is saved: ``<name>.context<suffix>``."""
    return companion_path(output, "context")


def save_extractor(extractor: Extractor, output: str | Path, *, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save an extractor's classifiers (the context passes first, then the main file that
    names them) and its page-level models (``<name>.page.json``)."""
    info = dict(info or {})
    classifiers = {"context": extractor.context_classifier, "context+type": extractor.typed_context_classifier}
    for key, stage, _ in COMPANIONS:
        classifier = classifiers[stage]
        if classifier is not None:
            path = companion_path(output, stage)
            saved = save_model(classifier, path, threshold=extractor.threshold, target=extractor.target, stage=stage)
            info.update({f"{key}_model": path.name, f"{key}_sha256": saved["sha256"]})
    if extractor.typed_context_classifier is not None:
        info["typed_page_types"] = sorted(extractor.typed_page_types, key=PAGE_TYPES.index)
    if extractor.page_models:
        from .extractor import page_models_path

        models = extractor.page_models
        text = page_models_json(models.get("page_type"), models.get("confidence")).encode("utf-8")
        atomic_write(page_models_path(Path(output)), lambda handle: handle.write(text))
    return save_model(extractor.classifier, output, threshold=extractor.threshold, target=extractor.target, info=info)
