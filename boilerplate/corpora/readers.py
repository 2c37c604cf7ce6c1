"""One reader per published gold format, and ``load_pages`` on top of them.

Every reader takes the folder holding the dataset's unpacked folder(s) and yields, in
``page_id`` order, a ``GoldPage`` per usable page or a ``SkippedPage`` (with the reason)
per page without usable gold. A page whose file cannot be read (missing, corrupt gzip,
undecodable or malformed JSON, unparsable HTML) is a ``SkippedPage`` with ``error=True``
and the file named, never an exception that stops the dataset. Gold text is normalised the same way everywhere:
paragraphs (or headings, list items, lines) joined by ``"\\n\\n"``, whitespace inside a
paragraph collapsed to single spaces, paragraphs without a letter or digit (rules such
as ``"_____"`` or ``"|"``) dropped.
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import os
import re
import urllib.parse
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

from boilerplate.corpora.fetch import dataset_root
from boilerplate.corpora.registry import Registry, get_entry, load_registry
from boilerplate.errors import DatasetError

__all__ = [
    "GoldPage",
    "SkippedPage",
    "READERS",
    "load_pages",
    "read_cleaneval",
    "read_dragnet",
    "read_l3s",
    "read_readability",
    "read_wcxb",
    "wcxb_keep_ids",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldPage:
    """One input page with its gold main text (and gold comments where marked)."""

    dataset: str  # registry name
    page_id: str  # unique within the dataset: "final/103", "R162", "<uuid>", "001", "0001"
    html: bytes  # the input page's raw bytes exactly as published
    article: str  # gold main text, paragraphs separated by "\n\n"
    comments: str  # gold user comments, "" when none or not marked
    group: str  # split key: site domain/host when known, else the page_id
    page_type: str | None  # WCXB page type; None elsewhere
    url: str | None
    files: tuple[str, ...] = field(default=(), compare=False)  # the input page and gold files read


@dataclass(frozen=True, slots=True)
class SkippedPage:
    """A page a reader left out, and why; ``error`` when a file of it could not be read."""

    dataset: str
    page_id: str
    reason: str
    files: tuple[str, ...] = field(default=(), compare=False)
    error: bool = field(default=False, compare=False)


def _unreadable(dataset: str, page_id: str, exc: DatasetError, *paths: Path) -> SkippedPage:
    return SkippedPage(dataset, page_id, str(exc), files=tuple(str(p) for p in paths), error=True)


Record = GoldPage | SkippedPage

# ---------------------------------------------------------------- text helpers

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes) -> str:
    """Gold bytes to text: BOM, else UTF-8, else Windows-1252 (never fails)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _CONTROL.sub("", text)


def _paragraphs(chunks: Iterable[str]) -> str:
    """Collapse whitespace per chunk, drop chunks without letters/digits, join by blank lines."""
    out = (" ".join(chunk.split()) for chunk in chunks)
    return "\n\n".join(p for p in out if any(ch.isalnum() for ch in p))


