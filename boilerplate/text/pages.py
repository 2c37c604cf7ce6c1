"""Labelled HTML pages rendered to plain text, with their blocks' projected labels.

A page becomes text the way a crawler's text dump makes it: the HTML blocks
(``blocks.split_blocks``) in reading order, one per line (``"lines"``), or all joined by
spaces into one long line (``"oneline"``). Each block is labelled by projecting the gold
text onto the blocks (``align.align``, as for the HTML model). Parsing is the slow part,
so rendered pages are cached per dataset, keyed by the code that makes them and by the
pages themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from ..align import ALIGN_VERSION, align
from ..blocks import BLOCKS_VERSION, split_blocks
from ..cache import cached, code_hash, pages_hash
from ..decode import decode
from ..errors import BoilerplateError
from ..parse import parse
from ..trainset import MIN_GOLD_IN_PAGE, Skipped


#: The two ways a page is flattened: one block per line, or everything on one line.
FLATTENINGS = ("lines", "oneline")


@dataclass(frozen=True, slots=True)
class TextPage:
    """One labelled page rendered to text blocks: what the text rows are made from."""

    dataset: str
    page_id: str
    group: str
    page_type: str | None
    blocks: tuple[str, ...]       # block texts in reading order
    labels: np.ndarray            # bool per block: content by projection of the gold
    gold: str                     # the gold main text
    ceiling: float                # text F1 of the labelled blocks against the gold

    def render(self, flattening: str) -> tuple[str, np.ndarray]:
        """The page as plain text, and the offset where each block starts in it."""
        if flattening not in FLATTENINGS:
            raise ValueError(f"flattening must be one of {FLATTENINGS}, not {flattening!r}")
        sep = "\n" if flattening == "lines" else " "
        starts = np.cumsum([0] + [len(b) + len(sep) for b in self.blocks[:-1]]) if self.blocks else np.zeros(0, int)
        return sep.join(self.blocks), starts.astype(np.int64)


def text_page(page) -> TextPage | Skipped:
    """Blocks and projected block labels of one gold page (a ``corpora.GoldPage``)."""
    try:
        document = parse(decode(page.html))
    except BoilerplateError as exc:
        return Skipped(page.dataset, page.page_id, f"unreadable page: {exc}")
    blocks = tuple(b.text for b in split_blocks(document))
    if not blocks:
        return Skipped(page.dataset, page.page_id, "no text blocks")
    alignment = align(blocks, page.article)
    if alignment.gold_in_page < MIN_GOLD_IN_PAGE:
        return Skipped(page.dataset, page.page_id, f"gold text not in page ({alignment.gold_in_page:.2f} of shingles)")
    return TextPage(dataset=page.dataset, page_id=page.page_id, group=page.group, page_type=page.page_type,
                    blocks=blocks, labels=alignment.labels, gold=page.article, ceiling=alignment.ceiling)


def _code_hash() -> str:
    return code_hash(f"{BLOCKS_VERSION}/{ALIGN_VERSION}", ("decode.py", "parse.py", "blocks.py", "align.py", "metrics.py",
                                                          "limits.py", "text/pages.py", "_walk.pyx"))


def build_pages(pages: Sequence, *, n_jobs: int = 1, progress: bool = False) -> tuple[list[TextPage], list[Skipped]]:
    """:func:`text_page` of every page, in page order, and the pages left out with the reason."""
    from tqdm.auto import tqdm

    if n_jobs == 1:
        results = [text_page(p) for p in tqdm(pages, disable=not progress, desc="render", unit="page")]
    else:
        results = joblib.Parallel(n_jobs=n_jobs, batch_size=8, return_as="generator")(
            joblib.delayed(text_page)(p) for p in pages)
        results = list(tqdm(results, total=len(pages), disable=not progress, desc="render", unit="page"))
    return [r for r in results if isinstance(r, TextPage)], [r for r in results if isinstance(r, Skipped)]


def cached_pages(name: str, pages: Sequence, *, cache_dir: Path, n_jobs: int = 1,
                 progress: bool = False) -> tuple[list[TextPage], list[Skipped]]:
    """:func:`build_pages`, cached on disk by code hash and page contents."""
    path = Path(cache_dir) / "text" / f"{name}-{_code_hash()}-{pages_hash(pages, ('article',))}.joblib"
    return cached(path, lambda: build_pages(pages, n_jobs=n_jobs, progress=progress), compress=3)
