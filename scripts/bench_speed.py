"""Throughput of ``extract()`` on one core, split by stage, beside trafilatura's.

    python scripts/bench_speed.py --data-dir ../shared/datasets [--pages 300] [--peers trafilatura]

Runs on the first test pages of every dataset (same pages for every system), after one
warm-up page. Prints pages/s, median and p99 ms/page, the time per stage, and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from itertools import islice

import numpy as np

from boilerplate.blocks import split_blocks
from boilerplate.corpora import load_pages
from boilerplate.decode import decode
from boilerplate.extractor import default_extractor
from boilerplate.features import page_features
from boilerplate.parse import parse
from boilerplate.peers import load_peer
from boilerplate.splits import split_of
from boilerplate.train import DATASETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--pages", type=int, default=60, help="test pages per dataset")
    parser.add_argument("--peers", default="trafilatura")
    args = parser.parse_args()
    pages = [p.html for name in DATASETS for p in islice(
        (p for p in load_pages(name, data_dir=args.data_dir) if split_of(name, p.page_id) == "test"), args.pages)]
    extractor = default_extractor()
    extractor.extract(pages[0])
    stages = {"decode": 0.0, "parse": 0.0, "blocks": 0.0, "features": 0.0, "model": 0.0}
    per_page = []
    for html in pages:
        t0 = time.perf_counter()
        text = decode(html)
        t1 = time.perf_counter()
        document = parse(text)
        t2 = time.perf_counter()
        blocks = split_blocks(document)
        t3 = time.perf_counter()
        X = page_features(document, blocks)
        t4 = time.perf_counter()
        if len(X):
            extractor.proba(X, [b.path for b in blocks])
        t5 = time.perf_counter()
        for name, (a, b) in zip(stages, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))):
            stages[name] += b - a
        per_page.append(t5 - t0)
    total = sum(per_page)
    mb = sum(map(len, pages)) / 1e6
    print(f"{len(pages)} pages, {mb:.1f} MB, {mb / len(pages) * 1000:.0f} kB/page")
    print(f"boilerplate: {len(pages) / total:.1f} pages/s, median {statistics.median(per_page) * 1000:.1f} ms, "
          f"p99 {np.percentile(per_page, 99) * 1000:.1f} ms")
    print("  stages: " + ", ".join(f"{k} {v / total:.0%} ({v / len(pages) * 1000:.2f} ms)" for k, v in stages.items()))
    for name in [p for p in args.peers.split(",") if p]:
        peer = load_peer(name)
        if peer is None:
            print(f"{name}: not installed")
            continue
        start = time.perf_counter()
        for html in pages:
            try:
                peer(html)
            except Exception:
                pass
        rate = len(pages) / (time.perf_counter() - start)
        print(f"{name}: {rate:.1f} pages/s; boilerplate is {len(pages) / total / rate:.2f}x")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
