"""Training: public labelled pages → a fitted, thresholded, saved extractor.

Steps: read each dataset's training pages (the fixed split's complement), build rows
(blocks, features, projected labels), hold out a fifth of the sites to choose the
decision threshold, then fit the classifier on all training rows and save it.
Everything is seeded: the same data and code give the same model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .extractor import TARGETS, Extractor
from .model import BlockClassifier
from .persist import save_model
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


def load_corpus(datasets: Sequence[str], *, split: str, data_dir=None, cache_dir=None,
                n_jobs: int = 1, progress: bool = False) -> Corpus:
    """Pages and rows of one split (``"train"`` or ``"test"``) of the named datasets."""
    from .corpora import default_cache_dir, load_pages

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    pages: dict[str, list] = {}
    rows: list[PageRows] = []
    skipped: list[Skipped] = []
    for name in datasets:
        selected = [p for p in load_pages(name, data_dir=data_dir, cache_dir=cache)
                    if split_of(name, p.page_id) == split]
        pages[name] = selected
        r, s = cached_rows(f"{name}-{split}", selected, cache_dir=cache, n_jobs=n_jobs, progress=progress)
        rows += r
        skipped += s
    return Corpus(pages=pages, rows=rows, skipped=skipped)


def is_validation_group(group: str) -> bool:
    """A fifth of the training sites, by hash, hold out to choose the threshold."""
    return hashlib.sha1(f"validation:{group}".encode()).digest()[0] % 5 == 0


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


def choose_threshold(rows: Sequence[PageRows], *, target: str, params: dict[str, Any]) -> tuple[float, float]:
    """Fit on four fifths of the sites, return the threshold that scores best on the rest."""
    fit_rows = [r for r in rows if not is_validation_group(f"{r.dataset}:{r.group}")]
    val_rows = [r for r in rows if is_validation_group(f"{r.dataset}:{r.group}")]
    if not fit_rows or not val_rows:
        return 0.5, float("nan")
    X, y, w, _ = stack(fit_rows, target)
    model = BlockClassifier(**params).fit(X, y, sample_weight=w)
    probas = [model.content_proba(r.X) for r in val_rows]
    scores = {t: page_text_score(val_rows, probas, t, target) for t in THRESHOLDS}
    best = max(scores, key=lambda t: (scores[t], -abs(t - 0.5)))
    log.info("threshold scores: %s", {t: round(s, 4) for t, s in scores.items()})
    return best, scores[best]


def fit_extractor(rows: Sequence[PageRows], *, target: str = "article", params: dict[str, Any] | None = None,
                  tune_threshold: bool = True) -> tuple[Extractor, dict[str, Any]]:
    """Choose the threshold on held-out sites, then fit on all rows."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    params = dict(params or {})
    start = time.perf_counter()
    threshold, val_score = choose_threshold(rows, target=target, params=params) if tune_threshold else (0.5, float("nan"))
    X, y, w, _ = stack(rows, target)
    classifier = BlockClassifier(**params).fit(X, y, sample_weight=w)
    info = {
        "train_pages": len(rows),
        "train_blocks": int(len(y)),
        "content_block_share": round(float(y.mean()), 4),
        "validation_score": None if np.isnan(val_score) else round(val_score, 4),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return Extractor(classifier=classifier, threshold=threshold, target=target), info


def train(*, datasets: Sequence[str] = DATASETS, data_dir=None, cache_dir=None, output: str | Path,
          target: str = "article", params: dict[str, Any] | None = None, n_jobs: int = 1,
          progress: bool = False) -> dict[str, Any]:
    """Train on the training split of ``datasets`` and save the model; returns its manifest."""
    from .corpora import load_registry

    corpus = load_corpus(datasets, split="train", data_dir=data_dir, cache_dir=cache_dir,
                         n_jobs=n_jobs, progress=progress)
    extractor, info = fit_extractor(corpus.rows, target=target, params=params)
    registry = load_registry()
    info["datasets"] = {
        name: {"sha256": registry.datasets[name].sha256, "train_pages": sum(r.dataset == name for r in corpus.rows),
               "skipped": sum(s.dataset == name for s in corpus.skipped)}
        for name in datasets
    }
    return save_model(extractor.classifier, output, threshold=extractor.threshold, target=target, info=info)
