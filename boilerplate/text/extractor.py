"""The plain-text extractor: text → segments → features → P(content) → clean text."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, ModelError
from ..persist import LoadOnce, load_model
from .features import TEXT_FEATURE_NAMES, TEXT_FEATURE_VERSION, segment_features
from .segment import SEGMENT_VERSION, Segment, segment_text

if TYPE_CHECKING:
    from ..model import BlockClassifier

TEXT_MODEL_NAME = "text.joblib"
#: P(content) of a segment that is a known form of inline boilerplate (an ad marker, a
#: photo credit, a teaser or playlist label: the ``marker`` feature) is at most this, so it
#: is dropped at any threshold the training chooses from. The datasets' gold is split on
#: such segments (some keep captions and teasers); dropping them changed the out-of-fold
#: text F1 of the training pages by -0.0015 to +0.0003 per dataset, and a page of clean
#: text should not carry them.
MARKER_MAX_PROBA = 0.1
_MARKER = TEXT_FEATURE_NAMES.index("marker")
#: What a text-model manifest says it is (``kind``), beside its text feature version.
KIND = "text"


@dataclass(frozen=True, slots=True)
class TextExtractor:
    """A fitted segment classifier with its decision threshold."""

    classifier: BlockClassifier  # a TwoPassClassifier for the shipped model
    threshold: float = 0.5
    manifest: dict[str, Any] | None = None

    def predict(self, text: str, *, threshold: float | None = None) -> list[Segment]:
        """The text's segments with ``proba`` = P(content) and ``label`` = proba ≥ threshold."""
        segments, proba = self.score(text)
        cut = self.threshold if threshold is None else threshold
        return [replace(s, proba=float(p), label=bool(p >= cut)) for s, p in zip(segments, proba)]

    def score(self, text: str) -> tuple[list[Segment], np.ndarray]:
        """Segments and their P(content), the model called once for the text."""
        segments = segment_text(_check(text))
        if not segments:
            return [], np.zeros(0)
        X = segment_features(segments)
        return segments, cap_markers(X, self.classifier.content_proba(X))

    def extract(self, text: str, *, threshold: float | None = None) -> str:
        """The main text: content segments in order (see :func:`segments_text`)."""
        return segments_text(self.predict(text, threshold=threshold))


def cap_markers(X: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """``proba`` with the segments that the ``marker`` feature flags capped at
    :data:`MARKER_MAX_PROBA` (the rows of ``X`` are the segments)."""
    return np.where(X[:, _MARKER] > 0, np.minimum(proba, MARKER_MAX_PROBA), proba)


def _check(text: Any) -> str:
    if isinstance(text, bytes):
        raise InputError("extract_text() takes str; decode the bytes first (e.g. data.decode('utf-8'))")
    if not isinstance(text, str):
        raise InputError(f"extract_text() takes str, not {type(text).__name__}")
    return text


def segments_text(segments: list[Segment]) -> str:
    """Text of the segments labelled content: segments of one input line joined by a
    space, lines by a newline, and a blank line where dropped segments stood between."""
    out: list[str] = []
    previous: Segment | None = None
    gap = False
    for segment in segments:
        if not segment.label:
            gap = previous is not None
            continue
        if previous is not None:
            out.append("\n\n" if gap else ("\n" if segment.line != previous.line else " "))
        out.append(segment.text)
        previous, gap = segment, False
    return "".join(out)


def load_text_extractor(path: str | os.PathLike[str]) -> TextExtractor:
    """A :class:`TextExtractor` from a text-model file written by ``scripts/build_text_model.py``."""
    classifier, manifest = load_model(path, feature_names=TEXT_FEATURE_NAMES, feature_version=TEXT_FEATURE_VERSION)
    if manifest.get("kind") != KIND or manifest.get("segment_version") != SEGMENT_VERSION:
        raise ModelError(f"{path}: not a text model for segmenter v{SEGMENT_VERSION} "
                         f"(kind {manifest.get('kind')!r}, segmenter v{manifest.get('segment_version')}); retrain it")
    return TextExtractor(classifier=classifier, threshold=float(manifest["threshold"]), manifest=manifest)


def default_text_model_path() -> Path:
    """The shipped text model (``BOILERPLATE_TEXT_MODEL`` overrides it)."""
    override = os.environ.get("BOILERPLATE_TEXT_MODEL")
    if override:
        return Path(override)
    return Path(str(resources.files("boilerplate.models") / TEXT_MODEL_NAME))


_shipped = LoadOnce(default_text_model_path, load_text_extractor, "python scripts/build_text_model.py")


def default_text_extractor() -> TextExtractor:
    """The shipped text model, loaded once on first use."""
    return _shipped.get()


def _resolve(model: TextExtractor | str | os.PathLike[str] | None) -> TextExtractor:
    if model is None:
        return default_text_extractor()
    if isinstance(model, TextExtractor):
        return model
    return load_text_extractor(model)


def predict_text(text: str, *, model: TextExtractor | str | os.PathLike[str] | None = None,
                 threshold: float | None = None) -> list[Segment]:
    """Segments of plain ``text`` with ``label`` and ``proba``; an empty text gives ``[]``."""
    return _resolve(model).predict(text, threshold=threshold)


def extract_text(text: str, *, model: TextExtractor | str | os.PathLike[str] | None = None,
                 threshold: float | None = None) -> str:
    """Main content of plain ``text`` (a page already flattened to text); ``""`` when none."""
    return _resolve(model).extract(text, threshold=threshold)
