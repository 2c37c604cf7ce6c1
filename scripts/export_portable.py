"""Export a model file's trees to the portable ``.npz`` format, check it, and time both.

    python scripts/export_portable.py [--source models/default.joblib] [--dest models/default.trees.npz]
                                      [--data-dir ../shared/datasets --pages 30]

Writes the ``.npz`` and its manifest (the source's threshold, target and training record,
plus ``exported_from``: the source file's name and sha256), then checks on the bundled
example page and, with ``--data-dir``, on the first test pages of every dataset, that the
first pass's raw scores are bit-identical, the final probabilities equal (to 1e-12) and the
labels the same, and times the model calls per page (both passes of a two-pass model):
scikit-learn with its default threads, with one thread, and the portable arrays.
``scripts/build_model.py`` runs this after training, so the two files stay in step.
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib import resources
from itertools import islice
from pathlib import Path

import numpy as np

from boilerplate.blocks import split_blocks
from boilerplate.decode import decode
from boilerplate.parse import parse
from boilerplate.extractor import load_extractor
from boilerplate.persist import export_portable

MODELS = Path(__file__).resolve().parents[1] / "models"


def _matrices(data_dir: str | None, per_dataset: int) -> list[tuple[np.ndarray, list[str]]]:
    from boilerplate import features

    pages = [(resources.files("boilerplate.registry") / "examples" / "article.html").read_bytes()]
    if data_dir:
        from boilerplate.corpora import load_pages
        from boilerplate.splits import split_of
        from boilerplate.train import DATASETS

        pages += [p.html for name in DATASETS for p in islice(
            (p for p in load_pages(name, data_dir=data_dir) if split_of(name, p.page_id) == "test"), per_dataset)]
    matrices = []
    for html in pages:
        document = parse(decode(html))
        blocks = split_blocks(document)
        if blocks:
            page_features = getattr(features, "page_features", None)
            X = page_features(document, blocks) if page_features else features.block_features(blocks, document.title)
            matrices.append((X, [b.path for b in blocks]))
    return matrices


def _proba(extractor, X: np.ndarray, paths: list[str]) -> np.ndarray:
    if hasattr(extractor, "proba"):  # first pass, then the context pass when there is one
        return extractor.proba(X, paths)
    return extractor.classifier.content_proba(X)


def _ms_per_page(extractor, matrices: list[tuple[np.ndarray, list[str]]], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for X, paths in matrices:
            _proba(extractor, X, paths)
        times.append((time.perf_counter() - start) / len(matrices) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(MODELS / "default.joblib"))
    parser.add_argument("--dest", default=str(MODELS / "default.trees.npz"))
    parser.add_argument("--data-dir", help="also check and time on the datasets' test pages")
    parser.add_argument("--pages", type=int, default=30, help="test pages per dataset with --data-dir")
    args = parser.parse_args()

    manifest = export_portable(args.source, args.dest)
    print(f"wrote {args.dest} ({manifest['size_bytes']} bytes, sha256 {manifest['sha256'][:12]}…) "
          f"from {args.source} ({manifest['exported_from']['sha256'][:12]}…)")
    source, portable = load_extractor(args.source), load_extractor(args.dest)
    matrices = _matrices(args.data_dir, args.pages)
    X = np.concatenate([m for m, _ in matrices])
    # One member: the same sum in the same order, so bit-identical; an ensemble's mean of
    # sums is one sum of halved leaves in the export, equal to rounding (1e-12).
    raw_ours, raw_theirs = portable.classifier.decision_function(X), source.classifier.decision_function(X)
    members = getattr(source.classifier, "n_members", 1)
    raw_equal = bool(np.array_equal(raw_ours, raw_theirs) if members == 1
                     else np.allclose(raw_ours, raw_theirs, rtol=0, atol=1e-12))
    ours = np.concatenate([_proba(portable, m, paths) for m, paths in matrices])
    theirs = np.concatenate([_proba(source, m, paths) for m, paths in matrices])
    diff = float(np.abs(ours - theirs).max())
    same_labels = bool(np.array_equal(ours >= source.threshold, theirs >= source.threshold))
    passes = "two passes" if getattr(source, "context_classifier", None) is not None else "one pass"
    print(f"{len(matrices)} pages, {len(X)} blocks, {passes}, first pass {portable.classifier.n_trees} trees of depth "
          f"<= {portable.classifier.depth}: first-pass raw scores "
          f"{'bit-identical' if members == 1 else f'equal to 1e-12 ({members} members)'}: {raw_equal}; "
          f"max |P(content) difference| {diff:.1e}; same labels: {same_labels}")
    if not raw_equal or diff > 1e-12 or not same_labels:
        raise SystemExit("the export does not predict as its source: do not ship it")
    from threadpoolctl import threadpool_limits

    default_ms = _ms_per_page(source, matrices)
    with threadpool_limits(1):
        one_ms = _ms_per_page(source, matrices)
    portable_ms = _ms_per_page(portable, matrices)
    print(f"model time per page (median {int(np.median([len(m) for m, _ in matrices]))} blocks): "
          f"scikit-learn {default_ms:.2f} ms (default threads), {one_ms:.2f} ms (1 thread); portable {portable_ms:.2f} ms")


if __name__ == "__main__":
    main()
