"""Labelled pages → training rows: blocks, features, projected labels and weights.

Featurising the five public datasets takes a minute or two, so each dataset's rows are
cached under the cache dir, keyed by a hash of the code and vocabularies that make them
(blocks, features, alignment) and of the pages themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from .align import ALIGN_VERSION, align
from .blocks import BLOCKS_VERSION, split_blocks
from .cache import cached, code_hash, pages_hash
from .decode import decode
from .errors import BoilerplateError
from .features import FEATURE_VERSION, page_features
from .parse import parse


#: A block's training weight is its token count, capped: long paragraphs decide the
#: text-level score, but one huge block must not outweigh a page.
MAX_BLOCK_WEIGHT = 200
#: Pages whose gold text is mostly absent from the page itself (a different copy of the
#: page, or a broken gold file) teach nothing; they are reported and left out.
MIN_GOLD_IN_PAGE = 0.5


@dataclass(frozen=True, slots=True)
class PageRows:
    """One page's training rows and what evaluation needs of it."""

    dataset: str
    page_id: str
    group: str
    page_type: str | None
    texts: tuple[str, ...]
    paths: tuple[str, ...]
    X: np.ndarray
    y_article: np.ndarray
    y_comments: np.ndarray
    weights: np.ndarray
    ceiling: float
    gold_in_page: float

    def labels(self, target: str) -> np.ndarray:
        return self.y_article if target == "article" else (self.y_article | self.y_comments)


@dataclass(frozen=True, slots=True)
class Skipped:
    dataset: str
    page_id: str
    reason: str


def page_rows(page) -> PageRows | Skipped:
    """Blocks, features and labels of one gold page (a ``corpora.GoldPage``)."""
    try:
        document = parse(decode(page.html))
    except BoilerplateError as exc:
        return Skipped(page.dataset, page.page_id, f"unreadable page: {exc}")
    blocks = split_blocks(document)
    if not blocks:
        return Skipped(page.dataset, page.page_id, "no text blocks")
    texts = tuple(b.text for b in blocks)
    article = align(texts, page.article)
    if article.gold_in_page < MIN_GOLD_IN_PAGE:
        return Skipped(page.dataset, page.page_id, f"gold text not in page ({article.gold_in_page:.2f} of shingles)")
    comments = align(texts, page.comments).labels if page.comments.strip() else np.zeros(len(texts), bool)
    words = np.fromiter((len(t.split()) for t in texts), np.float32, len(texts))
    return PageRows(
        dataset=page.dataset, page_id=page.page_id, group=page.group, page_type=page.page_type,
        texts=texts, paths=tuple(b.path for b in blocks), X=page_features(document, blocks), y_article=article.labels,
        y_comments=comments & ~article.labels, weights=np.clip(words, 1, MAX_BLOCK_WEIGHT),
        ceiling=article.ceiling, gold_in_page=article.gold_in_page,
    )


#: The code whose output the rows cache holds (the compiled twins count too).
_ROW_CODE = ("decode.py", "parse.py", "blocks.py", "features.py", "align.py", "vocab.py", "trainset.py", "limits.py",
             "_walk.pyx", "_scan.pyx", "_phrases.pyx", "_words.pyx")


def _code_hash() -> str:
    return code_hash(f"{BLOCKS_VERSION}/{FEATURE_VERSION}/{ALIGN_VERSION}", _ROW_CODE, vocabularies=True)


def build_rows(pages: Sequence, *, n_jobs: int = 1, progress: bool = False) -> tuple[list[PageRows], list[Skipped]]:
    """Rows of every page, in page order, and the pages left out with the reason."""
    from tqdm.auto import tqdm

    items: Iterable = pages
    if n_jobs == 1:
        results = [page_rows(p) for p in tqdm(items, disable=not progress, desc="features", unit="page")]
    else:
        results = joblib.Parallel(n_jobs=n_jobs, batch_size=8, return_as="generator")(
            joblib.delayed(page_rows)(p) for p in pages)
        results = list(tqdm(results, total=len(pages), disable=not progress, desc="features", unit="page"))
    rows = [r for r in results if isinstance(r, PageRows)]
    skipped = [r for r in results if isinstance(r, Skipped)]
    return rows, skipped


def cached_rows(dataset: str, pages: Sequence, *, cache_dir: Path, n_jobs: int = 1,
                progress: bool = False) -> tuple[list[PageRows], list[Skipped]]:
    """:func:`build_rows`, cached on disk by code hash and page contents."""
    path = Path(cache_dir) / "rows" / f"{dataset}-{_code_hash()}-{pages_hash(pages, ('article', 'comments'))}.joblib"
    return cached(path, lambda: build_rows(pages, n_jobs=n_jobs, progress=progress))


def stack(rows: Sequence[PageRows], target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training matrix, labels, weights and page-group ids of many pages."""
    X = np.concatenate([r.X for r in rows])
    y = np.concatenate([r.labels(target) for r in rows]).astype(np.int64)
    w = np.concatenate([r.weights for r in rows])
    groups = np.concatenate([np.full(len(r.texts), i) for i, r in enumerate(rows)])
    return X, y, w, groups
