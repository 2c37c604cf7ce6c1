"""Write the fixed test-split lists ``datasets/splits/<name>.txt`` (run once; the lists are committed).

    python scripts/make_splits.py --data-dir ../shared/datasets

A page is a test page when its group (its site; WCXB: its domain) hashes into the lowest
``TEST_PERCENT`` (see ``boilerplate.splits``), so a site never straddles the split.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from boilerplate.corpora import load_pages
from boilerplate.persist import atomic_write
from boilerplate.splits import is_test_group
from boilerplate.train import DATASETS

OUT = Path(__file__).resolve().parents[1] / "datasets" / "splits"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    for name in DATASETS:
        pages = list(load_pages(name, data_dir=args.data_dir))
        test = sorted(p.page_id for p in pages if is_test_group(name, p.group))
        text = "".join(f"{page_id}\n" for page_id in test)
        atomic_write(OUT / f"{name}.txt", lambda handle, t=text: handle.write(t.encode("utf-8")))
        print(f"{name}: {len(test)} test pages of {len(pages)}")


if __name__ == "__main__":
    main()
