"""Model files: a joblib file plus a JSON manifest, written atomically, checked on load.

The manifest is read and checked (format, feature and block versions, sha256 of the
model file) before anything is unpickled, so a tampered, truncated or foreign file is
refused without running it. Both files are written to a temporary name and moved into
place with ``os.replace``: a crash never leaves a half-written model.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import joblib
import sklearn

from . import __version__
from .blocks import BLOCKS_VERSION
from .errors import ModelError
from .features import FEATURE_NAMES, FEATURE_VERSION
from .model import BlockClassifier

FORMAT = "boilerplate-model"
FORMAT_VERSION = 1


def manifest_path(model_path: str | os.PathLike[str]) -> Path:
    """Where the manifest of a model file lives: same name, ``.json`` suffix."""
    return Path(model_path).with_suffix(".json")


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], Any]) -> None:
    """Write a file through ``write(handle)`` into a temporary sibling, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(
    classifier: BlockClassifier,
    path: str | os.PathLike[str],
    *,
    threshold: float,
    target: str,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Save a fitted classifier and its manifest; returns the manifest."""
    path = Path(path)
    atomic_write(path, lambda handle: joblib.dump(classifier, handle, compress=3))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_file": path.name,
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "threshold": float(threshold),
        "target": target,
        "feature_version": FEATURE_VERSION,
        "blocks_version": BLOCKS_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "versions": {
            "boilerplate": __version__,
            "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__,
            "python": platform.python_version(),
        },
        "params": classifier.get_params(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(info or {}),
    }
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    atomic_write(manifest_path(path), lambda handle: handle.write(text.encode("utf-8")))
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a model's manifest against this package, without touching the model file."""
    path = Path(path)
    mpath = manifest_path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        manifest = json.loads(mpath.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no manifest {mpath.name} beside it; only models saved by boilerplate can be loaded") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{mpath}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{mpath}: not a boilerplate model manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{mpath}: model format {manifest.get('format_version')}, this package reads {FORMAT_VERSION}")
    if manifest.get("feature_version") != FEATURE_VERSION or manifest.get("feature_names") != list(FEATURE_NAMES):
        raise ModelError(
            f"{path}: built for feature set v{manifest.get('feature_version')}, this package computes "
            f"v{FEATURE_VERSION}; retrain it with `boilerplate train`"
        )
    if manifest.get("blocks_version") != BLOCKS_VERSION:
        raise ModelError(f"{path}: built for blocks v{manifest.get('blocks_version')}, this package makes v{BLOCKS_VERSION}; retrain it")
    return manifest


def load_model(path: str | os.PathLike[str]) -> tuple[BlockClassifier, dict[str, Any]]:
    """Load a classifier saved by :func:`save_model` after checking manifest and checksum."""
    manifest = read_manifest(path)
    actual = sha256_file(path)
    if actual != manifest.get("sha256"):
        raise ModelError(f"{path}: sha256 {actual[:12]}… does not match its manifest ({str(manifest.get('sha256'))[:12]}…); refusing to load a modified file")
    try:
        classifier = joblib.load(path)
    except Exception as exc:  # a verified file that still fails: incompatible library versions
        raise ModelError(f"{path}: cannot be unpickled ({type(exc).__name__}: {exc}); saved with {manifest.get('versions')}") from None
    if not isinstance(classifier, BlockClassifier):
        raise ModelError(f"{path}: holds a {type(classifier).__name__}, not a BlockClassifier")
    return classifier, manifest
