"""Compare decision rules and context-pass variants on the training split, out of fold.

    python scripts/decision_rules.py --data-dir ../shared/datasets [--page-type-context [--gate-types product,forum]] [--seed N] [--json FILE]

Rules are chosen here, never on the test split. Every training page gets two-pass
P(content) from models that did not see its site (``train.out_of_fold_proba``, 4 folds
by site): the first pass's, then the context pass's, fitted on the other folds' pages
with their out-of-fold first pass. The variants are then scored with the library's metrics against
the gold text: text-level F1 per dataset and WCXB word F1 per page type. The default
trees are a cheap proxy of the shipped ones (80 iterations at learning rate 0.2 instead
of 300 at 0.1), so their best threshold is lower than the shipped model's; compare
variants at the same threshold. About 6 minutes on 2 cores (11 with ``--page-type-context``).

Rules that only change the decision see the same probabilities, so their differences are
exact. A variant that retrains (a feature, the type-aware pass) also moves with the trees'
seed: rerun with ``--seed 1`` to see how much (Readability's 84 pages move most).

Variants, each at every threshold of ``--thresholds``:
  repeats kept     P(content) >= threshold
  repeat rule      the repeat rule alone, ``extractor.drop_repeats``
  every repeat     drop any kept block whose words (>= 4) repeat an earlier kept block's,
                   wherever it sits
  repeat + ad-label rule
                   the repeat rule, then ``extractor.drop_ad_labels``
  repeat + ad-label + container rule
                   those, then ``extractor.drop_scattered`` (kept blocks outside the
                   page's main container dropped unless P >= 0.9)
  repeat + ad-label + container + comment rule
                   the shipped decision (``article`` target): those, then
                   ``extractor.drop_comments`` (kept blocks in comment sections dropped
                   when the model is surer of the kept text outside them)
  +type            (``--page-type-context``) the context pass also reads the page-type
                   model's probabilities, repeat rule on
  +type on T       (``--page-type-context``, each of ``--gate-types``) that typed pass on the
                   pages typed T (``a+b``: typed a or b; the type model is cross-fitted), the
                   plain context pass elsewhere: ``fit_extractor(typed_page_types=...)``
and ``--peer`` (trafilatura by default) on the same training pages, for scale.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
import numpy as np
from page_models import DEV_PARAMS  # scripts/ is on the path: the dev trees of the page-model runs

from boilerplate.blocks import Block, split_blocks
from boilerplate.context import context_features
from boilerplate.decode import decode
from boilerplate.evaluate import PageScore, run_system, score_text, summarize_scores
from boilerplate.extractor import REPEAT_MIN_TOKENS, drop_ad_labels, drop_comments, drop_repeats, drop_scattered
from boilerplate.metrics import tokens
from boilerplate.parse import parse
from boilerplate.page import PAGE_TYPES, cross_fitted_type_proba, fit_page_type, top_type, type_columns
from boilerplate.peers import PEERS, load_peer
from boilerplate.persist import atomic_write
from boilerplate.train import DATASETS, load_corpus, out_of_fold_proba
from boilerplate.trainset import PageRows

FOLDS = 4


def drop_every_repeat(blocks: Sequence[Block], labels: np.ndarray) -> np.ndarray:
    """Unlabel a kept block whose words (at least ``REPEAT_MIN_TOKENS``) repeat an earlier
    kept block's, wherever it sits (the rule ``drop_repeats`` refines by DOM path)."""
    seen: set[tuple[str, ...]] = set()
    for i in np.flatnonzero(labels):
        words = tuple(tokens(blocks[i].text))
        if len(words) >= REPEAT_MIN_TOKENS:
            if words in seen:
                labels[i] = False
            seen.add(words)
    return labels


#: Each rule: (blocks, kept after the threshold, P(content)) -> kept.
RULES: dict[str, Callable[[Sequence[Block], np.ndarray, np.ndarray], np.ndarray]] = {
    "repeats kept": lambda blocks, labels, proba: labels,
    "repeat rule": lambda blocks, labels, proba: drop_repeats(blocks, labels),
    "every repeat": lambda blocks, labels, proba: drop_every_repeat(blocks, labels),
    "repeat + ad-label rule": lambda blocks, labels, proba: drop_ad_labels(blocks, drop_repeats(blocks, labels)),
    "repeat + ad-label + container rule": lambda blocks, labels, proba: drop_scattered(
        blocks, drop_ad_labels(blocks, drop_repeats(blocks, labels)), proba),
    "repeat + ad-label + container + comment rule": lambda blocks, labels, proba: drop_comments(
        blocks, drop_scattered(blocks, drop_ad_labels(blocks, drop_repeats(blocks, labels)), proba), proba),
}


