"""Choose the boosted trees' size by cross-validation grouped by site, on the training split only.

    python scripts/tune.py --data-dir ../shared/datasets [--folds 3] [--two-pass] [--json tune.json]

For each candidate (boosting iterations, learning rate, leaves per tree) it fits the
first pass on all sites but a fold's and scores the held-out sites: the page-averaged
token F1 that chooses the threshold (``train.page_text_score``, at each candidate's best
threshold on the held-out fold: the same optimism for every candidate) and the weighted
log-loss. It also times the compiled tree walk per page, since the model is
a fifth of ``extract()``'s time. The rule, printed at the end: the fastest candidate whose
mean F1 is within ``--tolerance`` of the best. The test split is never read.

With ``--two-pass`` each fold fits the whole model as shipped (first pass, out-of-fold
first passes, context pass: six fits) and scores its final probabilities: slower, and the
right measure when the context pass depends on how well the first pass's probabilities
are calibrated.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

from boilerplate.persist import atomic_write
from boilerplate.portable import to_portable
from boilerplate.train import DATASETS, THRESHOLDS, _fit, fit_extractor, fold_of, load_corpus, page_text_score

CANDIDATES = (
    {"max_iter": 300, "learning_rate": 0.1, "max_leaf_nodes": 31},   # the v1 model
    {"max_iter": 150, "learning_rate": 0.2, "max_leaf_nodes": 31},
    {"max_iter": 100, "learning_rate": 0.2, "max_leaf_nodes": 63},
    {"max_iter": 100, "learning_rate": 0.3, "max_leaf_nodes": 31},
)
FIXED = {"min_samples_leaf": 40, "l2_regularization": 1.0, "class_weight": "balanced", "random_state": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=0.002)
    parser.add_argument("--two-pass", action="store_true", help="score the whole two-pass model per fold")
    parser.add_argument("--candidates", help="comma-separated indices into CANDIDATES (default: all)")
    parser.add_argument("--json", help="write the table here")
    args = parser.parse_args()

    rows = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=args.cache_dir,
                       n_jobs=args.jobs, progress=True).rows
    keys = np.array([fold_of(f"tune:{r.dataset}:{r.group}", args.folds) for r in rows])
    results = []
    chosen_indices = [int(i) for i in args.candidates.split(",")] if args.candidates else range(len(CANDIDATES))
    for candidate in (CANDIDATES[i] for i in chosen_indices):
        params = {**FIXED, **candidate}
        f1s, losses, walk_ms = [], [], []
        for k in range(args.folds):
            train_rows = [r for r, key in zip(rows, keys) if key != k]
            held = [r for r, key in zip(rows, keys) if key == k]
            start = time.perf_counter()
            with threadpool_limits(2):
                if args.two_pass:
                    extractor, _ = fit_extractor(train_rows, params=params, tune_threshold=False)
                    model = extractor.classifier
                    probas = [extractor.proba(r.X, r.paths) for r in held]
                else:
                    model = _fit(train_rows, "article", params)
                    probas = [model.content_proba(r.X) for r in held]
            fit_seconds = time.perf_counter() - start
            f1s.append(max(page_text_score(held, probas, t, "article") for t in THRESHOLDS))
            losses.append(_log_loss(held, probas))
            walk_ms.append(_walk_ms(model, held))
            print(f"{candidate} fold {k}: F1 {f1s[-1]:.4f} log-loss {losses[-1]:.4f} "
                  f"walk {walk_ms[-1]:.3f} ms/page fit {fit_seconds:.0f} s", flush=True)
        results.append({"params": candidate, "f1": float(np.mean(f1s)), "f1_folds": f1s,
                        "log_loss": float(np.mean(losses)), "walk_ms_per_page": float(np.mean(walk_ms))})
    best = max(r["f1"] for r in results)
    chosen = min((r for r in results if r["f1"] >= best - args.tolerance), key=lambda r: r["walk_ms_per_page"])
    print("\n| iterations | learning rate | leaves | CV F1 | CV log-loss | tree walk ms/page |")
    print("|---|---|---|---|---|---|")
    for r in results:
        p = r["params"]
        mark = " (chosen)" if r is chosen else ""
        print(f"| {p['max_iter']} | {p['learning_rate']} | {p['max_leaf_nodes']} | {r['f1']:.4f} | "
              f"{r['log_loss']:.4f} | {r['walk_ms_per_page']:.3f}{mark} |")
    print(f"\nrule: the fastest candidate within {args.tolerance} of the best CV F1 ({best:.4f}): {chosen['params']}")
    if args.json:
        text = json.dumps({"folds": args.folds, "two_pass": args.two_pass, "tolerance": args.tolerance, "results": results,
                           "chosen": chosen["params"], "fixed": FIXED}, indent=2) + "\n"
        atomic_write(args.json, lambda handle: handle.write(text.encode("utf-8")))


def _log_loss(rows, probas) -> float:
    """Block log-loss weighted as in training (tokens, capped)."""
    y = np.concatenate([r.labels("article") for r in rows]).astype(float)
    w = np.concatenate([r.weights for r in rows])
    p = np.clip(np.concatenate(probas), 1e-7, 1 - 1e-7)
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def _walk_ms(model, rows, pages: int = 200) -> float:
    """Milliseconds per page of the exported model's compiled walk (what ``extract()`` runs)."""
    portable = to_portable(model)
    sample = [r.X for r in rows[:pages]]
    portable.decision_function(sample[0])
    start = time.process_time()
    for X in sample:
        portable.decision_function(X)
    return (time.process_time() - start) / len(sample) * 1000


if __name__ == "__main__":
    main()
