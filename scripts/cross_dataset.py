"""Leave one dataset out: train on all datasets but one, test on the one left out.

    python scripts/cross_dataset.py --data-dir ../shared/datasets [--tuning models/tuning.json] [--no-context]

Users run the model on pages unlike any training set; this measures that. For each
dataset D, a model is trained on the training splits of the other datasets and scored
on D's test split (text-level F1), with and without the repeat rule
(``extractor.drop_repeats``), beside a model trained on all datasets (in-domain) and
trafilatura on the same pages (with ``--peer``; it needs no training, so it is always out of domain),
and the held-out model minus the peer with a 95% paired bootstrap interval (``evaluate.paired_difference``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from boilerplate.evaluate import paired_difference, run_system, summarize_scores
from boilerplate.extractor import without_rules
from boilerplate.peers import PEERS, load_peer
from boilerplate.train import DATASETS, fit_extractor, load_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--max-iter", type=int, help="boosting iterations (default: the tuning file's, else 150)")
    parser.add_argument("--tuning", help="scripts/tune.py's output: its chosen parameters are used")
    parser.add_argument("--peer", default="trafilatura", choices=[*PEERS, ""],
                        help="a peer scored on the same pages ('' for none)")
    parser.add_argument("--context", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    train = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs)
    test = load_corpus(DATASETS, split="test", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs)
    kept = {(r.dataset, r.page_id) for r in test.rows}
    params = json.loads(Path(args.tuning).read_text("utf-8"))["chosen"] if args.tuning else {"max_iter": 150}
    if args.max_iter:
        params["max_iter"] = args.max_iter
    peer = load_peer(args.peer) if args.peer else None
    rows = ["| held-out dataset | test pages | trained on the others | the same, repeats kept | trained on all (in-domain) |"
            + (f" {args.peer} | trained on the others − {args.peer}, 95% interval |" if peer else ""),
            "|---|---|---|---|---|" + ("---|---|" if peer else "")]
    start = time.perf_counter()
    everything, _ = fit_extractor(train.rows, params=params, context=args.context)
    for name in DATASETS:
        pages = [p for p in test.pages[name] if (p.dataset, p.page_id) in kept]
        others, _ = fit_extractor([r for r in train.rows if r.dataset != name], params=params, context=args.context)
        held_out = run_system(others.extract, pages)
        out = summarize_scores(held_out)[name].shingle.f1
        repeats = summarize_scores(run_system(without_rules(others, repeats=True).extract, pages))[name].shingle.f1
        into = summarize_scores(run_system(everything.extract, pages))[name].shingle.f1
        rows.append(f"| {name} | {len(pages)} | {out:.3f} | {repeats:.3f} | {into:.3f} |")
        if peer:
            theirs = run_system(peer, pages)
            d = paired_difference(held_out, theirs, "text")
            rows[-1] += (f" {summarize_scores(theirs)[name].shingle.f1:.3f} |"
                         f" {d.difference:+.3f} ({d.low:+.3f} … {d.high:+.3f}) |")
        print(rows[-1], flush=True)
    print(f"\nparams={params}, context={args.context}, {time.perf_counter() - start:.0f} s\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
