"""Disk cache of work done on a dataset's pages (feature rows, rendered text pages), under
a name made of the code that did it and the pages it was done on, so a change to either
makes a new entry; an entry that cannot be read is rebuilt, never trusted."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

import joblib

from .persist import atomic_write

log = logging.getLogger(__name__)
T = TypeVar("T")


def code_hash(versions: str, modules: Iterable[str], *, vocabularies: bool = False) -> str:
    """16 hex digits of the versions string and the sources of ``modules`` (paths inside the
    package; a compiled module's ``.pyx`` counts where the source tree has it), plus the
    vocabularies under ``data/`` when asked."""
    digest = hashlib.sha256(versions.encode())
    package = resources.files("boilerplate")
    for name in modules:
        source = package.joinpath(*name.split("/"))
        if source.is_file() or not name.endswith(".pyx"):
            digest.update(source.read_bytes())
    if vocabularies:
        data = resources.files("boilerplate.data")
        for entry in sorted(data.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                digest.update(entry.read_bytes())
        for entry in sorted((data / "stopwords").iterdir(), key=lambda e: e.name):
            digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


def pages_hash(pages: Sequence, gold_fields: Sequence[str]) -> str:
    """16 hex digits of the pages' ids, HTML and the named gold texts."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(page.page_id.encode())
        digest.update(hashlib.sha256(page.html).digest())
        for name in gold_fields:
            digest.update(getattr(page, name).encode("utf-8", "replace"))
    return digest.hexdigest()[:16]


def cached(path: Path, build: Callable[[], T], *, compress: int = 0) -> T:
    """What ``build()`` returns, read from ``path`` when an earlier call wrote it there."""
    if path.is_file():
        try:
            return joblib.load(path)
        except Exception:  # a stale or broken cache entry is rebuilt, never trusted
            log.warning("rebuilding unreadable cache %s", path)
    result = build()
    atomic_write(path, lambda handle: joblib.dump(result, handle, compress=compress))
    return result
