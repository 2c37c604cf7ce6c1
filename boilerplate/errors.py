"""The package's exceptions: catch ``BoilerplateError`` to catch them all.

    BoilerplateError
    ├── InputError          the page cannot be read (wrong type, undecodable, unparsable)
    ├── ModelError          a model file is missing, corrupt, tampered with or incompatible
    └── DatasetError        a dataset is unknown, missing, fails its checksum or has a bad file
"""

from __future__ import annotations


class BoilerplateError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(BoilerplateError, ValueError):
    """The input page cannot be turned into a document."""


class ModelError(BoilerplateError):
    """A model file cannot be loaded or does not match this version of the package."""


class DatasetError(BoilerplateError):
    """A labelled dataset cannot be found, fetched, verified or read."""
