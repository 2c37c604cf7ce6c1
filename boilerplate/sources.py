"""Input records for batch extraction: files, directories and WARC archives.

Every record has an id that is stable from one run to the next (what resuming a batch
relies on): the path as given for a file; ``<warc path>#<WARC-Record-ID>`` for a WARC
response. Order is deterministic: arguments in the order given, a directory's files
sorted by path, a WARC's records in file order.

WARC files are read with warcio: pure Python (nothing to compile, one small dependency),
the reference reader and writer of the format. Parsing costs little beside extraction
(tens of milliseconds a page), so fastwarc's speed would not show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .decode import charset_name
from .limits import MAX_INPUT_BYTES

WARC_SUFFIXES = (".warc", ".warc.gz")
#: Files a directory contributes besides WARC files (a file named on the command line is read whatever its name).
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ""})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: Content types that say nothing: the body is sniffed.
_UNTYPED = frozenset({"", "application/octet-stream", "unknown/unknown"})
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Record:
    """One page to extract, or the reason it could not be read (``error``: type and message).

    ``offset`` is where a WARC record starts in its file (compressed, for ``.warc.gz``);
    ``None`` for a plain file, or a WARC file that could not be opened.
    """

    id: str
    url: str | None = None
    page: bytes | str | None = None
    error: tuple[str, str] | None = None
    offset: int | None = None


def is_warc(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(WARC_SUFFIXES)


def iter_records(paths: list[str], *, skip: Callable[[str], bool] = lambda _id: False,
                 exclude: str | os.PathLike[str] | None = None) -> Iterator[Record]:
    """Records of ``paths`` (files, directories, WARC files) in a deterministic order.

    A record whose id ``skip`` accepts is not read (resuming passes the ids already done);
    ``exclude`` is a file never read from a directory (the batch's own output).
    """
    excluded = Path(exclude).resolve() if exclude else None
    for arg in paths:
        for path in _walk(Path(arg)) if Path(arg).is_dir() else [Path(arg)]:
            if excluded is not None and path.resolve() == excluded:
                continue
            if is_warc(path):
                yield from warc_records(path, skip=skip)
            elif not skip(str(path)):
                yield file_record(path)


def file_record(path: Path) -> Record:
    """A plain file as one page (bytes beyond the extractor's input cap are not read)."""
    try:
        with open(path, "rb") as handle:
            return Record(id=str(path), page=handle.read(MAX_INPUT_BYTES))
    except OSError as exc:
        return Record(id=str(path), error=(type(exc).__name__, exc.strerror or str(exc)))


def warc_records(path: Path, *, skip: Callable[[str], bool] = lambda _id: False) -> Iterator[Record]:
    """The HTML responses of a WARC file (2xx, HTML or untyped-but-HTML body), HTTP headers stripped.

    A damaged record becomes an error record; a damaged file ends with one (the records
    after the damage cannot be found), never with an exception.
    """
    from warcio.archiveiterator import ArchiveIterator

    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield Record(id=str(path), error=(type(exc).__name__, exc.strerror or str(exc)))
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        records = ArchiveIterator(handle)
        record, start, reported = None, 0, False
        while True:
            records.read_to_end()  # finish the previous record: .offset is then where the next one starts
            offset = records.offset  # (in the compressed file, for .warc.gz)
            try:
                record, start, reported = next(records), offset, False
            except StopIteration:
                # A file cut short ends inside its last record (headers included) or after it, in bytes that are none.
                cut = record is not None and not reported and (record.length is None or _missing(record) > 0)
                at = start if cut else offset
                if (cut or offset < size) and not skip(f"{path}#offset:{at}"):
                    yield Record(id=f"{path}#offset:{at}", offset=at,
                                 error=("TruncatedFile", f"the file ends inside the record at offset {at}: it is cut short"))
                return
            except Exception as exc:  # warcio raises ArchiveLoadFailed and, on bad gzip, zlib/OS errors
                yield Record(id=f"{path}#offset:{offset}", offset=offset,
                             error=(type(exc).__name__, "unreadable WARC record, the rest of the file is skipped: "
                                    + " ".join(str(exc).split())))
                return
            if record.rec_type != "response" or record.http_headers is None:
                continue
            status = record.http_headers.get_statuscode() or ""
            if not status.startswith("2"):
                continue
            record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ")
            rid = f"{path}#{record_id or f'offset:{offset}'}"
            url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ") or None
            media, charset = _content_type(record.http_headers.get_header("Content-Type"))
            typed_html = media in _HTML_TYPES
            if not (typed_html or media in _UNTYPED):
                continue
            if skip(rid):
                reported = True  # its entry was written by an earlier run, a cut-off record's error included
                continue
            try:
                body = record.content_stream().read(MAX_INPUT_BYTES)
                truncated = len(body) < MAX_INPUT_BYTES and _cut_short(record)
            except Exception as exc:  # a body that cannot be de-chunked or decompressed
                reported = True
                yield Record(id=rid, url=url, offset=offset, error=(type(exc).__name__, " ".join(str(exc).split())))
                continue
            if not (typed_html or _looks_like_html(body)):
                continue
            reported = True
            if truncated:
                yield Record(id=rid, url=url, offset=offset, error=("TruncatedRecord",
                                                     f"the record's body stops after {len(body)} bytes: the file is cut short"))
            else:
                yield Record(id=rid, url=url, offset=offset, page=http_page(body, charset))


def http_page(body: bytes, charset: str | None) -> bytes | str:
    """The page to extract from an HTTP body: decoded with the HTTP charset when that label
    decodes it (as a browser would, a byte-order mark outranks it), else the bytes, for
    the page's own charset chain (``decode.py``)."""
    name = charset_name(charset) if charset else None
    if not name or body.startswith(_BOMS):
        return body
    try:
        return body.decode(name)
    except UnicodeDecodeError:
        return body  # the label lies (or the input cap cut a character)


def _content_type(value: str | None) -> tuple[str, str | None]:
    media, _, params = (value or "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.strip().partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media.strip().lower(), charset


def _cut_short(record: Any) -> bool:
    """True when the WARC record declares more bytes than the file holds."""
    return _missing(record) > 0 and record.raw_stream.read(1) == b""


def _missing(record: Any) -> int:
    """Bytes of the record's declared length not read yet (all read after ``read_to_end``, unless cut short)."""
    return getattr(record.raw_stream, "limit", 0) or 0


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` that batch extraction reads, sorted; hidden files and folders are left out."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or not path.is_file():
                continue
            if is_warc(name) or _suffix(name) in HTML_SUFFIXES:
                yield path


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()
