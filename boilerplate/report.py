"""Evaluation of a model (and optionally peers) on the fixed test split, as a report."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .evaluate import (
    DatasetScore,
    Difference,
    PageScore,
    block_scores,
    check_same_pages,
    format_table,
    format_types_table,
    mean_difference,
    paired_difference,
    run_system,
    summarize_scores,
)
from .extractor import default_extractor, load_extractor
from .metrics import PRF
from .persist import atomic_write

#: Test blocks whose feature rows a report keeps, for the permutation importance in
#: ``plots.py``: rows × 3 repeats × every feature go through the model, 2.5 M rows at 5,000.
SAMPLE_ROWS = 5_000
#: Pages listed in the report's table of where the first peer leads most.
PEER_LEADS_SHOWN = 10


@dataclass(frozen=True, eq=False)
class BlockOutcomes:
    """The model's final P(content) and the projected label of every test block, and the
    first-pass feature rows of a seeded sample of them (at most ``SAMPLE_ROWS``)."""

    threshold: float
    proba: np.ndarray
    labels: np.ndarray
    sample_X: np.ndarray
    sample_labels: np.ndarray


@dataclass
class Report:
    """Scores of systems on the test pages of each dataset."""

    target: str
    results: dict[str, dict[str, DatasetScore]]
    blocks: dict[str, PRF]
    projection: dict[str, dict[str, float]]
    skipped: list[dict[str, str]]
    speed: dict[str, float] = field(default_factory=dict)
    outcomes: BlockOutcomes | None = None  # arrays for plots; not written to JSON
    page_scores: dict[str, list[PageScore]] = field(default_factory=dict)  # per system; JSON "pages"

    def against(self, peer: str, system: str = "boilerplate") -> dict[str, Difference]:
        """``system`` minus ``peer``, with paired bootstrap intervals: text F1 per dataset and
        of their mean, and WCXB word F1 per page type (keys ``wcxb:<type>``)."""
        if system not in self.page_scores or peer not in self.page_scores:
            return {}
        ours, theirs = self.page_scores[system], self.page_scores[peer]
        datasets: dict[str, list[int]] = defaultdict(list)
        types: dict[str, list[int]] = defaultdict(list)
        for i, score in enumerate(ours):
            datasets[score.dataset].append(i)
            if score.page_type:
                types[f"{score.dataset}:{score.page_type}"].append(i)

        def pair(picked: list[int]) -> tuple[list[PageScore], list[PageScore]]:
            return [ours[i] for i in picked], [theirs[i] for i in picked]

        out = {key: paired_difference(*pair(picked), "text") for key, picked in sorted(datasets.items())}
        out.update({key: paired_difference(*pair(picked), "word") for key, picked in sorted(types.items())})
        out["mean"] = mean_difference([pair(picked) for _, picked in sorted(datasets.items())], "text")
        return out

    def peer_leads(self, peer: str, n: int = PEER_LEADS_SHOWN, system: str = "boilerplate"
                   ) -> list[tuple[PageScore, PageScore]]:
        """The (at most ``n``) pages where ``peer`` beats ``system`` by most (``page_f1``),
        as pairs of their scores, largest lead first."""
        if system not in self.page_scores or peer not in self.page_scores:
            return []
        ours, theirs = self.page_scores[system], self.page_scores[peer]
        check_same_pages(ours, theirs)
        pairs = [(a, b) for a, b in zip(ours, theirs) if page_f1(b) > page_f1(a)]
        return sorted(pairs, key=lambda pair: page_f1(pair[0]) - page_f1(pair[1]))[:n]

    def markdown(self) -> str:
        parts = ["Text-level F1 (4-gram shingles; precision and recall averaged over pages):", "",
                 format_table(self.results), ""]
        types = format_types_table(self.results)
        if types:
            parts += ["WCXB word F1 per page type:", "", types, ""]
        peer = next((name for name in self.page_scores if name != "boilerplate"), None)
        if peer is not None:
            parts += [(f"boilerplate minus {peer} on the same pages, with a 95% paired bootstrap interval "
                       "(text F1 per dataset and their mean, word F1 per WCXB page type):"), "",
                      "| dataset or type | pages | difference | 95% interval |", "|---|---|---|---|"]
            parts += [f"| {key} | {d.pages} | {d.difference:+.3f} | {d.low:+.3f} … {d.high:+.3f} |"
                      for key, d in self.against(peer).items()]
            parts.append("")
            leads = self.peer_leads(peer)
            if leads:
                parts += [f"The pages where {peer} leads most (text F1; word F1 on WCXB's typed pages):", "",
                          f"| dataset | page | type | boilerplate | {peer} |", "|---|---|---|---|---|"]
                parts += [f"| {ours.dataset} | {ours.page_id} | {ours.page_type or ''} | {page_f1(ours):.3f} | "
                          f"{page_f1(theirs):.3f} |" for ours, theirs in leads]
                parts.append("")
        if self.blocks:
            parts += ["Block-level scores of the model against projected labels:", "",
                      "| dataset | precision | recall | F1 |", "|---|---|---|---|"]
            parts += [f"| {d} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |" for d, s in sorted(self.blocks.items())]
            parts.append("")
        if self.projection:
            parts += ["Projection ceiling (text F1 of the blocks labelled content against the gold):", "",
                      "| dataset | pages | mean | median | left out |", "|---|---|---|---|---|"]
            parts += [f"| {d} | {int(v['pages'])} | {v['mean']:.3f} | {v['median']:.3f} | {int(v['skipped'])} |"
                      for d, v in sorted(self.projection.items())]
            parts.append("")
        if self.speed:
            parts.append("Pages/s (whole extraction, one process): "
                         + ", ".join(f"{k} {v:.1f}" for k, v in self.speed.items()))
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "results": {s: {d: asdict(v) for d, v in r.items()} for s, r in self.results.items()},
            "blocks": {d: asdict(v) for d, v in self.blocks.items()},
            "projection": self.projection,
            "skipped": self.skipped,
            "speed": self.speed,
            "differences": {peer: {key: asdict(d) for key, d in self.against(peer).items()}
                            for peer in self.page_scores if peer != "boilerplate"},
            "pages": {system: [_page_dict(s) for s in scores] for system, scores in self.page_scores.items()},
        }

    def write_json(self, path: str | Path) -> None:
        text = json.dumps(self.to_dict(), indent=1)
        atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def page_f1(score: PageScore) -> float:
    """A page's F1 in its dataset's own metric: word F1 on WCXB's typed pages, text F1 elsewhere."""
    return score.word.f1 if score.page_type else score.shingle.f1


