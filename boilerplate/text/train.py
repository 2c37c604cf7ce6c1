"""Training the text model: labelled HTML pages → flattened text → a saved segment classifier.

Steps: render each dataset's training pages to text blocks with projected labels
(``pages``), flatten each page one way, chosen by a hash of its id (half keep their line
breaks, half become one line: the model meets both, and every page counts once), segment
and featurise (``trainset``), fit the two-pass model (``model``: two folds by site),
choose the decision threshold with the text-level metric itself on the out-of-fold
probabilities of all training pages, and save.
Everything is seeded: the same data and code give the same model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from ..metrics import shingle_prf, summarize
from ..persist import save_model
from ..splits import split_of
from ..train import DATASETS
from ..trainset import Skipped
from .extractor import KIND, MARKER_MAX_PROBA, TextExtractor, cap_markers
from .features import TEXT_FEATURE_NAMES, TEXT_FEATURE_VERSION
from .model import CONTEXT_NAMES, TwoPassClassifier, page_fold
from .pages import FLATTENINGS, TextPage, cached_pages
from .segment import SEGMENT_VERSION
from .trainset import TextRows, stack, text_rows

log = logging.getLogger(__name__)

THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.20, 0.81, 0.05))
#: The shipped text model's parameters: big enough for the page-context features, small
#: enough to train in a few minutes on two cores and to stay under a megabyte or two.
DEFAULT_PARAMS: dict[str, Any] = {"max_iter": 250, "max_leaf_nodes": 31, "min_samples_leaf": 40}


def load_text_pages(datasets: Sequence[str], *, split: str, data_dir=None, cache_dir=None, n_jobs: int = 1,
                    progress: bool = False) -> tuple[list[TextPage], list[Skipped]]:
    """Rendered pages of one split (``"train"`` or ``"test"``) of the named datasets."""
    from ..corpora import default_cache_dir, load_pages

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    pages: list[TextPage] = []
    skipped: list[Skipped] = []
    for name in datasets:
        selected = [p for p in load_pages(name, data_dir=data_dir, cache_dir=cache) if split_of(name, p.page_id) == split]
        rendered, left_out = cached_pages(f"{name}-{split}", selected, cache_dir=cache, n_jobs=n_jobs, progress=progress)
        pages += rendered
        skipped += left_out
    return pages, skipped


def training_flattening(page: TextPage) -> str:
    """The one flattening a training page is used in, by a hash of its id."""
    digest = hashlib.sha1(f"flatten:{page.dataset}:{page.page_id}".encode()).digest()
    return FLATTENINGS[digest[0] % len(FLATTENINGS)]


def _rows(page: TextPage, flattenings: tuple[str, ...]) -> list[TextRows]:
    return [text_rows(page, f) for f in flattenings]


def build_rows(pages: Sequence[TextPage], *, both: bool = False, n_jobs: int = 1,
               progress: bool = False) -> list[TextRows]:
    """Rows of the pages: each in its :func:`training_flattening`, or in both with ``both``."""
    from tqdm.auto import tqdm

    jobs = [(p, FLATTENINGS if both else (training_flattening(p),)) for p in pages]
    if n_jobs == 1:
        nested = [_rows(p, f) for p, f in tqdm(jobs, disable=not progress, desc="segments", unit="page")]
    else:
        nested = joblib.Parallel(n_jobs=n_jobs, batch_size=16, return_as="generator")(
            joblib.delayed(_rows)(p, f) for p, f in jobs)
        nested = list(tqdm(nested, total=len(jobs), disable=not progress, desc="segments", unit="page"))
    return [r for rows in nested for r in rows]


def text_score(rows: Sequence[TextRows], probas: Sequence[np.ndarray], threshold: float) -> float:
    """Text-level F1 (4-gram shingles, precision and recall averaged over pages) at a threshold."""
    scores = []
    for r, p in zip(rows, probas):
        kept = [s for s, keep in zip(r.segments, p >= threshold) if keep]
        scores.append(shingle_prf(" ".join(s.text for s in kept), r.gold))
    return summarize(scores).f1


def choose_threshold(rows: Sequence[TextRows], proba: np.ndarray) -> tuple[float, float]:
    """The threshold with the best text F1 over the rows, given out-of-fold probabilities."""
    bounds = np.cumsum([0] + [len(r.y) for r in rows])
    probas = [proba[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]
    scores = {t: text_score(rows, probas, t) for t in THRESHOLDS}
    best = max(scores, key=lambda t: (scores[t], -abs(t - 0.5)))
    log.info("threshold scores: %s", {t: round(s, 4) for t, s in scores.items()})
    return best, scores[best]


def _by_dataset(rows: Sequence[TextRows], proba: np.ndarray, threshold: float) -> dict[str, dict[str, float]]:
    """Out-of-fold text F1 per dataset and flattening at the chosen threshold."""
    bounds = np.cumsum([0] + [len(r.y) for r in rows])
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r.dataset, r.flattening), []).append(i)
    out: dict[str, dict[str, float]] = {}
    for (dataset, flattening), index in sorted(groups.items()):
        score = text_score([rows[i] for i in index], [proba[bounds[i]:bounds[i + 1]] for i in index], threshold)
        out.setdefault(dataset, {})[flattening] = round(score, 4)
    return out


def site_folds(rows: Sequence[TextRows]) -> np.ndarray:
    """The cross-fitting fold (0 or 1) of every row, by the site of its page."""
    return np.concatenate([np.full(len(r.y), page_fold(f"{r.dataset}:{r.group}")) for r in rows])


def fit_text_extractor(rows: Sequence[TextRows], *, params: dict[str, Any] | None = None,
                       tune_threshold: bool = True) -> tuple[TextExtractor, dict[str, Any]]:
    """Fit the two-pass model; the threshold is chosen on its out-of-fold probabilities."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    start = time.perf_counter()
    X, y, w = stack(rows)
    pages = np.concatenate([np.full(len(r.y), i) for i, r in enumerate(rows)])
    classifier = TwoPassClassifier(**params).fit(X, y, sample_weight=w, pages=pages, folds=site_folds(rows))
    oof = cap_markers(X, classifier.oof_proba_)  # as the extractor will score them
    threshold, oof_score = choose_threshold(rows, oof) if tune_threshold else (0.5, float("nan"))
    del classifier.oof_proba_  # one number per training segment: not part of the model file
    info = {
        "train_pages": len({(r.dataset, r.page_id) for r in rows}),
        "train_segments": int(len(y)),
        "content_segment_share": round(float(y.mean()), 4),
        "out_of_fold_text_f1": None if np.isnan(oof_score) else round(oof_score, 4),
        "out_of_fold_text_f1_by_dataset": _by_dataset(rows, oof, threshold) if tune_threshold else None,
        "marker_max_proba": MARKER_MAX_PROBA,
        "fit_seconds": round(time.perf_counter() - start, 1),
    }
    return TextExtractor(classifier=classifier, threshold=threshold), info


