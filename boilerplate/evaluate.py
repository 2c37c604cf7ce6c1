"""Scores of an extractor on labelled test pages, per dataset and per WCXB page type.

One runner serves our model and the peers (``scripts/compare.py``): a system is a
function from page bytes to text; we score its text against the gold with the
text-level metrics, and, for our model, its block labels against the projected labels.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .metrics import PRF, block_prf, mean_f1, shingle_prf, summarize, word_prf


@dataclass(frozen=True, slots=True)
class PageScore:
    dataset: str
    page_id: str
    page_type: str | None
    shingle: PRF
    word: PRF
    seconds: float


@dataclass(slots=True)
class DatasetScore:
    """Summary of one system on one dataset's test pages."""

    pages: int
    shingle: PRF
    word_f1: float
    by_type: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # type -> (pages, shingle F1, word F1)
    block: PRF | None = None


def gold_text(page, target: str) -> str:
    """The gold text a system is scored against for a target."""
    if target == "article+comments" and page.comments.strip():
        return f"{page.article}\n\n{page.comments}"
    return page.article


def run_system(system: Callable[[bytes], str], pages: Sequence, *, target: str = "article",
               progress: bool = False, desc: str = "evaluate") -> list[PageScore]:
    """Run ``system`` on every page and score its text; a crash scores as an empty result."""
    from tqdm.auto import tqdm

    scores = []
    for page in tqdm(pages, disable=not progress, desc=desc, unit="page"):
        start = time.perf_counter()
        try:
            text = system(page.html) or ""
        except Exception:  # peers crash on some pages; that page then scores zero
            text = ""
        scores.append(score_text(page, text, target=target, seconds=time.perf_counter() - start))
    return scores


def score_text(page, text: str, *, target: str = "article", seconds: float = 0.0) -> PageScore:
    """A system's text of one gold page, scored against the page's gold for ``target``."""
    gold = gold_text(page, target)
    return PageScore(page.dataset, page.page_id, page.page_type, shingle_prf(text, gold), word_prf(text, gold), seconds)


def summarize_scores(scores: Sequence[PageScore]) -> dict[str, DatasetScore]:
    """Per-dataset summaries (plus ``"mean"`` over datasets) of page scores."""
    by_dataset: dict[str, list[PageScore]] = defaultdict(list)
    for score in scores:
        by_dataset[score.dataset].append(score)
    out: dict[str, DatasetScore] = {}
    for name in sorted(by_dataset):
        rows = by_dataset[name]
        summary = DatasetScore(len(rows), summarize(s.shingle for s in rows), mean_f1(s.word for s in rows))
        types: dict[str, list[PageScore]] = defaultdict(list)
        for s in rows:
            if s.page_type:
                types[s.page_type].append(s)
        summary.by_type = {t: (len(v), summarize(s.shingle for s in v).f1, mean_f1(s.word for s in v))
                           for t, v in sorted(types.items())}
        out[name] = summary
    if out:
        f1s = [d.shingle for d in out.values()]
        out["mean"] = DatasetScore(
            sum(d.pages for d in out.values()),
            PRF(*(float(np.mean([getattr(p, k) for p in f1s])) for k in ("precision", "recall", "f1"))),
            float(np.mean([d.word_f1 for d in out.values()])),
        )
    return out


@dataclass(frozen=True, slots=True)
class Difference:
    """One system's score minus another's on the same pages, with a paired bootstrap interval."""

    pages: int
    difference: float
    low: float
    high: float


def paired_difference(ours: Sequence[PageScore], theirs: Sequence[PageScore], metric: str = "text", *,
                      samples: int = 2000, level: float = 0.95, seed: int = 0) -> Difference:
    """``ours`` minus ``theirs`` (the same pages, in the same order) in text F1 (``"text"``:
    F1 of the averaged shingle precision and recall) or mean word F1 (``"word"``), and the
    ``level`` interval of that difference over ``samples`` resamplings of the pages, each
    page drawn with both systems' scores (a paired bootstrap): how far a figure measured
    on a few pages can be trusted."""
    return mean_difference([(ours, theirs)], metric, samples=samples, level=level, seed=seed)


