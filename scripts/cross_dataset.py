"""Leave one dataset out: train on all datasets but one, test on the one left out.

    python scripts/cross_dataset.py --data-dir ../shared/datasets [--max-iter 150] [--no-context]

Users run the model on pages unlike any training set; this measures that. For each
dataset D, a model is trained on the training splits of the other datasets and scored
on D's test split (text-level F1), beside a model trained on all datasets (in-domain).
"""

from __future__ import annotations

import argparse
import time

from boilerplate.evaluate import run_system, summarize_scores
from boilerplate.train import DATASETS, fit_extractor, load_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--context", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    train = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs)
    test = load_corpus(DATASETS, split="test", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs)
    kept = {(r.dataset, r.page_id) for r in test.rows}
    params = {"max_iter": args.max_iter}
    rows = ["| held-out dataset | test pages | trained on the others | trained on all (in-domain) |", "|---|---|---|---|"]
    start = time.perf_counter()
    everything, _ = fit_extractor(train.rows, params=params, context=args.context)
    for name in DATASETS:
        pages = [p for p in test.pages[name] if (p.dataset, p.page_id) in kept]
        others, _ = fit_extractor([r for r in train.rows if r.dataset != name], params=params, context=args.context)
        out = summarize_scores(run_system(others.extract, pages))[name].shingle.f1
        into = summarize_scores(run_system(everything.extract, pages))[name].shingle.f1
        rows.append(f"| {name} | {len(pages)} | {out:.3f} | {into:.3f} |")
        print(rows[-1], flush=True)
    print(f"\nmax_iter={args.max_iter}, context={args.context}, {time.perf_counter() - start:.0f} s\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
