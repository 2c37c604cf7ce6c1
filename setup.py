"""Compiled extensions; everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("boilerplate._trees", ["boilerplate/_trees.pyx"], extra_compile_args=["-O3"])],
    language_level=3,
))