def save_text_model(extractor: TextExtractor, path: str | Path, *, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Save a text model with its manifest (text feature set, segmenter version, ``kind``)."""
    record = {"kind": KIND, "segment_version": SEGMENT_VERSION, "context_names": list(CONTEXT_NAMES), **(info or {})}
    return save_model(extractor.classifier, path, threshold=extractor.threshold, target="article", info=record,
                      feature_names=TEXT_FEATURE_NAMES, feature_version=TEXT_FEATURE_VERSION)


def train_text(*, datasets: Sequence[str] = DATASETS, data_dir=None, cache_dir=None, output: str | Path,
               params: dict[str, Any] | None = None, n_jobs: int = 1, progress: bool = False) -> dict[str, Any]:
    """Train on the training split of ``datasets`` and save the text model; returns its manifest."""
    from ..corpora import load_registry

    start = time.perf_counter()
    pages, skipped = load_text_pages(datasets, split="train", data_dir=data_dir, cache_dir=cache_dir,
                                     n_jobs=n_jobs, progress=progress)
    rows = build_rows(pages, n_jobs=n_jobs, progress=progress)
    extractor, info = fit_text_extractor(rows, params=params)
    registry = load_registry()
    info["datasets"] = {
        name: {"sha256": registry.datasets[name].sha256, "train_pages": sum(p.dataset == name for p in pages),
               "skipped": sum(s.dataset == name for s in skipped)}
        for name in datasets
    }
    info["train_seconds"] = round(time.perf_counter() - start, 1)
    return save_text_model(extractor, output, info=info)


