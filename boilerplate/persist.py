"""Model files: a joblib file plus a JSON manifest, written atomically, checked on load.

The manifest is read and checked (format, feature and block versions, sha256 of the
model file) before anything is unpickled, so a tampered, truncated or foreign file is
refused without running it. Both files are written to a temporary name and moved into
place with ``os.replace``: a crash never leaves a half-written model.

Two encodings, chosen by the file's suffix: ``.joblib`` (a pickle of the scikit-learn
estimator: loads only under a compatible scikit-learn, and unpickling runs code, so only
files whose manifest and checksum match are opened) and ``.npz`` (the trees as plain
arrays, ``portable.py``: no code runs on load and no scikit-learn is needed to predict).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, TypeVar

import numpy as np

from . import __version__
from .blocks import BLOCKS_VERSION
from .errors import ModelError
from .context import CONTEXT_NAMES, CONTEXT_VERSION
from .features import FEATURE_NAMES, FEATURE_VERSION
from .portable import PortableClassifier, to_portable

T = TypeVar("T")

if TYPE_CHECKING:  # scikit-learn and joblib load only for joblib files: the portable path needs neither
    from .model import BlockClassifier

FORMAT = "boilerplate-model"
FORMAT_VERSION = 1
#: ``file_format`` recorded in the manifest per model-file suffix (absent means joblib).
FILE_FORMATS = {".joblib": "joblib", ".npz": "portable-npz"}


#: A model is one to three files of one classifier each: the first pass, optionally a
#: context pass (``<name>.context.<suffix>``) that also reads the first pass's probabilities,
#: and a typed context pass (``<name>.typed.<suffix>``) that reads the page type too.
#: The main manifest names the others (``<key>_model``, ``<key>_sha256``): key, stage, file suffix.
COMPANIONS = (("context", "context", "context"), ("typed_context", "context+type", "typed"))
STAGES = ("first", "context", "context+type")


def stage_feature_names(stage: str) -> list[str]:
    """The feature columns a classifier of this stage reads."""
    from .page import PAGE_TYPE_CONTEXT_NAMES

    names = list(FEATURE_NAMES) + (list(CONTEXT_NAMES) if stage in ("context", "context+type") else [])
    return names + (list(PAGE_TYPE_CONTEXT_NAMES) if stage == "context+type" else [])


def companion_path(model_path: str | os.PathLike[str], stage: str) -> Path:
    """Where a model file's pass of ``stage`` (one of ``COMPANIONS``) is saved: ``<name>.<suffix><ext>``."""
    suffix = next(suffix for _, companion_stage, suffix in COMPANIONS if companion_stage == stage)
    model_path = Path(model_path)
    return model_path.with_name(f"{model_path.stem}.{suffix}{model_path.suffix}")


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
    classifier: BlockClassifier | PortableClassifier,
    path: str | os.PathLike[str],
    *,
    threshold: float,
    target: str,
    info: dict[str, Any] | None = None,
    stage: str = "first",
    feature_names: Sequence[str] | None = None,
    feature_version: int | None = None,
) -> dict[str, Any]:
    """Save a fitted classifier and its manifest; returns the manifest.

    ``feature_names``/``feature_version`` record another feature set than the HTML one
    (the plain-text model's); by default, the HTML features of ``stage``.

    A ``.npz`` path writes the portable arrays (a ``BlockClassifier`` is exported first),
    any other path a joblib file of the classifier.
    """
    import joblib
    import sklearn

    path = Path(path)
    file_format = FILE_FORMATS.get(path.suffix, "joblib")
    _check_manifest_owner(path)
    if file_format == "portable-npz":
        portable = classifier if isinstance(classifier, PortableClassifier) else to_portable(classifier)
        atomic_write(path, portable.save)
    elif isinstance(classifier, PortableClassifier):
        raise ModelError(f"{path}: a portable model can only be saved as .npz")
    else:
        atomic_write(path, lambda handle: joblib.dump(classifier, handle, compress=3))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "file_format": file_format,
        "model_file": path.name,
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "threshold": float(threshold),
        "target": target,
        "feature_version": FEATURE_VERSION if feature_version is None else feature_version,
        "blocks_version": BLOCKS_VERSION,
        "stage": stage,
        "context_version": CONTEXT_VERSION,
        "feature_names": stage_feature_names(stage) if feature_names is None else list(feature_names),
        "versions": {
            "boilerplate": __version__,
            "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "params": classifier.get_params(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(info or {}),
    }
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    atomic_write(manifest_path(path), lambda handle: handle.write(text.encode("utf-8")))
    return manifest


def _check_manifest_owner(path: Path) -> None:
    """Refuse to overwrite the manifest of another model file (``m.joblib`` and ``m.npz`` share ``m.json``)."""
    mpath = manifest_path(path)
    try:
        owner = json.loads(mpath.read_text("utf-8")).get("model_file")
    except (OSError, ValueError, AttributeError):
        return
    if owner not in (None, path.name) and (path.parent / owner).exists():
        raise ModelError(f"{mpath} belongs to {owner}; give {path.name} another name (e.g. {path.stem}.trees{path.suffix})")


