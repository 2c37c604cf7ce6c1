"""The page-level extractor: page → blocks → features → P(content) → main text."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .blocks import Block, split_blocks
from .decode import decode
from .errors import ModelError
from .features import block_features
from .model import BlockClassifier
from .parse import parse
from .persist import load_model

DEFAULT_MODEL_NAME = "default.joblib"
TARGETS = ("article", "article+comments")


@dataclass(frozen=True, slots=True)
class Extractor:
    """A fitted block classifier with its decision threshold and target."""

    classifier: BlockClassifier
    threshold: float = 0.5
    target: str = "article"
    manifest: dict[str, Any] | None = None

    def predict(self, page: Any, *, threshold: float | None = None) -> list[Block]:
        """The page's blocks with ``proba`` = P(content) and ``label`` = proba ≥ threshold."""
        blocks, proba = self.score(page)
        cut = self.threshold if threshold is None else threshold
        return [replace(b, proba=float(p), label=bool(p >= cut)) for b, p in zip(blocks, proba)]

    def score(self, page: Any) -> tuple[list[Block], np.ndarray]:
        """Blocks and their P(content), the model called once for the page."""
        document = parse(decode(page))
        blocks = split_blocks(document)
        if not blocks:
            return [], np.zeros(0)
        return blocks, self.classifier.content_proba(block_features(blocks, document.title))

    def extract(self, page: Any, *, threshold: float | None = None) -> str:
        """The main text: content blocks in page order, separated by blank lines."""
        return blocks_text(self.predict(page, threshold=threshold))


def blocks_text(blocks: list[Block]) -> str:
    """Text of the blocks labelled content, paragraphs separated by blank lines."""
    return "\n\n".join(b.text for b in blocks if b.label)


def load_extractor(path: str | os.PathLike[str]) -> Extractor:
    """An :class:`Extractor` from a model file written by ``boilerplate train``."""
    classifier, manifest = load_model(path)
    return Extractor(classifier=classifier, threshold=float(manifest["threshold"]),
                     target=str(manifest["target"]), manifest=manifest)


def default_model_path() -> Path:
    """The shipped model file (``BOILERPLATE_MODEL`` overrides it)."""
    override = os.environ.get("BOILERPLATE_MODEL")
    if override:
        return Path(override)
    return Path(str(resources.files("boilerplate.models") / DEFAULT_MODEL_NAME))


_default: Extractor | None = None
_default_lock = threading.Lock()


def default_extractor() -> Extractor:
    """The shipped model, loaded once on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                path = default_model_path()
                if not path.is_file():
                    raise ModelError(f"no default model at {path}; rebuild it with `python scripts/build_model.py` or pass model=")
                _default = load_extractor(path)
    return _default


def _resolve(model: Extractor | str | os.PathLike[str] | None) -> Extractor:
    if model is None:
        return default_extractor()
    if isinstance(model, Extractor):
        return model
    return load_extractor(model)


def predict(page: Any, *, model: Extractor | str | os.PathLike[str] | None = None,
            threshold: float | None = None) -> list[Block]:
    """Blocks of ``page`` (str, bytes or BeautifulSoup) with ``label`` and ``proba``."""
    return _resolve(model).predict(page, threshold=threshold)


def extract(page: Any, *, model: Extractor | str | os.PathLike[str] | None = None,
            threshold: float | None = None) -> str:
    """Main text of ``page``; an empty page gives ``""``."""
    return _resolve(model).extract(page, threshold=threshold)
