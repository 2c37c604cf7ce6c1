"""boilerplate: separate a web page's main content from its chrome with a trained model.

    >>> import boilerplate
    >>> boilerplate.extract("<html>…</html>")           # main text
    >>> boilerplate.predict(html)                        # blocks with proba and label
    >>> boilerplate.extract_text(flat_text)              # main text of a page already flattened to text
"""

from __future__ import annotations

__version__ = "0.1.0"

from .blocks import Block
from .errors import BoilerplateError, DatasetError, InputError, ModelError
from .extractor import Extractor, extract, load_extractor, predict
from .text import Segment, TextExtractor, extract_text, load_text_extractor, predict_text

__all__ = [
    "Block", "BoilerplateError", "DatasetError", "Extractor", "InputError", "ModelError",
    "__version__", "extract", "load_extractor", "predict",
    "Segment", "TextExtractor", "extract_text", "load_text_extractor", "predict_text",
]
