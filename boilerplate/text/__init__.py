"""Plain-text mode: clean pages that were already flattened to text (crawl text dumps,
scraped text, copy-pasted pages), with or without their line breaks.

    text → segments (lines; or sentences and menu-like runs) → text features
         → P(content) per segment (the shipped text model) → clean text

    >>> from boilerplate import extract_text, predict_text
    >>> extract_text(flat_page)                  # main text
    >>> predict_text(flat_page)                  # segments with proba and label
"""

from __future__ import annotations

from .extractor import (
    TextExtractor,
    default_text_extractor,
    extract_text,
    load_text_extractor,
    predict_text,
    segments_text,
)
from .features import TEXT_FEATURE_NAMES, TEXT_FEATURE_VERSION, segment_features
from .segment import SEGMENT_VERSION, Cut, Segment, segment_text

__all__ = [
    "Cut", "SEGMENT_VERSION", "Segment", "TEXT_FEATURE_NAMES", "TEXT_FEATURE_VERSION", "TextExtractor",
    "default_text_extractor", "extract_text", "load_text_extractor", "predict_text", "segment_features",
    "segment_text", "segments_text",
]
