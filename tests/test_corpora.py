"""Tests for boilerplate.corpora: registry, fetching (offline, local HTTP only), readers."""

from __future__ import annotations

import codecs
import functools
import gzip
import hashlib
import http.server
import io
import json
import logging
import re
import tarfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from boilerplate.corpora import (
    DatasetEntry,
    GoldPage,
    Registry,
    SkippedPage,
    dataset_root,
    get_entry,
    load_pages,
    load_registry,
    read_cleaneval,
    read_dragnet,
    read_l3s,
    read_readability,
    read_wcxb,
    wcxb_keep_ids,
)
from boilerplate.errors import DatasetError

NAMES = ("cleaneval", "dragnet", "l3s-gn1", "readability", "wcxb")
UNREACHABLE = "http://127.0.0.1:9/never-used/"  # discard port: fails fast, never the internet


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("BOILERPLATE_DATA_DIR", "BOILERPLATE_CACHE_DIR", "BOILERPLATE_DATA_URL"):
        monkeypatch.delenv(var, raising=False)


# ---------------------------------------------------------------- helpers

def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


READABILITY_FILES = {
    "readability/input/001.html": b"<html><body><nav>menu</nav><p>First page body.</p></body></html>",
    "readability/GoldStandard/001.txt": (
        b'<div id="readability-page-1"><h1>Title one</h1><p>First page <b>body</b>.</p></div>'
    ),
    "readability/input/002.html": b"<html><body><p>Second.</p></body></html>",
    "readability/GoldStandard/002.txt": b'<div id="readability-page-1"><p>Second page text.</p></div>',
}


