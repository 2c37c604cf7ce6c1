"""Compiled extensions (Cython); everything else is in pyproject.toml.

``_trees`` walks the exported trees, ``_walk`` walks lxml's parsed tree into blocks
(it reads libxml2's nodes, so it builds against lxml's bundled headers), ``_phrases``
finds the keyword phrases, ``_scan`` stands in for a few whole-page regex passes, ``_words`` counts words, distinct
words and stop words per block.
"""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [
        Extension("boilerplate._trees", ["boilerplate/_trees.pyx"], extra_compile_args=["-O3"]),
        Extension("boilerplate._phrases", ["boilerplate/_phrases.pyx"], extra_compile_args=["-O3"]),
        Extension("boilerplate._scan", ["boilerplate/_scan.pyx"], extra_compile_args=["-O3"]),
        Extension("boilerplate._words", ["boilerplate/_words.pyx"], extra_compile_args=["-O3"]),
        Extension("boilerplate._walk", ["boilerplate/_walk.pyx"], include_dirs=lxml.get_include(),
                  extra_compile_args=["-O3"]),
    ],
    language_level=3,
))