def _page_dict(score: PageScore) -> dict[str, Any]:
    """One page's scores for the JSON report: where it is from, text and word P/R/F1."""
    return {"dataset": score.dataset, "page_id": score.page_id, "page_type": score.page_type,
            "text": asdict(score.shingle), "word": asdict(score.word)}


def evaluate_model(*, model=None, datasets: Sequence[str], data_dir=None, cache_dir=None, peers: Sequence[str] = (),
                   n_jobs: int = 1, progress: bool = False) -> Report:
    """Score the model (default: the shipped one) and the named peers on the test split."""
    from .peers import load_peer
    from .train import load_corpus

    extractor = default_extractor() if model is None else load_extractor(model)
    target = extractor.target
    corpus = load_corpus(datasets, split="test", data_dir=data_dir, cache_dir=cache_dir, n_jobs=n_jobs, progress=progress)
    rows_by_id = {(r.dataset, r.page_id): r for r in corpus.rows}
    pages = [p for name in datasets for p in corpus.pages[name] if (p.dataset, p.page_id) in rows_by_id]
    systems = {"boilerplate": extractor.extract}
    for name in peers:
        peer = load_peer(name)
        if peer is not None:
            systems[name] = peer
    results, speed, page_scores = {}, {}, {}
    for name, system in systems.items():
        start = time.perf_counter()
        scores = run_system(system, pages, target=target, progress=progress, desc=name)
        speed[name] = len(pages) / max(time.perf_counter() - start, 1e-9)
        results[name] = summarize_scores(scores)
        page_scores[name] = scores
    ceilings: dict[str, list[float]] = defaultdict(list)
    for r in corpus.rows:
        ceilings[r.dataset].append(r.ceiling)
    skipped_by: dict[str, int] = defaultdict(int)
    for s in corpus.skipped:
        skipped_by[s.dataset] += 1
    projection = {d: {"pages": len(v), "mean": float(np.mean(v)), "median": float(np.median(v)),
                      "skipped": skipped_by[d]} for d, v in ceilings.items()}
    return Report(
        target=target, results=results, blocks=block_scores(extractor, pages, rows_by_id, target=target),
        projection=projection, skipped=[asdict(s) for s in corpus.skipped], speed=speed,
        outcomes=block_outcomes(extractor, [rows_by_id[(p.dataset, p.page_id)] for p in pages], target=target),
        page_scores=page_scores,
    )


def block_outcomes(extractor, rows: Sequence, *, target: str) -> BlockOutcomes:
    """Per-block P(content) and labels of the given page rows, with a seeded row sample."""
    if not rows:
        empty = np.zeros(0, bool)
        return BlockOutcomes(float(extractor.threshold), np.zeros(0), empty, np.zeros((0, 0), np.float32), empty)
    proba = np.concatenate([extractor.proba(r.X, r.paths) for r in rows])
    labels = np.concatenate([r.labels(target) for r in rows])
    starts = np.cumsum([0] + [len(r.X) for r in rows])
    pick = np.sort(np.random.default_rng(0).permutation(len(labels))[:SAMPLE_ROWS])
    cut = np.searchsorted(pick, starts)  # the sample rows of page k are pick[cut[k]:cut[k + 1]]
    sample_X = np.concatenate([r.X[pick[cut[k]:cut[k + 1]] - starts[k]] for k, r in enumerate(rows)])
    return BlockOutcomes(threshold=float(extractor.threshold), proba=proba, labels=labels, sample_X=sample_X,
                         sample_labels=labels[pick])
