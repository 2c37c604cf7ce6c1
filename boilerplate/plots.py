"""An evaluation report as PNG plots and an ``index.html`` that shows them with the tables.

Needs matplotlib (the ``report`` extra). Figures are drawn with matplotlib's object API
on the Agg canvas (no pyplot, no global backend switch), and every file is written
atomically. The plots: text F1 per dataset of ours beside each peer, WCXB word F1 per
page type, the block classifier's precision/recall over thresholds, and the permutation
importance of the first-pass features on a sample of test blocks.
"""

from __future__ import annotations

import html
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .features import FEATURE_NAMES
from .persist import atomic_write

#: Features shown in the importance plot.
TOP_FEATURES = 25
N_REPEATS = 3
#: Rows per classifier call in the permutation importance (shuffled copies of several features).
BATCH_ROWS = 200_000
OURS = "boilerplate"


@dataclass(frozen=True, slots=True)
class Importance:
    """Drop of the block ROC AUC when a feature's column is shuffled (mean and std over repeats)."""

    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    baseline: float


def write_report(report, directory: str | os.PathLike[str], *, classifier=None, progress: bool = False) -> list[Path]:
    """Write the plots that ``report`` has data for, and ``index.html``; returns the paths written.

    ``classifier`` is the first-pass classifier, for the permutation importance (skipped
    without it or without a block sample in the report).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    for caption, name, figure in _figures(report, classifier, progress):
        path = out / name
        _save(figure, path)
        written.append((caption, path))
    index = out / "index.html"
    page = index_html(report, [(caption, path.name) for caption, path in written])
    atomic_write(index, lambda handle: handle.write(page.encode("utf-8")))
    return [path for _, path in written] + [index]


def _figures(report, classifier, progress: bool):
    if report.results:
        yield "Text-level F1 per dataset", "text_f1.png", text_f1_figure(report.results)
    types = wcxb_types_figure(report.results)
    if types is not None:
        yield "WCXB word F1 per page type", "wcxb_types.png", types
    outcomes = getattr(report, "outcomes", None)
    if outcomes is not None and len(outcomes.labels) and 0 < outcomes.labels.sum() < len(outcomes.labels):
        yield "Block precision and recall over thresholds", "precision_recall.png", precision_recall_figure(outcomes)
        if classifier is not None and len(outcomes.sample_labels):
            importance = permutation_importance(classifier, outcomes.sample_X, outcomes.sample_labels,
                                                progress=progress)
            if importance is not None:
                yield "Permutation importance (first pass)", "feature_importance.png", importance_figure(importance)


def _save(figure: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))


def _systems(results) -> list[str]:
    return sorted(results, key=lambda s: (s != OURS, s))


def _grouped_bars(ax, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for k, (name, values) in enumerate(series.items()):
        bars = ax.bar(x + (k - (len(series) - 1) / 2) * width, values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.08)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def text_f1_figure(results) -> Figure:
    """Grouped bars: text-level (shingle) F1 per dataset, ours beside each peer."""
    systems = _systems(results)
    datasets = sorted({d for s in systems for d in results[s] if d != "mean"})
    if any("mean" in results[s] for s in systems):
        datasets.append("mean")
    series = {s: [results[s][d].shingle.f1 if d in results[s] else 0.0 for d in datasets] for s in systems}
    figure = Figure(figsize=(max(6, 1.4 * len(datasets) * max(1, len(systems) / 2)), 4.2))
    ax = figure.subplots()
    _grouped_bars(ax, datasets, series)
    ax.set_ylabel("text F1 (4-gram shingles)")
    ax.set_title("Text-level F1 per dataset")
    figure.tight_layout()
    return figure


def wcxb_types_figure(results, dataset: str = "wcxb") -> Figure | None:
    """Grouped bars: WCXB word F1 per page type and overall; ``None`` without WCXB scores."""
    systems = [s for s in _systems(results) if dataset in results[s]]
    if not systems:
        return None
    types = sorted({t for s in systems for t in results[s][dataset].by_type})
    groups = types + ["all"]
    series = {s: [results[s][dataset].by_type[t][2] if t in results[s][dataset].by_type else 0.0 for t in types]
              + [results[s][dataset].word_f1] for s in systems}
    figure = Figure(figsize=(max(6, 1.1 * len(groups) * max(1, len(systems) / 2)), 4.2))
    ax = figure.subplots()
    _grouped_bars(ax, groups, series)
    ax.set_ylabel("word F1 (mean over pages)")
    ax.set_title("WCXB word F1 per page type")
    figure.tight_layout()
    return figure


def precision_recall_figure(outcomes) -> Figure:
    """Block precision and recall (against projected labels) as the threshold moves."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(outcomes.labels.astype(int), outcomes.proba)
    figure = Figure(figsize=(10, 4.2))
    left, right = figure.subplots(1, 2)
    left.plot(recall, precision, color="tab:blue")
    at = outcomes.proba >= outcomes.threshold
    tp = float(np.sum(at & outcomes.labels))
    p_at = tp / max(float(at.sum()), 1.0)
    r_at = tp / max(float(outcomes.labels.sum()), 1.0)
    left.plot([r_at], [p_at], "o", color="tab:red",
              label=f"threshold {outcomes.threshold:.2f}: P {p_at:.3f}, R {r_at:.3f}")
    left.set_xlabel("recall")
    left.set_ylabel("precision")
    left.set_xlim(0, 1.01)
    left.set_ylim(0, 1.01)
    left.grid(alpha=0.3)
    left.legend(loc="lower left", fontsize=8)
    left.set_title(f"Precision–recall, {len(outcomes.labels):,} test blocks")
    right.plot(thresholds, precision[:-1], label="precision")
    right.plot(thresholds, recall[:-1], label="recall")
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    right.plot(thresholds, f1, label="F1", color="tab:gray", linestyle="--")
    right.axvline(outcomes.threshold, color="tab:red", linewidth=1)
    right.set_xlabel("threshold on P(content)")
    right.set_xlim(0, 1)
    right.set_ylim(0, 1.01)
    right.grid(alpha=0.3)
    right.legend(loc="lower left", fontsize=8)
    right.set_title("Over thresholds")
    figure.tight_layout()
    return figure


