"""One page's decisions, block by block, as a self-contained HTML report.

Each block is shown in page order with its final P(content) on a red→green scale, its
tag and DOM path, the decision against the threshold, the gold label when a gold text is
given (disagreements outlined), and the features that drove the first pass: for each
block, the features whose replacement by the page's median moves the first-pass
probability most (Δp = P(block) − P(block with that feature at the page median)). All
perturbed rows go through the classifier in one batched call.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .align import align
from .blocks import split_blocks
from .decode import decode
from .features import FEATURE_NAMES, page_features
from .parse import parse

#: Rows (blocks × perturbed features) sent to the classifier at most: past it, only the
#: features with the largest spread on the page are perturbed.
MAX_PERTURBATION_ROWS = 20_000
#: Drivers listed per block.
TOP_DRIVERS = 5
#: Characters of a block's text shown; the rest is cut with an ellipsis.
MAX_SHOWN_CHARS = 800


@dataclass(frozen=True, slots=True)
class Driver:
    """One feature's pull on a block's first-pass P(content)."""

    feature: str
    value: float
    median: float
    delta: float  # first-pass P(block) − P(block with this feature at the page median)


@dataclass(frozen=True, slots=True)
class BlockRow:
    """What the report shows of one block."""

    index: int
    text: str
    tag: str
    path: str
    proba: float          # final P(content): the one compared with the threshold
    first_proba: float    # first-pass P(content), the one the drivers explain
    kept: bool
    gold: bool | None     # projected gold label, when a gold text was given
    drivers: tuple[Driver, ...]

    @property
    def disagrees(self) -> bool:
        """Whether the decision contradicts the gold label."""
        return self.gold is not None and self.gold != self.kept


@dataclass(frozen=True, slots=True)
class Inspection:
    """The per-block rows of one page, its summary and the rendered HTML report."""

    title: str
    threshold: float
    model: str
    rows: tuple[BlockRow, ...]
    perturbed_features: int   # features perturbed per block (all of them unless capped)
    html: str

    @property
    def kept(self) -> int:
        return sum(r.kept for r in self.rows)


def inspect_page(page: Any, extractor, *, gold: str | None = None, model_name: str = "",
                 top: int = TOP_DRIVERS, max_rows: int = MAX_PERTURBATION_ROWS) -> Inspection:
    """Score ``page`` (str or bytes) with ``extractor`` and explain each block's decision.

    ``gold`` is the page's gold main text: blocks are then labelled by
    :func:`boilerplate.align.align`. ``model_name`` is shown in the header, with the
    manifest's sha256 when the extractor has one.
    """
    document = parse(decode(page))
    blocks = split_blocks(document)
    X = page_features(document, blocks)
    paths = [b.path for b in blocks]
    if blocks:
        first = np.asarray(extractor.classifier.content_proba(X), dtype=np.float64)
        final = np.asarray(extractor.proba(X, paths), dtype=np.float64)
    else:
        first = final = np.zeros(0)
    drivers, perturbed = feature_drivers(extractor.classifier, X, first, top=top, max_rows=max_rows)
    labels = align([b.text for b in blocks], gold).labels if gold is not None and blocks else None
    threshold = float(extractor.threshold)
    kept = extractor.decide(blocks, final)  # the decisions extract() makes
    rows = tuple(
        BlockRow(index=b.index, text=b.text, tag=b.tag, path=b.path, proba=float(final[i]),
                 first_proba=float(first[i]), kept=bool(kept[i]),
                 gold=None if labels is None else bool(labels[i]), drivers=drivers[i])
        for i, b in enumerate(blocks)
    )
    manifest = getattr(extractor, "manifest", None) or {}
    model = model_name or str(manifest.get("model_file", "")) or "(in-memory model)"
    if manifest.get("sha256"):
        model += f" · sha256 {str(manifest['sha256'])[:12]}"
    has_context = getattr(extractor, "context_classifier", None) is not None
    body = render_html(title=document.title, threshold=threshold, model=model, rows=rows,
                       perturbed_features=perturbed, has_context=has_context)
    return Inspection(title=document.title, threshold=threshold, model=model, rows=rows,
                      perturbed_features=perturbed, html=body)


def feature_drivers(classifier, X: np.ndarray, proba: np.ndarray, *, top: int = TOP_DRIVERS,
                    max_rows: int = MAX_PERTURBATION_ROWS) -> tuple[list[tuple[Driver, ...]], int]:
    """Top ``top`` features by |Δp| for each block, and how many features were perturbed.

    Every (block, feature) pair whose value differs from the page median becomes one row
    of a stacked matrix, scored in a single ``content_proba`` call. When that would pass
    ``max_rows``, only the features with the largest spread (mean absolute deviation from
    the median, over the page's range of the feature) are perturbed.
    """
    n, width = X.shape
    if n == 0:
        return [], 0
    median = np.median(X, axis=0).astype(np.float32)
    differs = X != median
    spread_range = X.max(axis=0) - X.min(axis=0)
    spread = np.abs(X - median).mean(axis=0) / np.where(spread_range > 0, spread_range, 1.0)
    order = np.argsort(-spread, kind="stable")
    order = order[spread[order] > 0]
    cumulative = np.cumsum(differs[:, order].sum(axis=0))
    features = np.sort(order[cumulative <= max_rows])
    block_index, column = np.nonzero(differs[:, features])
    feature_index = features[column]
    stacked = X[block_index].copy()
    stacked[np.arange(len(block_index)), feature_index] = median[feature_index]
    deltas = np.zeros((n, width))
    if len(block_index):
        deltas[block_index, feature_index] = proba[block_index] - classifier.content_proba(stacked)
    strongest = np.argsort(-np.abs(deltas), axis=1, kind="stable")[:, :top]
    out = []
    for i in range(n):
        out.append(tuple(Driver(FEATURE_NAMES[j], float(X[i, j]), float(median[j]), float(deltas[i, j]))
                         for j in strongest[i] if deltas[i, j] != 0.0))
    return out, len(features)


def proba_colour(p: float, *, lightness: int = 42) -> str:
    """CSS colour of a probability on a red (0) → amber → green (1) scale."""
    hue = round(120 * min(max(p, 0.0), 1.0))
    return f"hsl({hue}, 70%, {lightness}%)"


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;background:#f4f4f2;color:#222}
header{background:#fff;border-bottom:1px solid #ccc;padding:12px 20px}
h1{font-size:18px;margin:0 0 6px}
.summary{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0;font-size:13px}
.summary dt{color:#666}.summary dd{margin:0 0 0 4px;font-weight:600}.summary div{display:flex}
.strip{display:flex;flex-wrap:wrap;gap:2px;margin:10px 0 4px}
.strip a{display:block;width:14px;height:22px;border-radius:2px}
.strip a.bad{outline:2px solid #000;outline-offset:-1px}
.legend{font-size:12px;color:#555}
.scale{display:inline-block;width:160px;height:10px;vertical-align:middle;border-radius:2px;
 background:linear-gradient(to right,hsl(0,70%,42%),hsl(60,70%,42%),hsl(120,70%,42%))}
main{padding:10px 20px}
.block{display:grid;grid-template-columns:70px 1fr;background:#fff;margin:0 0 6px;border-radius:4px;
 border:1px solid #ddd;overflow:hidden}
.block.bad{border:3px dashed #c00}
.p{color:#fff;font-weight:700;font-size:16px;text-align:center;padding-top:8px}
.p small{display:block;font-size:11px;font-weight:400}
.body{padding:6px 10px}
.meta{font-size:12px;color:#555;margin-bottom:3px}
.meta code{font-size:11px;color:#333;background:#f0f0f0;padding:0 3px;border-radius:2px;word-break:break-all}
.tag{font-weight:700}
.kept{color:#17692a;font-weight:700}.dropped{color:#9b1c1c;font-weight:700}
.gold{font-weight:600}.mismatch{background:#c00;color:#fff;padding:0 5px;border-radius:3px;font-weight:700}
.text{margin:2px 0 4px;white-space:pre-wrap;word-wrap:break-word}
.drivers{display:flex;flex-wrap:wrap;gap:4px;font-size:11px}
.drivers span{background:#f3f3f3;border-radius:3px;padding:1px 5px;border-left:3px solid #999}
.drivers .up{border-left-color:hsl(120,70%,35%)}.drivers .down{border-left-color:hsl(0,70%,42%)}
.drivers b{font-weight:600}.drivers .d.up{color:hsl(120,70%,28%)}.drivers .d.down{color:hsl(0,70%,38%)}
.empty{color:#666;font-style:italic}
"""


def render_html(*, title: str, threshold: float, model: str, rows: Sequence[BlockRow], perturbed_features: int,
                has_context: bool = False) -> str:
    """The self-contained report page (inline CSS, no scripts, all page text escaped)."""
    esc = html.escape
    kept = sum(r.kept for r in rows)
    labelled = [r for r in rows if r.gold is not None]
    summary = [("blocks", str(len(rows))), ("kept", str(kept)), ("dropped", str(len(rows) - kept)),
               ("threshold", f"{threshold:.3f}"), ("model", model),
               ("features perturbed", f"{perturbed_features} of {len(FEATURE_NAMES)}")]
    if labelled:
        false_keep = sum(r.kept and not r.gold for r in labelled)
        missed = sum(r.gold and not r.kept for r in labelled)
        summary += [("gold content", str(sum(bool(r.gold) for r in labelled))),
                    ("kept but boilerplate", str(false_keep)), ("dropped but content", str(missed))]
    if has_context:
        summary.append(("passes", "first + context"))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>inspect: {esc(title or '(no title)')}</title>", f"<style>{_CSS}</style></head><body>",
           "<header>", f"<h1>{esc(title) if title else '<span class=empty>(no title)</span>'}</h1>",
           '<dl class="summary">']
    out += [f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in summary]
    out.append("</dl>")
    out.append('<nav class="strip" aria-label="blocks by P(content)">')
    out += [f'<a href="#b{r.index}" class="{"bad" if r.disagrees else ""}" style="background:{proba_colour(r.proba)}" '
            f'title="block {r.index}: P={r.proba:.2f}"></a>' for r in rows]
    out.append("</nav>")
    out.append('<p class="legend">P(content): 0 <span class="scale"></span> 1 · '
               "drivers: Δp = first-pass P(block) − P(block with the feature at the page median); "
               "+ pushed towards content, − towards boilerplate"
               + (" · outlined: the decision contradicts the gold" if labelled else "") + "</p>")
    out.append("</header><main>")
    if not rows:
        out.append('<p class="empty">This page has no text blocks.</p>')
    for r in rows:
        out.append(_block_html(r, has_context))
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _block_html(row: BlockRow, has_context: bool) -> str:
    esc = html.escape
    text = row.text if len(row.text) <= MAX_SHOWN_CHARS else row.text[:MAX_SHOWN_CHARS] + " …"
    decision = '<span class="kept">kept</span>' if row.kept else '<span class="dropped">dropped</span>'
    meta = [f"#{row.index}", f'<span class="tag">&lt;{esc(row.tag)}&gt;</span>', decision]
    if has_context:
        meta.append(f"first pass {row.first_proba:.2f}")
    if row.gold is not None:
        meta.append(f'<span class="gold">gold: {"content" if row.gold else "boilerplate"}</span>')
        if row.disagrees:
            meta.append('<span class="mismatch">' + ("✗ kept, gold says boilerplate" if row.kept
                                                      else "✗ dropped, gold says content") + "</span>")
    meta.append(f"<code>{esc(row.path)}</code>")
    drivers = "".join(
        f'<span class="{"up" if d.delta > 0 else "down"}"><b>{esc(d.feature)}</b> = {d.value:.3g} '
        f'(median {d.median:.3g}) <span class="d {"up" if d.delta > 0 else "down"}">Δp {d.delta:+.3f}</span></span>'
        for d in row.drivers
    ) or '<span class="empty">no feature moves P when set to the page median</span>'
    return (f'<section class="block{" bad" if row.disagrees else ""}" id="b{row.index}">'
            f'<div class="p" style="background:{proba_colour(row.proba)}">{row.proba:.2f}'
            "<small>P(content)</small></div>"
            f'<div class="body"><div class="meta">{" · ".join(meta)}</div>'
            f'<div class="text">{esc(text)}</div><div class="drivers">{drivers}</div></div></section>')
