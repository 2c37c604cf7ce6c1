"""The fixed page-level train/test split of each dataset.

``datasets/splits/<name>.txt`` lists the test pages' ids; every other page is training
data. The lists were made once by ``scripts/make_splits.py``: a page goes to test when
the SHA-1 of ``"<dataset>:<group>"`` falls in the lowest ``TEST_PERCENT`` of its range,
where the group is the page's site (WCXB: its domain), so all pages of a site land on
one side.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

TEST_PERCENT = 25


def is_test_group(dataset: str, group: str) -> bool:
    """The rule the split lists were made with."""
    digest = hashlib.sha1(f"{dataset}:{group}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < TEST_PERCENT


@lru_cache(maxsize=None)
def test_ids(dataset: str) -> frozenset[str]:
    """Ids of the dataset's test pages (empty when no list is shipped)."""
    entry = resources.files("boilerplate.registry") / "splits" / f"{dataset}.txt"
    if not entry.is_file():
        return frozenset()
    return frozenset(line.strip() for line in entry.read_text("utf-8").splitlines() if line.strip())


def split_of(dataset: str, page_id: str) -> str:
    """``"test"`` or ``"train"``."""
    return "test" if page_id in test_ids(dataset) else "train"
