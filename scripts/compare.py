"""Score the model and other open-source extractors on the same test pages, side by side.

    pip install -e '.[bench]'
    python scripts/compare.py --data-dir ../shared/datasets [--model models/default.joblib] [--json out.json]

Peers that are not installed are left out. The runner is the one behind
``boilerplate evaluate`` and the evaluation gate in the tests.
"""

from __future__ import annotations

import argparse

from boilerplate.report import evaluate_model
from boilerplate.train import DATASETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--peers", default="trafilatura,justext,readability-lxml")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="also write the scores here")
    args = parser.parse_args()
    report = evaluate_model(model=args.model, datasets=args.datasets.split(","), data_dir=args.data_dir,
                            cache_dir=args.cache_dir, peers=[p for p in args.peers.split(",") if p],
                            n_jobs=args.jobs, progress=True)
    print(report.markdown())
    if args.json:
        report.write_json(args.json)


if __name__ == "__main__":
    main()
