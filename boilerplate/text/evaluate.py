"""Scores of text cleaners on flattened test pages, beside two baselines.

A system is a function from plain text to cleaned text. Each test page is flattened
both ways (``pages.FLATTENINGS``) and every system is scored against the gold with the
same text-level metric as the HTML model (4-gram shingles, precision and recall
averaged over pages, F1 of the averages). The baselines:

* **keep-all**: the text as it came;
* **line filter**: the line-level heuristic used to clean crawl text (C4-style): keep a
  line only when it ends in terminal punctuation and has at least three words. On a page
  flattened to one line that decides the whole page at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..metrics import PRF, shingle_prf, summarize
from .pages import FLATTENINGS, TextPage

#: The line filter's rule, as C4 applied it to Common Crawl text.
LINE_MIN_WORDS = 3
_LINE_TERMINAL = re.compile(r"[.!?\"”。！？]['\"”’)\]]*$")


def keep_all(text: str) -> str:
    """Baseline: keep everything."""
    return text


def line_filter(text: str) -> str:
    """Baseline: keep the lines that end in terminal punctuation and have enough words."""
    kept = [line.strip() for line in text.splitlines()
            if len(line.split()) >= LINE_MIN_WORDS and _LINE_TERMINAL.search(line.strip())]
    return "\n".join(kept)


BASELINES: dict[str, Callable[[str], str]] = {"keep-all": keep_all, "line filter": line_filter}


@dataclass(frozen=True, slots=True)
class TextScore:
    """One system on one dataset under one flattening."""

    pages: int
    shingle: PRF


def score_systems(systems: Mapping[str, Callable[[str], str]], pages: Sequence[TextPage], *,
                  flattenings: Sequence[str] = FLATTENINGS, progress: bool = False
                  ) -> dict[str, dict[str, dict[str, TextScore]]]:
    """``{flattening: {system: {dataset or "mean": TextScore}}}`` over the pages."""
    from tqdm.auto import tqdm

    out: dict[str, dict[str, dict[str, TextScore]]] = {}
    for flattening in flattenings:
        texts = [p.render(flattening)[0] for p in pages]
        out[flattening] = {}
        for name, system in systems.items():
            by_dataset: dict[str, list[PRF]] = defaultdict(list)
            for page, text in tqdm(list(zip(pages, texts)), disable=not progress, desc=f"{name} ({flattening})",
                                   unit="page"):
                by_dataset[page.dataset].append(shingle_prf(system(text), page.gold))
            scores = {d: TextScore(len(v), summarize(v)) for d, v in sorted(by_dataset.items())}
            if scores:
                mean = PRF(*(sum(getattr(s.shingle, k) for s in scores.values()) / len(scores)
                             for k in ("precision", "recall", "f1")))
                scores["mean"] = TextScore(sum(s.pages for s in scores.values()), mean)
            out[flattening][name] = scores
    return out


def format_text_table(results: dict[str, dict[str, dict[str, TextScore]]]) -> str:
    """A Markdown table: a row per dataset, a column per system and flattening."""
    flattenings = list(results)
    systems = list(results[flattenings[0]])
    datasets = list(results[flattenings[0]][systems[0]])
    head = "| dataset | pages | " + " | ".join(f"{s} ({f})" for f in flattenings for s in systems) + " |"
    lines = [head, "|" + "---|" * (2 + len(systems) * len(flattenings))]
    for d in datasets:
        cells = []
        for f in flattenings:
            best = max(results[f][s][d].shingle.f1 for s in systems)
            for s in systems:
                value = results[f][s][d].shingle.f1
                cells.append(f"**{value:.3f}**" if value == best else f"{value:.3f}")
        lines.append(f"| {d} | {results[flattenings[0]][systems[0]][d].pages} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