def mean_difference(strata: Sequence[tuple[Sequence[PageScore], Sequence[PageScore]]], metric: str = "text", *,
                    samples: int = 2000, level: float = 0.95, seed: int = 0) -> Difference:
    """:func:`paired_difference` of the unweighted mean over strata (the datasets of the
    benchmark's mean), each stratum's pages resampled on their own."""
    if metric not in ("text", "word"):
        raise ValueError(f"metric must be 'text' or 'word', not {metric!r}")
    strata = [(ours, theirs) for ours, theirs in strata if ours or theirs]
    if not strata:
        return Difference(0, 0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    points, spreads = [], []
    for ours, theirs in strata:
        check_same_pages(ours, theirs)
        a, b = _values(ours, metric), _values(theirs, metric)
        picks = rng.integers(0, len(ours), size=(samples, len(ours)))
        points.append(_statistic(a, metric) - _statistic(b, metric))
        spreads.append(_statistic(a[:, picks], metric) - _statistic(b[:, picks], metric))
    spread = np.mean(spreads, axis=0)
    low, high = np.quantile(spread, [(1 - level) / 2, (1 + level) / 2])
    return Difference(sum(len(ours) for ours, _ in strata), float(np.mean(points)), float(low), float(high))


def check_same_pages(ours: Sequence[PageScore], theirs: Sequence[PageScore]) -> None:
    """Raise ValueError unless both systems' scores are of the same pages in the same order."""
    if [(s.dataset, s.page_id) for s in ours] != [(s.dataset, s.page_id) for s in theirs]:
        raise ValueError("a paired difference needs both systems' scores of the same pages in the same order")


def _values(scores: Sequence[PageScore], metric: str) -> np.ndarray:
    """Per-page inputs of a summary: shingle precision and recall, or word F1 (rows)."""
    if metric == "text":
        return np.array([[s.shingle.precision for s in scores], [s.shingle.recall for s in scores]])
    return np.array([[s.word.f1 for s in scores]])


def _statistic(values: np.ndarray, metric: str) -> np.ndarray:
    """:func:`summarize`'s F1 (``"text"``) or :func:`mean_f1` (``"word"``) over the last axis."""
    if metric == "word":
        return values[0].mean(axis=-1)
    precision, recall = values[0].mean(axis=-1), values[1].mean(axis=-1)
    total = precision + recall
    return np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)


def block_scores(extractor, pages: Sequence, rows_by_id: dict, *, target: str) -> dict[str, PRF]:
    """Block-level precision/recall/F1 of the extractor's labels against projected labels."""
    by_dataset: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for page in pages:
        rows = rows_by_id.get((page.dataset, page.page_id))
        if rows is None:
            continue
        predicted = extractor.proba(rows.X, rows.paths) >= extractor.threshold
        by_dataset[page.dataset].append((predicted, rows.labels(target)))
    return {name: block_prf(np.concatenate([p for p, _ in v]), np.concatenate([g for _, g in v]))
            for name, v in by_dataset.items()}


def format_table(results: dict[str, dict[str, DatasetScore]]) -> str:
    """A Markdown table: one row per dataset, one column pair per system."""
    systems = list(results)
    datasets = [d for d in next(iter(results.values())) if d != "mean"] + ["mean"]
    head = "| dataset | pages | " + " | ".join(f"{s} F1" for s in systems) + " |"
    lines = [head, "|" + "---|" * (2 + len(systems))]
    for d in datasets:
        first = results[systems[0]].get(d)
        cells = [f"{results[s][d].shingle.f1:.3f}" if d in results[s] else "–" for s in systems]
        lines.append(f"| {d} | {first.pages if first else 0} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_types_table(results: dict[str, dict[str, DatasetScore]], dataset: str = "wcxb") -> str:
    """A Markdown table of WCXB word F1 per page type for each system."""
    systems = [s for s in results if dataset in results[s]]
    if not systems:
        return ""
    types = list(results[systems[0]][dataset].by_type)
    lines = ["| page type | pages | " + " | ".join(f"{s} word F1" for s in systems) + " |",
             "|" + "---|" * (2 + len(systems))]
    for t in types:
        n = results[systems[0]][dataset].by_type[t][0]
        cells = [f"{results[s][dataset].by_type.get(t, (0, 0.0, 0.0))[2]:.3f}" for s in systems]
        lines.append(f"| {t} | {n} | " + " | ".join(cells) + " |")
    cells = [f"{results[s][dataset].word_f1:.3f}" for s in systems]
    lines.append(f"| all | {results[systems[0]][dataset].pages} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
