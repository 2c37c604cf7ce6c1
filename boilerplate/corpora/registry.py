"""The dataset registry: where each labelled corpus comes from and how to verify it.

The data lives in ``datasets/registry.json`` (installed as ``boilerplate.registry``);
this module turns it into frozen dataclasses. Tests and mirrors build their own
``Registry`` and pass it to the fetch and load functions.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from boilerplate.errors import DatasetError

__all__ = ["DatasetEntry", "Registry", "load_registry", "get_entry"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class DatasetEntry:
    """One dataset: its archive, checksum, unpacked folders and gold format."""

    name: str
    archive: str
    sha256: str
    size: int
    folders: tuple[str, ...]
    gold_format: str
    licence: str = ""
    source: tuple[tuple[str, str], ...] = ()  # (key, value): repository, commit, doi, original
    download_url: str = ""

    def url(self, base_url: str) -> str:
        """The archive's address under a mirror base URL."""
        return base_url.rstrip("/") + "/" + self.archive


@dataclass(frozen=True, slots=True)
class Registry:
    """All known datasets plus the default mirror base URL."""

    base_url: str
    datasets: Mapping[str, DatasetEntry]
    note: str = ""


def _entry(name: str, raw: Mapping[str, Any]) -> DatasetEntry:
    try:
        entry = DatasetEntry(
            name=name,
            archive=str(raw["archive"]),
            sha256=str(raw["sha256"]).lower(),
            size=int(raw["size"]),
            folders=tuple(str(f) for f in raw["folders"]),
            gold_format=str(raw["gold_format"]),
            licence=str(raw.get("licence", "")),
            source=tuple((str(k), str(v)) for k, v in raw.get("source", {}).items()),
            download_url=str(raw.get("download_url", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"registry entry {name!r} is malformed: {exc!r}") from exc
    if not _SHA256.match(entry.sha256) or not entry.folders:
        raise DatasetError(f"registry entry {name!r} needs a sha256 hex digest and folders")
    return entry


def load_registry() -> Registry:
    """Read the registry shipped with the package."""
    text = (importlib.resources.files("boilerplate.registry") / "registry.json").read_text("utf-8")
    raw = json.loads(text)
    datasets = {name: _entry(name, spec) for name, spec in sorted(raw["datasets"].items())}
    return Registry(
        base_url=str(raw["base_url"]),
        datasets=MappingProxyType(datasets),
        note=str(raw.get("note", "")),
    )


def get_entry(name: str, *, registry: Registry | None = None) -> DatasetEntry:
    """Look up one dataset by name; unknown names raise ``DatasetError``."""
    registry = registry if registry is not None else load_registry()
    try:
        return registry.datasets[name]
    except KeyError:
        known = ", ".join(sorted(registry.datasets))
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None