def _lines(text: str) -> str:
    """Plain text where every non-blank line is a paragraph, heading or list item."""
    return _paragraphs(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read dataset file {path}: {exc}") from exc


def _stems(folder: Path, suffix: str) -> dict[str, Path]:
    if not folder.is_dir():
        raise DatasetError(f"dataset folder {folder} is missing; is the dataset unpacked fully?")
    return {p.name[: -len(suffix)]: p for p in folder.iterdir() if p.name.endswith(suffix)}


# ---------------------------------------------------------------- HTML gold

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main menu "
    "nav ol option p pre section select summary table tbody td textarea tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_L3S_CLASS = re.compile(r"\bx-nc-sel(\d)\b")


def _parse_html(data: bytes, path: Path) -> lxml.html.HtmlElement:
    text = _decode(data)
    try:
        return lxml.html.document_fromstring(text or "<html></html>")
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise DatasetError(f"cannot parse gold HTML {path}: {exc}") from exc


def _runs(root: lxml.html.HtmlElement) -> list[tuple[int, int | None, str]]:
    """Text runs in document order as (block number, L3S label or None, text); iterative."""
    runs: list[tuple[int, int | None, str]] = []
    labels: list[int | None] = [None]
    block = 0
    walker = lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event in ("comment", "pi"):  # no start/end events; only the tail is text
            if el.tail:
                runs.append((block, labels[-1], el.tail))
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP_TAGS:
                walker.skip_subtree()  # its "end" event still comes, with the tail
                labels.append(labels[-1])
                continue
            found = _L3S_CLASS.search(el.get("class") or "")
            labels.append(int(found.group(1)) if found else labels[-1])
            if tag in _BLOCK_TAGS:
                block += 1
            if el.text:
                runs.append((block, labels[-1], el.text))
        else:
            labels.pop()
            if tag in _BLOCK_TAGS:
                block += 1
            if el.tail and el is not root:
                runs.append((block, labels[-1], el.tail))
    return runs


def _select(runs: list[tuple[int, int | None, str]], keep: Callable[[int | None], bool]) -> str:
    """Join the kept runs: same block → one paragraph, a dropped run counts as a space."""
    paragraphs: list[str] = []
    current: list[str] = []
    last_block = None
    for block, label, text in runs:
        if block != last_block:
            paragraphs.append("".join(current))
            current, last_block = [], block
        current.append(text if keep(label) or text.isspace() else " ")
    paragraphs.append("".join(current))
    return _paragraphs(paragraphs)


# ---------------------------------------------------------------- readers

_CE_MARK = re.compile(r"</?\s*[phl]\s*>", re.IGNORECASE)
_CE_BARE_URL = re.compile(r"^\s*[a-z]+://\S+\s*$", re.IGNORECASE)
_CE_TEXT_ID = re.compile(rb'<text\s+id="([^"]*)"', re.IGNORECASE)


def _cleaneval_url(text: str) -> tuple[str | None, str]:
    """Split off the ``URL:`` header (in three files the address is on the next line)."""
    first, _, rest = text.partition("\n")
    if not first.strip().startswith("URL:"):
        return None, text
    url = first.strip()[4:].strip()
    if not url:
        second, _, after = rest.lstrip("\n").partition("\n")
        if _CE_BARE_URL.match(second):
            url, rest = second.strip(), after
    return url or None, rest


@dataclass(frozen=True)
class _Pair:
    """A page's HTML and its parsed gold file."""

    page_id: str
    html: bytes
    gold: Any
    files: tuple[str, str]


def _pairs(dataset: str, bases: Iterable[tuple[str, Path]], read_gold: Callable[[Path], Any]) -> Iterator[_Pair | SkippedPage]:
    """Each ``input/<id>.html`` of the ``(id prefix, folder)`` bases with its
    ``GoldStandard/<id>.txt`` read by ``read_gold``, in id order; a page without a gold
    file, or with a file that cannot be read, comes as a :class:`SkippedPage`."""
    items: list[tuple[str, Path, Path | None]] = []
    for prefix, base in bases:
        golds = _stems(base / "GoldStandard", ".txt")
        items += [(prefix + stem, html_path, golds.get(stem)) for stem, html_path in _stems(base / "input", ".html").items()]
    for page_id, html_path, gold_path in sorted(items):
        if gold_path is None:
            yield SkippedPage(dataset, page_id, "no gold file")
            continue
        try:
            gold = read_gold(gold_path)
            html = _read(html_path)
        except DatasetError as exc:
            yield _unreadable(dataset, page_id, exc, html_path, gold_path)
            continue
        yield _Pair(page_id, html, gold, (str(html_path), str(gold_path)))


def read_cleaneval(root: Path, *, dataset: str = "cleaneval") -> Iterator[Record]:
    """CleanEval: ``URL:`` line, then paragraphs each opened by ``<p>``, ``<h>`` or ``<l>``."""
    bases = [(f"{split}/", root / f"cleaneval-{split}") for split in ("dev", "final")]
    for pair in _pairs(dataset, bases, lambda path: _cleaneval_url(_decode(_read(path)).lstrip("\ufeff"))):
        if isinstance(pair, SkippedPage):
            yield pair
            continue
        url, text = pair.gold
        if url is None and (found := _CE_TEXT_ID.search(pair.html, 0, 4096)):
            url = found.group(1).decode("latin-1").strip() or None
        article = _paragraphs(_CE_MARK.split(text))
        if not article:
            yield SkippedPage(dataset, pair.page_id, "empty gold text")
            continue
        yield GoldPage(dataset, pair.page_id, pair.html, article, "", _host(url) or pair.page_id, None, url,
                       files=pair.files)


_DRAGNET_COMMENTS = re.compile(r"^[ \t]*[!@#$%^&*()][!@#$%^&*() \t]*COMMENTS[ \t]*$", re.MULTILINE)


def read_dragnet(root: Path, *, dataset: str = "dragnet") -> Iterator[Record]:
    """Dragnet: plain-text article, then optionally a ``!@#$%^&*()  COMMENTS`` line and comments."""
    gold_text = lambda path: _decode(_read(path)).replace("\r\n", "\n").replace("\r", "\n")  # noqa: E731
    for pair in _pairs(dataset, [("", root / "dragnet_data")], gold_text):
        if isinstance(pair, SkippedPage):
            yield pair
            continue
        article, comments = pair.gold, ""
        if found := _DRAGNET_COMMENTS.search(pair.gold):
            article, comments = pair.gold[: found.start()], pair.gold[found.end() :]
        article = _lines(article)
        if not article:
            yield SkippedPage(dataset, pair.page_id, "empty gold text")
            continue
        yield GoldPage(dataset, pair.page_id, pair.html, article, _lines(comments), pair.page_id, None, None,
                       files=pair.files)


_L3S_ARTICLE = frozenset({1, 2})  # headline, full text
_L3S_COMMENTS = frozenset({4})


def read_l3s(root: Path, *, dataset: str = "l3s-gn1") -> Iterator[Record]:
    """L3S-GN1: annotated page copy, labels on ``x-nc-selK`` spans (1 headline, 2 text, 4 comments)."""
    for pair in _pairs(dataset, [("", root / "page-signal-master")], lambda path: _runs(_parse_html(_read(path), path))):
        if isinstance(pair, SkippedPage):
            yield pair
            continue
        article = _select(pair.gold, lambda label: label in _L3S_ARTICLE)
        if not article:
            yield SkippedPage(dataset, pair.page_id, "no headline or full-text runs")
            continue
        comments = _select(pair.gold, lambda label: label in _L3S_COMMENTS)
        yield GoldPage(dataset, pair.page_id, pair.html, article, comments, pair.page_id, None, None, files=pair.files)


def read_readability(root: Path, *, dataset: str = "readability") -> Iterator[Record]:
    """Mozilla Readability: the expected output, a ``readability-page-1`` HTML tree."""
    gold_text = lambda path: _select(_runs(_parse_html(_read(path), path)), lambda label: True)  # noqa: E731
    for pair in _pairs(dataset, [("", root / "readability")], gold_text):
        if isinstance(pair, SkippedPage):
            yield pair
            continue
        if not pair.gold:
            yield SkippedPage(dataset, pair.page_id, "empty gold text")
            continue
        yield GoldPage(dataset, pair.page_id, pair.html, pair.gold, "", pair.page_id, None, None, files=pair.files)


_WCXB_TYPES = {"category": "collection"}  # older label of the same page type


def wcxb_keep_ids(metadata: dict[str, Any]) -> set[str]:
    """File ids of the WCXB dev split whose domain occurs in no test entry."""
    files: dict[str, dict[str, Any]] = metadata.get("files", {})
    test_domains = {
        str(v.get("domain", "")).strip().lower() for v in files.values() if v.get("split") == "test"
    }
    return {
        file_id
        for file_id, v in files.items()
        if v.get("split") == "dev" and str(v.get("domain", "")).strip().lower() not in test_domains
    }


def read_wcxb(root: Path, *, dataset: str = "wcxb") -> Iterator[Record]:
    """WCXB: ``dev/ground-truth/ID.json`` (``main_content``) and ``dev/html/ID.html.gz``."""
    base = root / "wcxb-dev"
    metadata = _json_object(base / "metadata.json")
    files = metadata.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise DatasetError(f"{base / 'metadata.json'}: 'files' is not an object of objects")
    for file_id in sorted(wcxb_keep_ids(metadata)):
        gt_path = base / "dev" / "ground-truth" / f"{file_id}.json"
        html_path = base / "dev" / "html" / f"{file_id}.html.gz"
        try:
            record = _json_object(gt_path)
            truth = record.get("ground_truth") or {}
            main = truth.get("main_content") if isinstance(truth, dict) else None
            if not isinstance(main, (str, type(None))):
                raise DatasetError(f"{gt_path}: main_content is a {type(main).__name__}, not text")
            try:
                html = gzip.decompress(_read(html_path))
            except (OSError, EOFError, zlib.error) as exc:
                raise DatasetError(f"cannot decompress {html_path}: {exc}") from exc
        except DatasetError as exc:
            yield _unreadable(dataset, file_id, exc, html_path, gt_path)
            continue
        article = _lines(main or "")
        if not article:
            yield SkippedPage(dataset, file_id, "empty or missing main_content")
            continue
        info = files.get(file_id, {})
        internal = record.get("_internal")
        types = internal.get("page_type") if isinstance(internal, dict) else None
        primary = types.get("primary") if isinstance(types, dict) else None
        page_type = primary or info.get("page_type") or None
        page_type = _WCXB_TYPES.get(page_type, page_type) if isinstance(page_type, str) else None
        url = record.get("url") if isinstance(record.get("url"), str) else None
        group = info.get("domain") or _host(url) or file_id
        yield GoldPage(dataset, file_id, html, article, "", str(group), page_type, url or None,
                       files=(str(html_path), str(gt_path)))


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON file that must hold an object; any other content is a DatasetError naming the file."""
    try:
        value = json.loads(_read(path))
    except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8/16/32
        raise DatasetError(f"cannot parse {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise DatasetError(f"{path}: holds a JSON {type(value).__name__}, not an object")
    return value


READERS: dict[str, Callable[..., Iterator[Record]]] = {
    "cleaneval-text": read_cleaneval,
    "dragnet-text": read_dragnet,
    "l3s-annotated-html": read_l3s,
    "readability-html": read_readability,
    "wcxb-json": read_wcxb,
}

# ---------------------------------------------------------------- entry point


def load_pages(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    base_url: str | None = None,
    registry: Registry | None = None,
    on_skip: Callable[[SkippedPage], object] | None = None,
) -> Iterator[GoldPage]:
    """Yield the dataset's gold pages sorted by ``page_id``.

    Pages without usable gold go to ``on_skip``; without one, a single warning is
    logged once the iteration ends, naming how many were skipped and which.
    """
    registry = registry if registry is not None else load_registry()
    entry = get_entry(name, registry=registry)
    reader = READERS.get(entry.gold_format)
    if reader is None:
        raise DatasetError(f"dataset {name!r}: no reader for gold format {entry.gold_format!r}")
    root = dataset_root(
        name, data_dir=data_dir, cache_dir=cache_dir, download=download,
        base_url=base_url, registry=registry,
    )
    skipped: list[SkippedPage] = []
    for record in reader(root, dataset=entry.name):
        if isinstance(record, GoldPage):
            yield record
        elif on_skip is not None:
            on_skip(record)
        else:
            skipped.append(record)
    if skipped:
        reasons = Counter(s.reason for s in skipped)
        log.warning(
            "%s: skipped %d page(s) without usable gold (%s); first: %s",
            entry.name, len(skipped), ", ".join(f"{n} {r}" for r, n in reasons.most_common()),
            ", ".join(s.page_id for s in skipped[:5]),
        )
        log.info("%s: skipped pages: %s", entry.name, ", ".join(f"{s.page_id} ({s.reason})" for s in skipped))