def page_blocks(rows: Sequence[PageRows], pages: Sequence) -> list[list[Block]]:
    """Each training page's blocks as the extractor sees them (the rows keep only their
    texts and paths), walked again from its HTML."""
    out = []
    for r, page in zip(rows, pages):
        blocks = split_blocks(parse(decode(page.html)))
        if tuple(b.text for b in blocks) != r.texts:
            raise SystemExit(f"{r.dataset}/{r.page_id}: its cached rows are from another block walk; "
                             "clear the rows cache and rerun")
        out.append(blocks)
    return out


def decided(rows: Sequence[PageRows], pages: Sequence, blocks: Sequence[list[Block]], probas: Sequence[np.ndarray],
            threshold: float, rule: Callable[[Sequence[Block], np.ndarray, np.ndarray], np.ndarray]) -> list[PageScore]:
    """Each page's scores when its blocks are kept by ``rule`` after the threshold."""
    scores = []
    for r, page, own_blocks, p in zip(rows, pages, blocks, probas):
        labels = rule(own_blocks, p >= threshold, p)
        scores.append(score_text(page, "\n\n".join(t for t, keep in zip(r.texts, labels) if keep)))
    return scores


def table_row(scores: Sequence[PageScore]) -> dict[str, float]:
    """Text F1 per dataset (and their mean) and WCXB word F1 per page type."""
    summary = summarize_scores(scores)
    out = {name: round(s.shingle.f1, 4) for name, s in summary.items()}
    if "wcxb" in summary:
        out.update({page_type: round(f1, 4) for page_type, (_, _, f1) in summary["wcxb"].by_type.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--thresholds", default="0.5,0.55,0.6,0.65")
    parser.add_argument("--page-type-context", action="store_true", help="also the type-aware context pass")
    parser.add_argument("--gate-types", default="product",
                        help="with --page-type-context: also the type-aware pass on only the pages typed so")
    parser.add_argument("--seed", type=int, default=0, help="the trees' random_state")
    parser.add_argument("--peer", default="trafilatura", choices=[*PEERS, ""],
                        help="a peer scored on the same pages ('' for none)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="also write the table here")
    args = parser.parse_args()
    peer = load_peer(args.peer) if args.peer else None
    if args.peer and peer is None:
        parser.error(f"peer {args.peer!r} is not installed (pip install -e '.[bench]'), or pass --peer ''")
    thresholds = [float(t) for t in args.thresholds.split(",")]
    params = {**DEV_PARAMS, "random_state": args.seed}
    start = time.perf_counter()
    corpus = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs)
    rows = corpus.rows
    by_id = {(p.dataset, p.page_id): p for name in corpus.pages for p in corpus.pages[name]}
    pages = [by_id[(r.dataset, r.page_id)] for r in rows]
    blocks = page_blocks(rows, pages)
    first = out_of_fold_proba(rows, target="article", params=params, folds=FOLDS)
    around = [context_features(p, r.paths, r.X) for p, r in zip(first, rows)]
    passes = {"": out_of_fold_proba(rows, target="article", params=params, folds=FOLDS, extra=around)}
    if args.page_type_context:
        types = cross_fitted_type_proba(rows, first, fit_page_type(rows, first), folds=FOLDS)
        extra = [np.hstack([a, type_columns(v, len(r.texts))]) for a, v, r in zip(around, types, rows)]
        passes["+type"] = out_of_fold_proba(rows, target="article", params=params, folds=FOLDS, extra=extra)
        typed = np.array([top_type(v) for v in types])
        for gate_types in args.gate_types.split(",") if args.gate_types else ():
            gate = np.isin(typed, gate_types.split("+"))
            passes[f"+type on {gate_types}"] = [t if g else p for t, p, g in zip(passes["+type"], passes[""], gate)]
    columns = [*DATASETS, "mean", *PAGE_TYPES]
    table = []
    print("| variant | threshold | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))

    def show(variant: str, threshold: float | None, result: dict[str, float]) -> None:
        table.append({"variant": variant, "threshold": threshold, **result})
        print(f"| {variant} | {'' if threshold is None else threshold} | "
              + " | ".join(f"{result.get(c, float('nan')):.4f}" for c in columns) + " |", flush=True)

    if peer is not None:
        show(args.peer, None, table_row(run_system(peer, pages)))
    for suffix, probas in passes.items():
        for name, rule in RULES.items():
            if suffix and name != "repeat rule":
                continue
            for t in thresholds:
                show(name + suffix, t, table_row(decided(rows, pages, blocks, probas, t, rule)))
    print(f"\n{len(rows)} training pages, dev trees {params}, {time.perf_counter() - start:.0f} s")
    if args.json:
        text = json.dumps(table, indent=1)
        atomic_write(args.json, lambda handle: handle.write(text.encode("utf-8")))


if __name__ == "__main__":
    main()
