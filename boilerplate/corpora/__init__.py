"""Labelled corpora: the dataset registry, fetching with checksums, one reader per gold format.

    pages = load_pages("dragnet", data_dir="../shared/datasets")
    for page in pages:   # GoldPage(dataset, page_id, html, article, comments, group, ...)
        ...
"""

from __future__ import annotations

from boilerplate.corpora.fetch import dataset_root, default_cache_dir
from boilerplate.corpora.readers import (
    READERS,
    GoldPage,
    SkippedPage,
    load_pages,
    read_cleaneval,
    read_dragnet,
    read_l3s,
    read_readability,
    read_wcxb,
    wcxb_keep_ids,
)
from boilerplate.corpora.registry import DatasetEntry, Registry, get_entry, load_registry

__all__ = [
    "READERS",
    "DatasetEntry",
    "GoldPage",
    "Registry",
    "SkippedPage",
    "dataset_root",
    "default_cache_dir",
    "get_entry",
    "load_pages",
    "load_registry",
    "read_cleaneval",
    "read_dragnet",
    "read_l3s",
    "read_readability",
    "read_wcxb",
    "wcxb_keep_ids",
]
