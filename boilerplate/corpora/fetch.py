"""Find a dataset on disk, or download, verify and unpack it into the cache.

Resolution order for ``dataset_root``:

1. the local data folder (``data_dir`` argument, else ``BOILERPLATE_DATA_DIR``) when it
   already holds the unpacked folders: used in place, nothing is hashed;
2. ``<cache>/<name>-<sha256[:12]>/`` from an earlier call: used as is (the archive was
   hashed once, before unpacking; the atomic rename marks the folder complete);
3. the archive in the local data folder or in the cache: sha256 verified, unpacked;
4. a download of ``<base_url><archive>`` (argument, else ``BOILERPLATE_DATA_URL``, else
   the registry's base URL) to a temporary file, verified, renamed, unpacked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from boilerplate.corpora.registry import DatasetEntry, Registry, get_entry, load_registry
from boilerplate.errors import DatasetError

__all__ = ["DATA_DIR_ENV", "CACHE_DIR_ENV", "DATA_URL_ENV", "dataset_root", "default_cache_dir"]

DATA_DIR_ENV = "BOILERPLATE_DATA_DIR"
CACHE_DIR_ENV = "BOILERPLATE_CACHE_DIR"
DATA_URL_ENV = "BOILERPLATE_DATA_URL"

_CHUNK = 1 << 20  # read and hash archives 1 MiB at a time
_TIMEOUT = 60.0  # seconds without progress before a download is abandoned
_HINT = f"pass --data-dir or set {DATA_DIR_ENV} to a folder holding the archive or its unpacked folders"


def default_cache_dir() -> Path:
    """``BOILERPLATE_CACHE_DIR`` if set, else ``~/.cache/boilerplate``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "boilerplate"


def dataset_root(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    base_url: str | None = None,
    registry: Registry | None = None,
) -> Path:
    """Return the folder that holds the unpacked folder(s) of dataset ``name``."""
    registry = registry if registry is not None else load_registry()
    entry = get_entry(name, registry=registry)
    local = _local_dir(data_dir)
    if local is not None and all((local / f).is_dir() for f in entry.folders):
        return local
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = cache / f"{entry.name}-{entry.sha256[:12]}"
    if target.is_dir():
        return target
    for archive in ([local / entry.archive] if local is not None else []) + [cache / entry.archive]:
        if archive.is_file():
            _verify(entry, archive)
            return _unpack(entry, archive, target)
    if not download:
        where = f"{local} or {cache}" if local is not None else str(cache)
        raise DatasetError(
            f"dataset {entry.name!r}: neither {entry.archive} nor folder(s) "
            f"{', '.join(entry.folders)} found in {where}, and download is off; {_HINT}"
        )
    url = _base_url(base_url, registry, entry)
    archive = _download(entry, url, cache)
    return _unpack(entry, archive, target)


def _local_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    raw = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    return Path(raw).expanduser() if raw is not None else None


def _base_url(base_url: str | None, registry: Registry, entry: DatasetEntry) -> str:
    base = base_url or os.environ.get(DATA_URL_ENV) or ""
    if base:
        return entry.url(base)
    return entry.download_url or entry.url(registry.base_url)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(entry: DatasetEntry, archive: Path) -> None:
    got = _sha256(archive)
    if got != entry.sha256:
        raise DatasetError(
            f"dataset {entry.name!r}: checksum mismatch for {archive}: expected sha256 "
            f"{entry.sha256}, got {got}; delete or replace the file ({_HINT})"
        )


def _download(entry: DatasetEntry, url: str, cache: Path) -> Path:
    """Stream ``url`` into ``cache/<archive>``, verified before the final rename."""
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry.archive}.", suffix=".part", dir=cache)
    tmp = Path(tmp_name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT) as resp:
            while chunk := resp.read(_CHUNK):
                size += len(chunk)
                if size > entry.size:
                    raise DatasetError(
                        f"dataset {entry.name!r}: {url} sends more than the expected "
                        f"{entry.size} bytes; the mirror does not serve the registered archive"
                    )
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise DatasetError(
                f"dataset {entry.name!r}: checksum mismatch for {url}: expected sha256 "
                f"{entry.sha256}, got {digest.hexdigest()} ({size} bytes); "
                f"use a mirror serving the registered archive or {_HINT}"
            )
        final = cache / entry.archive
        os.replace(tmp, final)
        return final
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DatasetError(
            f"dataset {entry.name!r}: cannot download {url}: {exc}; set {DATA_URL_ENV} "
            f"to a mirror, or {_HINT}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _unpack(entry: DatasetEntry, archive: Path, target: Path) -> Path:
    """Extract safely into a temporary sibling of ``target``, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DatasetError(
                f"dataset {entry.name!r}: cannot unpack {archive}: {exc}; delete it and retry"
            ) from exc
        missing = [f for f in entry.folders if not (tmp / f).is_dir()]
        if missing:
            raise DatasetError(
                f"dataset {entry.name!r}: {archive} lacks folder(s) {', '.join(missing)}"
            )
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.is_dir():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