def _archive(path: Path, files: dict[str, bytes]) -> Path:
    """A deterministic .tar.gz holding ``files``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel, data in sorted(files.items()):
            info = tarfile.TarInfo(rel)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def _registry(archive: Path, *, sha256: str | None = None) -> Registry:
    data = archive.read_bytes()
    entry = DatasetEntry(
        name="readability",
        archive=archive.name,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        size=len(data),
        folders=("readability",),
        gold_format="readability-html",
    )
    return Registry(base_url=UNREACHABLE, datasets={"readability": entry})


@pytest.fixture
def fake(tmp_path: Path) -> tuple[Path, Registry]:
    """A local data folder holding a two-page ``readability.tar.gz`` and its registry."""
    archive = _archive(tmp_path / "data" / "readability.tar.gz", READABILITY_FILES)
    return archive, _registry(archive)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A local HTTP server on 127.0.0.1 serving ``tmp_path/mirror``; yields (base URL, folder, paths)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder, requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---------------------------------------------------------------- registry

def test_registry_lists_the_five_datasets() -> None:
    registry = load_registry()
    assert tuple(registry.datasets) == NAMES
    archives = {name: get_entry(name).archive for name in NAMES}
    assert archives["wcxb"] == "wcxb-dev.tar.gz" and archives["cleaneval"] == "cleaneval.tar.gz"
    for entry in registry.datasets.values():
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256) and entry.size > 0
        assert entry.download_url == entry.url(registry.base_url)
        assert entry.licence and dict(entry.source)["repository"]
    assert "byte-identical" in registry.note


def test_unknown_dataset_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="unknown dataset 'nope'.*readability"):
        get_entry("nope")


# ---------------------------------------------------------------- local data and cache

def test_local_archive_is_verified_unpacked_and_reused(tmp_path: Path, fake: tuple[Path, Registry]) -> None:
    archive, registry = fake
    cache = tmp_path / "cache"
    pages = list(load_pages("readability", data_dir=archive.parent, cache_dir=cache, registry=registry))
    assert [p.page_id for p in pages] == ["001", "002"]
    assert pages[0] == GoldPage(
        dataset="readability", page_id="001", html=READABILITY_FILES["readability/input/001.html"],
        article="Title one\n\nFirst page body.", comments="", group="001", page_type=None, url=None,
    )
    sha = registry.datasets["readability"].sha256
    assert sorted(p.name for p in cache.iterdir()) == [f"readability-{sha[:12]}"]
    archive.write_bytes(b"changed after unpacking")  # not re-hashed: the unpacked copy is reused
    again = dataset_root("readability", data_dir=archive.parent, cache_dir=cache, registry=registry)
    assert again == cache / f"readability-{sha[:12]}"


def test_unpacked_local_folder_is_used_in_place(tmp_path: Path, fake: tuple[Path, Registry]) -> None:
    _, registry = fake
    _write(tmp_path / "plain", READABILITY_FILES)
    root = dataset_root("readability", data_dir=tmp_path / "plain", cache_dir=tmp_path / "cache",
                        download=False, registry=registry)
    assert root == tmp_path / "plain" and not (tmp_path / "cache").exists()


def test_env_vars_name_data_and_cache(tmp_path: Path, fake: tuple[Path, Registry],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    archive, registry = fake
    monkeypatch.setenv("BOILERPLATE_DATA_DIR", str(archive.parent))
    monkeypatch.setenv("BOILERPLATE_CACHE_DIR", str(tmp_path / "envcache"))
    root = dataset_root("readability", download=False, registry=registry)
    assert root.parent == tmp_path / "envcache" and (root / "readability" / "input" / "001.html").is_file()


def test_local_archive_with_wrong_checksum(tmp_path: Path, fake: tuple[Path, Registry]) -> None:
    archive, _ = fake
    bad = _registry(archive, sha256="0" * 64)
    with pytest.raises(DatasetError, match=r"'readability'.*expected sha256 0{64}, got [0-9a-f]{64}"):
        dataset_root("readability", data_dir=archive.parent, cache_dir=tmp_path / "cache", registry=bad)
    assert not any((tmp_path / "cache").glob("readability-*"))


def test_missing_data_without_download(tmp_path: Path, fake: tuple[Path, Registry]) -> None:
    _, registry = fake
    with pytest.raises(DatasetError, match="'readability'.*BOILERPLATE_DATA_DIR"):
        dataset_root("readability", data_dir=tmp_path / "empty", cache_dir=tmp_path / "cache",
                     download=False, registry=registry)


def test_unsafe_archive_member_is_refused(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "data" / "readability.tar.gz",
                       {**READABILITY_FILES, "../outside.txt": b"escape"})
    with pytest.raises(DatasetError, match="cannot unpack"):
        dataset_root("readability", data_dir=archive.parent, cache_dir=tmp_path / "cache",
                     registry=_registry(archive))
    assert not (tmp_path / "outside.txt").exists()
    assert not list((tmp_path / "cache").iterdir())


# ---------------------------------------------------------------- download (local HTTP only)

def test_download_verifies_unpacks_and_reuses(tmp_path: Path, fake: tuple[Path, Registry],
                                              mirror: tuple[str, Path, list[str]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    archive, registry = fake
    base, folder, requests = mirror
    (folder / archive.name).write_bytes(archive.read_bytes())
    monkeypatch.setenv("BOILERPLATE_DATA_URL", base)
    cache = tmp_path / "cache"
    root = dataset_root("readability", cache_dir=cache, registry=registry)
    assert requests == ["/readability.tar.gz"]
    assert (cache / "readability.tar.gz").read_bytes() == archive.read_bytes()
    assert (root / "readability" / "GoldStandard" / "002.txt").is_file()
    pages = list(load_pages("readability", cache_dir=cache, registry=registry))
    assert [p.article for p in pages] == ["Title one\n\nFirst page body.", "Second page text."]
    assert requests == ["/readability.tar.gz"]  # second call: no new request
    assert sorted(p.name for p in cache.iterdir()) == ["readability-" + registry.datasets["readability"].sha256[:12],
                                                        "readability.tar.gz"]


def test_download_base_url_argument(tmp_path: Path, fake: tuple[Path, Registry],
                                    mirror: tuple[str, Path, list[str]]) -> None:
    archive, registry = fake
    base, folder, requests = mirror
    (folder / archive.name).write_bytes(archive.read_bytes())
    dataset_root("readability", cache_dir=tmp_path / "cache", base_url=base.rstrip("/"), registry=registry)
    assert requests == ["/readability.tar.gz"]


def test_download_with_wrong_checksum_leaves_nothing(tmp_path: Path, fake: tuple[Path, Registry],
                                                     mirror: tuple[str, Path, list[str]]) -> None:
    archive, _ = fake
    base, folder, _ = mirror
    (folder / archive.name).write_bytes(archive.read_bytes())
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match=r"checksum mismatch for http://127\.0\.0\.1:\d+/readability"
                                           r"\.tar\.gz: expected sha256 f{64}, got [0-9a-f]{64}"):
        dataset_root("readability", cache_dir=cache, base_url=base,
                     registry=_registry(archive, sha256="f" * 64))
    assert list(cache.iterdir()) == []


def test_download_missing_file_names_the_url(tmp_path: Path, fake: tuple[Path, Registry],
                                             mirror: tuple[str, Path, list[str]]) -> None:
    _, registry = fake
    base, _, _ = mirror
    with pytest.raises(DatasetError, match=r"cannot download http://127\.0\.0\.1:\d+/readability\.tar\.gz"):
        dataset_root("readability", cache_dir=tmp_path / "cache", base_url=base, registry=registry)
    assert list((tmp_path / "cache").iterdir()) == []


# ---------------------------------------------------------------- readers on tiny inputs

def test_cleaneval_reader(tmp_path: Path) -> None:
    _write(tmp_path, {
        "cleaneval-dev/input/1.html": b'<text id="http://www.a.example/x" title="t">x</text>',
        "cleaneval-dev/GoldStandard/1.txt": b"\xef\xbb\xbfURL: http://www.a.example/x\n\n<h> Head  line\n<p>Para one\n  continues\n<l> * item\n",
        "cleaneval-final/input/2.html": b'<text id="http://b.example/" title="t">x</text>',
        "cleaneval-final/GoldStandard/2.txt": "<p>Caf\u00e9 \u2013 ok\n<P>______\n".encode("cp1252"),
        "cleaneval-final/input/3.html": b"<text>no gold</text>",
        "cleaneval-final/input/4.html": b"<text>empty gold</text>",
        "cleaneval-final/GoldStandard/4.txt": b"URL: http://c.example/\n\n  \n",
    })
    records = list(read_cleaneval(tmp_path))
    assert [r.page_id for r in records] == ["dev/1", "final/2", "final/3", "final/4"]
    one, two, three, four = records
    assert isinstance(one, GoldPage) and one.article == "Head line\n\nPara one continues\n\n* item"
    assert (one.url, one.group, one.comments) == ("http://www.a.example/x", "a.example", "")
    assert isinstance(two, GoldPage) and two.article == "Caf\u00e9 \u2013 ok" and two.url == "http://b.example/"
    assert three == SkippedPage("cleaneval", "final/3", "no gold file")
    assert isinstance(four, SkippedPage) and four.reason == "empty gold text"


def test_dragnet_reader(tmp_path: Path) -> None:
    _write(tmp_path, {
        "dragnet_data/input/1.html": b"<p>x</p>",
        "dragnet_data/GoldStandard/1.txt": b"Title\r\n\r\nBody  text\r\n!@#$%^&*()  COMMENTS\r\nNice post\r\n",
        "dragnet_data/input/R2.html": b"<p>y</p>",
        "dragnet_data/GoldStandard/R2.txt": codecs.BOM_UTF16_LE + "Only article\n@#$%^&*() COMMENTS\n".encode("utf-16-le"),
    })
    one, two = read_dragnet(tmp_path)
    assert isinstance(one, GoldPage) and (one.article, one.comments) == ("Title\n\nBody text", "Nice post")
    assert isinstance(two, GoldPage) and (two.page_id, two.article, two.comments) == ("R2", "Only article", "")


L3S_GOLD = b"""<html><head><title>t</title><style>.x-nc-sel0{}</style></head><body>
<div><span class="x-nc-sel1">Big headline</span></div>
<p><span class="x-nc-sel2">First part</span> <a><span class="x-nc-sel2">link</span></a><span class="x-nc-sel2">, end.</span>
<span class="x-nc-sel3">caption</span><span class="x-nc-sel2">after caption</span></p>
<div><span class="x-nc-sel0">menu <span class="x-nc-sel2">nested text</span></span></div>
<ul><li><span class="x-nc-sel4">A comment</span></li><li><span class="x-nc-sel5">Related</span></li></ul>
</body></html>"""


def test_l3s_reader(tmp_path: Path) -> None:
    _write(tmp_path, {"page-signal-master/input/u1.html": b"<p>orig</p>",
                      "page-signal-master/GoldStandard/u1.txt": L3S_GOLD})
    (page,) = read_l3s(tmp_path)
    assert isinstance(page, GoldPage)
    assert page.article == "Big headline\n\nFirst part link, end. after caption\n\nnested text"
    assert page.comments == "A comment" and page.html == b"<p>orig</p>"


def test_readability_reader_blocks_and_skips(tmp_path: Path) -> None:
    gold = (b'<div id="readability-page-1"><h2>Head</h2><p>One <i>two</i><!-- c --> three'
            b'<script>var x;</script> four</p><ul><li>a</li><li>b</li></ul><div>tail \xc3\xa9</div></div>')
    _write(tmp_path, {"readability/input/x.html": b"<p/>", "readability/GoldStandard/x.txt": gold})
    (page,) = read_readability(tmp_path)
    assert isinstance(page, GoldPage) and page.article == "Head\n\nOne two three four\n\na\n\nb\n\ntail \u00e9"


def _wcxb_files() -> dict[str, bytes]:
    metadata = {"files": {
        "0001": {"split": "dev", "page_type": "collection", "domain": "a.example"},
        "0002": {"split": "dev", "page_type": "article", "domain": "b.example"},
        "0003": {"split": "dev", "page_type": "forum", "domain": "shared.example"},
        "0004": {"split": "test", "page_type": "forum", "domain": "shared.example"},
    }}

    def gt(file_id: str, primary: str | None, text: str | None) -> bytes:
        internal = {"page_type": {"primary": primary}} if primary else {}
        return json.dumps({"url": f"https://x.example/{file_id}", "file_id": file_id, "_internal": internal,
                           "ground_truth": {"main_content": text}}).encode()

    files = {"wcxb-dev/metadata.json": json.dumps(metadata).encode()}
    for file_id, primary, text in [("0001", "category", "Heading\nline two\n\nPara"), ("0002", None, ""),
                                   ("0003", "forum", "x"), ("0004", "forum", "y")]:
        files[f"wcxb-dev/dev/ground-truth/{file_id}.json"] = gt(file_id, primary, text)
        files[f"wcxb-dev/dev/html/{file_id}.html.gz"] = gzip.compress(f"<p>{file_id}</p>".encode(), mtime=0)
    return files


def test_wcxb_keep_ids() -> None:
    metadata = json.loads(_wcxb_files()["wcxb-dev/metadata.json"])
    assert wcxb_keep_ids(metadata) == {"0001", "0002"}
    assert wcxb_keep_ids({"files": {}}) == set()
    only_dev = {"files": {k: v for k, v in metadata["files"].items() if v["split"] == "dev"}}
    assert wcxb_keep_ids(only_dev) == {"0001", "0002", "0003"}


def test_wcxb_reader(tmp_path: Path) -> None:
    _write(tmp_path, _wcxb_files())
    records = list(read_wcxb(tmp_path))
    assert records[1] == SkippedPage("wcxb", "0002", "empty or missing main_content")
    page = records[0]
    assert len(records) == 2 and isinstance(page, GoldPage)
    assert (page.page_id, page.html, page.article) == ("0001", b"<p>0001</p>", "Heading\n\nline two\n\nPara")
    assert (page.page_type, page.group, page.url) == ("collection", "a.example", "https://x.example/0001")


def test_load_pages_reports_skips(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = {**READABILITY_FILES, "readability/input/003.html": b"<p>no gold</p>"}
    archive = _archive(tmp_path / "data" / "readability.tar.gz", files)
    registry = _registry(archive)
    skipped: list[SkippedPage] = []
    kwargs = {"data_dir": archive.parent, "cache_dir": tmp_path / "cache", "registry": registry}
    assert len(list(load_pages("readability", on_skip=skipped.append, **kwargs))) == 2
    assert skipped == [SkippedPage("readability", "003", "no gold file")]
    with caplog.at_level(logging.WARNING, logger="boilerplate.corpora"):
        assert len(list(load_pages("readability", **kwargs))) == 2
    assert "readability: skipped 1 page(s) without usable gold (1 no gold file); first: 003" in caplog.text


# ---------------------------------------------------------------- real data

def _scan(name: str, data_dir: Path, cache_dir: Path) -> tuple[list[GoldPage], list[SkippedPage]]:
    """All pages of a dataset without their HTML (kept small), plus the skipped ones."""
    skipped: list[SkippedPage] = []
    pages = []
    for page in load_pages(name, data_dir=data_dir, cache_dir=cache_dir, download=False,
                           on_skip=skipped.append):
        assert page.html and page.article and page.dataset == name
        pages.append(GoldPage(page.dataset, page.page_id, b"", page.article, page.comments,
                              page.group, page.page_type, page.url))
    ids = [p.page_id for p in pages]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    return pages, skipped


@pytest.mark.data
def test_real_archives_match_registry(data_dir: Path) -> None:
    for entry in load_registry().datasets.values():
        archive = data_dir / entry.archive
        if not archive.is_file():
            pytest.skip(f"{archive} absent (data dir holds unpacked folders)")
        assert archive.stat().st_size == entry.size
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == entry.sha256


@pytest.mark.data
def test_real_cleaneval(data_dir: Path, cache_dir: Path) -> None:
    pages, skipped = _scan("cleaneval", data_dir, cache_dir)
    splits = Counter(p.page_id.split("/")[0] for p in pages)
    # 58 + 681 gold files, of which 1 + 6 hold only the URL line
    assert splits == {"dev": 57, "final": 675}
    reasons = Counter((s.page_id.split("/")[0], s.reason) for s in skipped)
    assert reasons == {("final", "no gold file"): 59, ("dev", "empty gold text"): 1,
                       ("final", "empty gold text"): 6}
    assert all(p.url and p.url.startswith("http") for p in pages)
    assert not any(p.comments for p in pages)


@pytest.mark.data
def test_real_dragnet(data_dir: Path, cache_dir: Path) -> None:
    pages, skipped = _scan("dragnet", data_dir, cache_dir)
    assert len(pages) == 1381 and not skipped
    # 416 files in 8-bit encodings carry the marker (one with nothing after it),
    # plus 5 UTF-16 files that a byte-level grep misses
    assert sum(bool(p.comments) for p in pages) == 420
    assert not any("COMMENTS" in p.article[-40:] for p in pages)


@pytest.mark.data
def test_real_l3s(data_dir: Path, cache_dir: Path) -> None:
    pages, skipped = _scan("l3s-gn1", data_dir, cache_dir)
    assert len(pages) == 621 and not skipped
    by_id = {p.page_id: p for p in pages}
    kosovo = by_id["01ccc7c5-a1d1-46e1-a5f7-43310df16575"]
    assert kosovo.article.startswith("No agreement reached on Kosovo")  # the x-nc-sel1 headline
    assert "16 January 2008" not in kosovo.article  # supplemental (3) is not article
    assert sum(bool(p.comments) for p in pages) == 88


@pytest.mark.data
def test_real_readability(data_dir: Path, cache_dir: Path) -> None:
    pages, skipped = _scan("readability", data_dir, cache_dir)
    assert len(pages) == 116 and not skipped
    assert {"001", "003-metadata-preferred", "wikipedia"} <= {p.page_id for p in pages}
    assert next(p for p in pages if p.page_id == "001").article.startswith("So finally you're testing")


@pytest.mark.data
def test_real_wcxb(data_dir: Path, cache_dir: Path) -> None:
    pages, skipped = _scan("wcxb", data_dir, cache_dir)
    assert len(pages) == 1293 and len(pages) + len(skipped) == 1310
    assert {s.reason for s in skipped} == {"empty or missing main_content"}
    assert {p.page_type for p in pages} == {
        "article", "forum", "product", "collection", "listing", "documentation", "service"}
    assert all(p.url and p.group and "/" not in p.group for p in pages)
