"""The shipped model: it loads lazily, once, and extracts the bundled example page."""

from __future__ import annotations

from importlib import resources

import boilerplate
from boilerplate import extractor as extract_module

EXAMPLE = resources.files("boilerplate.registry") / "examples" / "article.html"


def test_shipped_model_extracts_the_example_article():
    text = boilerplate.extract(EXAMPLE.read_bytes())
    assert "Three weeks after the river burst its banks" in text
    assert "an early report points to a section repaired in 2011".lower() in text.lower()
    for chrome in ("We use cookies", "Sign up for our newsletter", "All rights reserved", "Related stories",
                   "Privacy policy", "Log in"):
        assert chrome not in text


def test_default_model_loads_once():
    first = extract_module.default_extractor()
    assert extract_module.default_extractor() is first
    assert first.manifest["sha256"]