def permutation_importance(classifier, X: np.ndarray, y: np.ndarray, *, n_repeats: int = N_REPEATS,
                           random_state: int = 0, progress: bool = False) -> Importance | None:
    """Mean drop of the block ROC AUC when each feature column is shuffled (as scikit-learn's
    ``permutation_importance``, through ``content_proba`` so the portable classifier works too).

    The shuffled copies of several features go through the classifier in one call of at
    most about ``BATCH_ROWS`` rows; ``None`` when ``y`` has a single class.
    """
    from tqdm.auto import tqdm

    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return None
    X = np.asarray(X, dtype=np.float32)
    n, width = X.shape
    baseline = roc_auc(y, classifier.content_proba(X))
    rng = np.random.RandomState(random_state)
    varying = [j for j in range(width) if np.any(X[:, j] != X[0, j])]  # shuffling a constant changes nothing
    drops = np.zeros((width, n_repeats))
    per_call = max(1, BATCH_ROWS // max(n * n_repeats, 1))
    for start in tqdm(range(0, len(varying), per_call), disable=not progress, desc="importance", unit="batch"):
        chunk = varying[start:start + per_call]
        stacked = np.tile(X, (len(chunk) * n_repeats, 1))
        for k, j in enumerate(chunk):
            for r in range(n_repeats):
                copy = k * n_repeats + r
                stacked[copy * n:(copy + 1) * n, j] = X[rng.permutation(n), j]
        proba = classifier.content_proba(stacked).reshape(len(chunk), n_repeats, n)
        for k, j in enumerate(chunk):
            drops[j] = [baseline - roc_auc(y, proba[k, r]) for r in range(n_repeats)]
    names = tuple(FEATURE_NAMES) if width == len(FEATURE_NAMES) else tuple(f"f{j}" for j in range(width))
    return Importance(names=names, mean=drops.mean(axis=1), std=drops.std(axis=1), baseline=baseline)


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from the ranks of the scores (ties averaged), as scikit-learn's."""
    from scipy.stats import rankdata

    positives = int(y.sum())
    negatives = len(y) - positives
    ranks = rankdata(score)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def importance_figure(importance: Importance, top: int = TOP_FEATURES) -> Figure:
    """Horizontal bars of the ``top`` most important features, largest first."""
    order = np.argsort(-importance.mean, kind="stable")[:top][::-1]
    figure = Figure(figsize=(8, max(3.0, 0.28 * len(order) + 1.2)))
    ax = figure.subplots()
    ax.barh(np.arange(len(order)), importance.mean[order], xerr=importance.std[order], color="tab:blue")
    ax.set_yticks(np.arange(len(order)), [importance.names[j] for j in order], fontsize=8)
    ax.set_xlabel(f"drop of block ROC AUC when shuffled (baseline {importance.baseline:.3f}, {N_REPEATS} repeats)")
    ax.set_title(f"Permutation importance of the first pass: top {len(order)} features")
    ax.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:20px auto;max-width:1100px;color:#222;
 padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
figure{margin:14px 0}img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:13px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 9px;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
"""


def index_html(report, images: list[tuple[str, str]]) -> str:
    """The summary page: the report's Markdown as HTML (tables as tables) and the plots."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>boilerplate evaluation</title>",
             f"<style>{_CSS}</style></head><body>", "<h1>boilerplate evaluation</h1>",
             f"<p>Target: <b>{html.escape(str(report.target))}</b>. Systems: "
             + ", ".join(html.escape(s) for s in _systems(report.results)) + ".</p>"]
    for caption, name in images:
        parts.append(f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("<h2>Tables</h2>")
    parts.append(markdown_html(report.markdown()))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def markdown_html(text: str) -> str:
    """The report's Markdown subset as HTML: pipe tables become tables, other lines paragraphs."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            head, body = table[0], table[1:]
            cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
            out.append(f"<table><thead><tr>{cells}</tr></thead><tbody>")
            out.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
            out.append("</tbody></table>")
            table.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(set(c) <= set("-: ") and c for c in cells):  # skip the |---| separator row
                table.append(cells)
            continue
        flush()
        if stripped:
            out.append(f"<p>{html.escape(stripped)}</p>")
    flush()
    return "\n".join(out)