def read_manifest(path: str | os.PathLike[str], *, feature_names: Sequence[str] | None = None,
                  feature_version: int | None = None) -> dict[str, Any]:
    """Read and check a model's manifest against this package, without touching the model file.

    ``feature_names``/``feature_version`` name the feature set expected when it is not the
    HTML one (the plain-text model's)."""
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
    stage = manifest.get("stage", "first")
    if stage not in STAGES:
        raise ModelError(f"{mpath}: unknown model stage {stage!r}")
    if stage in ("context", "context+type") and manifest.get("context_version") != CONTEXT_VERSION:
        raise ModelError(f"{path}: built for context features v{manifest.get('context_version')}, this package computes v{CONTEXT_VERSION}; retrain it")
    expected_version = FEATURE_VERSION if feature_version is None else feature_version
    expected_names = stage_feature_names(stage) if feature_names is None else list(feature_names)
    if manifest.get("feature_version") != expected_version or manifest.get("feature_names") != expected_names:
        raise ModelError(
            f"{path}: built for feature set v{manifest.get('feature_version')}, this package computes "
            f"v{expected_version}; retrain it with `boilerplate train`"
        )
    if manifest.get("blocks_version") != BLOCKS_VERSION:
        raise ModelError(f"{path}: built for blocks v{manifest.get('blocks_version')}, this package makes v{BLOCKS_VERSION}; retrain it")
    return manifest


def export_portable(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the ``.npz`` export of a checked model file beside its manifest; returns the new manifest.

    The new manifest keeps the source's threshold, target and training record, and names
    the file it was exported from (``exported_from``: file name and sha256).
    """
    classifier, manifest = load_model(source)
    own = {"format", "format_version", "file_format", "model_file", "sha256", "size_bytes", "threshold", "target",
           "feature_version", "blocks_version", "feature_names", "versions", "params", "created", "exported_from",
           "stage", "context_version"}
    info = {k: v for k, v in manifest.items() if k not in own}
    info["exported_from"] = {"model_file": Path(source).name, "sha256": manifest["sha256"],
                             **{f"{key}_sha256": manifest.get(f"{key}_sha256") for key, _, _ in COMPANIONS},
                             "versions": manifest.get("versions", {})}
    for key, stage, _ in COMPANIONS:  # a two- or three-pass model: export its other passes too, and name those
        if manifest.get(f"{key}_model"):
            companion_dest = companion_path(dest, stage)
            companion = export_portable(Path(source).parent / manifest[f"{key}_model"], companion_dest)
            info.update({f"{key}_model": companion_dest.name, f"{key}_sha256": companion["sha256"]})
    portable = classifier if isinstance(classifier, PortableClassifier) else to_portable(classifier)
    return save_model(portable, dest, threshold=manifest["threshold"], target=manifest["target"], info=info,
                      stage=manifest.get("stage", "first"))


def is_export_of(portable: str | os.PathLike[str], source: str | os.PathLike[str]) -> bool:
    """Whether ``portable``'s manifest says it was exported from ``source`` as it is now (by manifests only)."""
    try:
        exported = json.loads(manifest_path(portable).read_text("utf-8")).get("exported_from") or {}
        current = json.loads(manifest_path(source).read_text("utf-8"))
    except (OSError, ValueError, AttributeError):
        return False
    return (Path(portable).is_file() and exported.get("model_file") == Path(source).name
            and exported.get("sha256") == current.get("sha256")
            and all(exported.get(f"{key}_sha256") == current.get(f"{key}_sha256") for key, _, _ in COMPANIONS))


def load_model(path: str | os.PathLike[str], *, feature_names: Sequence[str] | None = None,
               feature_version: int | None = None) -> tuple[BlockClassifier | PortableClassifier, dict[str, Any]]:
    """Load a classifier saved by :func:`save_model` after checking manifest and checksum.

    The file's suffix picks the reader: ``.npz`` the portable arrays, else joblib.
    ``feature_names``/``feature_version``: as for :func:`read_manifest`.
    """
    manifest = read_manifest(path, feature_names=feature_names, feature_version=feature_version)
    actual = sha256_file(path)
    if actual != manifest.get("sha256"):
        raise ModelError(f"{path}: sha256 {actual[:12]}… does not match its manifest ({str(manifest.get('sha256'))[:12]}…); refusing to load a modified file")
    file_format = FILE_FORMATS.get(Path(path).suffix, "joblib")
    if manifest.get("file_format", "joblib") != file_format:
        raise ModelError(f"{path}: its manifest describes a {manifest.get('file_format')} file, not {file_format}")
    if file_format == "portable-npz":
        classifier = PortableClassifier.load(str(path))
        expected = len(stage_feature_names(manifest.get("stage", "first")) if feature_names is None else feature_names)
        if classifier.n_features_in_ != expected:
            raise ModelError(f"{path}: expects {classifier.n_features_in_} features, this package computes {expected}")
        return classifier, manifest
    import joblib

    from .model import BlockClassifier

    try:
        classifier = joblib.load(path)
    except Exception as exc:  # a verified file that still fails: incompatible library versions
        raise ModelError(f"{path}: cannot be unpickled ({type(exc).__name__}: {exc}); saved with {manifest.get('versions')}") from None
    if not isinstance(classifier, BlockClassifier):
        raise ModelError(f"{path}: holds a {type(classifier).__name__}, not a BlockClassifier")
    return classifier, manifest


class LoadOnce(Generic[T]):
    """A shipped model, loaded from ``path()`` by ``load`` on first use, once per process
    whatever the threads; a missing file is a :class:`ModelError` that says how to rebuild it."""

    def __init__(self, path: Callable[[], Path], load: Callable[[Path], T], rebuild: str) -> None:
        self._path, self._load, self._rebuild = path, load, rebuild
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    path = self._path()
                    if not path.is_file():
                        raise ModelError(f"no model at {path}; rebuild it with `{self._rebuild}` or pass model=")
                    self._value = self._load(path)
        return self._value
