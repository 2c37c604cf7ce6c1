"""Batch extraction end to end: WARC files and directories → JSON Lines that match ``extract()``."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from boilerplate import batch
from boilerplate.cli import main
from boilerplate.extractor import Extractor, default_extractor
from boilerplate.sources import Record, iter_records

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
GARBAGE = bytes(random.Random(7).randrange(256) for _ in range(3000))


def article(title: str, words: str, *, charset_meta: bool = True) -> str:
    """An article page with the usual chrome around it: nav, share bar, related links, footer."""
    paragraphs = "\n".join(
        f"<p>{words} Paragraph {i} of the story about {title.lower()} goes on with details that readers "
        f"came for, quotes from residents and the numbers the council published this week.</p>" for i in range(6))
    meta = '<meta charset="utf-8">' if charset_meta else ""
    return f"""<!DOCTYPE html><html><head>{meta}<title>{title} | The Courier</title></head><body>
<nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>
<div class="share">Share on Facebook Share on Twitter Email this story</div>
<article><h1>{title}</h1><div class="byline">By Ana Costa</div>
{paragraphs}
</article>
<aside class="related"><h3>Related</h3><ul><li><a href="/a">Five things to know</a></li>
<li><a href="/b">Opinion: the council got it wrong</a></li></ul></aside>
<footer class="site-footer"><p>&copy; 2026 The Courier. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a> <a href="/contact">Contact us</a></footer>
</body></html>"""


PAGES = {
    "flood": article("River towns rebuild after the floods", "The water has gone, the mud remains.").encode(),
    "market": article("Market hall reopens", "Stall holders returned on Monday — café and bakery first.").encode(),
    "school": article("School gets a new roof", "Pupils moved back into the old building.").encode(),
}
#: Latin-1 bytes with no <meta charset>: only the HTTP header says how to read them.
LATIN1 = article("Café owners count the cost", "Crème brûlée sold out, said the café's owner.",
                 charset_meta=False).encode("latin-1")


def rid(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def warc_record(kind: str, name: str, url: str, block: bytes, *, content_type: str | None = None) -> bytes:
    """One WARC/1.0 record, written by hand (the format is headers, a blank line, the block, two CRLFs)."""
    if content_type is None:
        content_type = {"response": "application/http; msgtype=response",
                        "request": "application/http; msgtype=request"}.get(kind, "application/warc-fields")
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <{rid(name)}>\r\nWARC-Date: 2026-05-14T10:00:00Z\r\n"
            f"WARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\nContent-Length: {len(block)}\r\n\r\n")
    return head.encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str | None, status: str = "200 OK", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "") + extra
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def crawl_records() -> list[bytes]:
    """A small crawl: HTML responses in every flavour, and the records batch extraction must pass over."""
    return [
        warc_record("warcinfo", "info", "", b"software: test\r\nformat: WARC File Format 1.0\r\n"),
        warc_record("request", "req-flood", "https://news.example/flood",
                    b"GET /flood HTTP/1.1\r\nHost: news.example\r\n\r\n"),
        warc_record("response", "flood", "https://news.example/flood",
                    http_response(PAGES["flood"], "text/html; charset=utf-8")),
        warc_record("response", "logo", "https://news.example/logo.png", http_response(PNG, "image/png")),
        warc_record("response", "moved", "https://news.example/old",
                    http_response(b"<html><body>Moved</body></html>", "text/html", "301 Moved Permanently",
                                  "Location: https://news.example/flood\r\n")),
        warc_record("response", "latin1", "https://news.example/cafe",
                    http_response(LATIN1, 'text/html; charset="ISO-8859-1"')),
        warc_record("response", "garbage", "https://news.example/garbage", http_response(GARBAGE, "text/html")),
        warc_record("response", "untyped", "https://news.example/market", http_response(PAGES["market"], None)),
        warc_record("response", "xhtml", "https://news.example/school",
                    http_response(PAGES["school"], "application/xhtml+xml")),
    ]


def write_warc(path: Path, records: list[bytes], *, compress: bool) -> Path:
    # One gzip member per record, as crawlers write .warc.gz.
    path.write_bytes(b"".join(gzip.compress(r, mtime=0) for r in records) if compress else b"".join(records))
    return path


@pytest.fixture()
def crawl(tmp_path) -> Path:
    return write_warc(tmp_path / "crawl.warc.gz", crawl_records(), compress=True)


def expected_crawl(warc: Path) -> dict[str, tuple[str, bytes | str]]:
    """id → (url, the page ``extract()`` is given) for the records batch extraction must return."""
    def key(name: str) -> str:
        return f"{warc}#{rid(name)}"
    return {
        key("flood"): ("https://news.example/flood", PAGES["flood"]),
        key("latin1"): ("https://news.example/cafe", LATIN1.decode("cp1252")),  # the HTTP charset is used
        key("garbage"): ("https://news.example/garbage", GARBAGE),
        key("untyped"): ("https://news.example/market", PAGES["market"]),
        key("xhtml"): ("https://news.example/school", PAGES["school"]),
    }


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def run_cli(*args: str) -> Result:
    """``boilerplate extract ARGS`` in process; it must succeed."""
    result = CliRunner().invoke(main, ["extract", *args])
    assert result.exit_code == 0, result.output
    return result


def test_warc_batch_matches_extract_exactly(tmp_path, crawl):
    out = tmp_path / "out.jsonl"
    result = run_cli(str(crawl), "-o", str(out))
    assert result.stdout == ""
    assert "5 entries written (0 errors)" in result.stderr
    entries = read_jsonl(out)
    expected = expected_crawl(crawl)
    assert [e["id"] for e in entries] == list(expected)  # file order; no request, PNG, redirect or warcinfo
    extractor = default_extractor()
    for entry in entries:
        url, page = expected[entry["id"]]
        assert set(entry) == {"id", "url", "text"}
        assert entry["url"] == url
        assert entry["text"] == extractor.extract(page)
    by_url = {e["url"]: e["text"] for e in entries}
    assert "Crème brûlée sold out" in by_url["https://news.example/cafe"]
    assert "Paragraph 3 of the story" in by_url["https://news.example/flood"]
    assert "All rights reserved" not in by_url["https://news.example/flood"]
    assert by_url["https://news.example/flood"] == extractor.extract(PAGES["flood"])


def test_blocks_are_the_predicted_blocks(tmp_path, crawl):
    out = tmp_path / "out.jsonl"
    run_cli(str(crawl), "-o", str(out), "--blocks", "--threshold", "0.3")
    entry = read_jsonl(out)[0]
    blocks = default_extractor().predict(PAGES["flood"], threshold=0.3)
    assert entry["text"] == default_extractor().extract(PAGES["flood"], threshold=0.3)
    assert [(b["text"], b["label"], b["path"]) for b in entry["blocks"]] == [(b.text, b.label, b.path) for b in blocks]


def test_damaged_warc_files_give_error_entries(tmp_path):
    records = crawl_records()
    cut = write_warc(tmp_path / "cut.warc.gz", records[:3] + [records[-1][:-400]], compress=True)
    # Bytes where the next record's header should be: nothing after them can be found.
    broken = write_warc(tmp_path / "broken.warc", records[:3] + [b"\x00\x01garbage\r\n\r\n"] + records[3:], compress=False)
    in_headers = write_warc(tmp_path / "in-headers.warc.gz", records[:4] + [records[4][:150]], compress=True)
    notwarc = tmp_path / "notes.warc"
    notwarc.write_text("just some notes\n")
    out = tmp_path / "out.jsonl"
    run_cli(str(cut), str(broken), str(in_headers), str(notwarc), "-o", str(out))
    entries = {e["id"]: e for e in read_jsonl(out)}
    flood_text = default_extractor().extract(PAGES["flood"])
    assert entries[f"{cut}#{rid('flood')}"]["text"] == flood_text
    assert entries[f"{cut}#{rid('xhtml')}"]["error"]["type"] == "TruncatedRecord"
    assert entries[f"{broken}#{rid('flood')}"]["text"] == flood_text
    offset = len(b"".join(records[:3]))
    assert entries[f"{broken}#offset:{offset}"]["error"]["type"] == "ArchiveLoadFailed"
    assert "rest of the file is skipped" in entries[f"{broken}#offset:{offset}"]["error"]["message"]
    offset = len(b"".join(gzip.compress(r, mtime=0) for r in records[:4]))
    assert entries[f"{in_headers}#{rid('flood')}"]["text"] == flood_text
    assert entries[f"{in_headers}#offset:{offset}"]["error"]["type"] == "TruncatedFile"
    assert entries[f"{notwarc}#offset:0"]["error"]["type"] == "ArchiveLoadFailed"
    assert len(entries) == 7
    before = out.read_bytes()
    assert "7 skipped" in run_cli(str(cut), str(broken), str(in_headers), str(notwarc), "-o", str(out)).stderr
    assert out.read_bytes() == before  # a resumed run finds the same damage and adds nothing


def test_a_failing_page_is_an_error_entry_not_a_crash(tmp_path, crawl, monkeypatch):
    real = Extractor.predict

    def flaky(self, page, **options):
        if b"Market hall" in (page if isinstance(page, bytes) else page.encode()):
            raise MemoryError("page too big for this test")
        return real(self, page, **options)

    monkeypatch.setattr(Extractor, "predict", flaky)
    out = tmp_path / "out.jsonl"
    assert "(1 errors)" in run_cli(str(crawl), "-o", str(out)).stderr
    entries = read_jsonl(out)
    failed = [e for e in entries if "error" in e]
    assert [e["url"] for e in failed] == ["https://news.example/market"]
    assert failed[0]["error"] == {"type": "MemoryError", "message": "page too big for this test"}
    assert len(entries) == 5

    run_cli(str(crawl), "-o", str(out))  # resume: the error entry counts as done
    assert read_jsonl(out) == entries
    monkeypatch.setattr(Extractor, "predict", real)
    run_cli(str(crawl), "-o", str(out), "--retry-errors")
    retried = read_jsonl(out)
    assert sorted(e["id"] for e in retried) == sorted(expected_crawl(crawl))
    assert not any("error" in e for e in retried)
    assert {e["url"]: e["text"] for e in retried}["https://news.example/market"] == default_extractor().extract(PAGES["market"])


def test_directory_input_is_recursive_sorted_and_skips_the_output(tmp_path):
    site = tmp_path / "site"
    (site / "b" / "deep").mkdir(parents=True)
    (site / ".cache").mkdir()
    (site / "z.html").write_bytes(PAGES["flood"])
    (site / "a.htm").write_bytes(PAGES["market"])
    (site / "b" / "deep" / "index").write_bytes(PAGES["school"])   # no suffix: read
    (site / "b" / "notes.txt").write_text("not a page")           # other suffixes: not read from a folder
    (site / ".hidden.html").write_bytes(PAGES["flood"])
    (site / ".cache" / "x.html").write_bytes(PAGES["flood"])
    write_warc(site / "b" / "crawl.warc", crawl_records()[:3], compress=False)
    out = site / "out.jsonl"
    run_cli(str(site), "-o", str(out))
    run_cli(str(site), "-o", str(out))  # the output, now inside the folder, is not read as input
    entries = read_jsonl(out)
    assert [e["id"] for e in entries] == [str(site / "a.htm"), str(site / "z.html"),
                                          f"{site / 'b' / 'crawl.warc'}#{rid('flood')}",
                                          str(site / "b" / "deep" / "index")]
    assert entries[0]["url"] is None
    assert entries[0]["text"] == default_extractor().extract(PAGES["market"])
    assert entries[3]["text"] == default_extractor().extract(PAGES["school"])


def test_several_files_go_to_standard_output(tmp_path):
    paths = []
    for name, page in PAGES.items():
        paths.append(tmp_path / f"{name}.html")
        paths[-1].write_bytes(page)
    result = run_cli(*map(str, paths), "--quiet")
    assert result.stderr == ""
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["id"] for e in entries] == list(map(str, paths))
    assert [e["text"] for e in entries] == [default_extractor().extract(p) for p in PAGES.values()]


def test_resume_after_a_cut_off_run_redoes_nothing_and_loses_nothing(tmp_path, crawl):
    out = tmp_path / "out.jsonl"
    run_cli(str(crawl), "-o", str(out))
    full = out.read_bytes()
    lines = full.split(b"\n")[:-1]
    assert len(lines) == 5
    out.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][: len(lines[3]) // 2])  # stopped mid-line
    result = run_cli(str(crawl), "-o", str(out))
    assert "2 entries written (0 errors), 3 skipped" in result.stderr
    assert out.read_bytes() == full

    out.write_bytes(b"\n".join(lines[:4]))  # stopped between an entry and its newline
    assert "1 entries written" in run_cli(str(crawl), "-o", str(out)).stderr
    assert out.read_bytes() == full
    ids = [e["id"] for e in read_jsonl(out)]
    assert len(ids) == len(set(ids)) == 5


def test_refuses_to_append_to_a_file_that_is_not_a_batch_output(tmp_path, crawl):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\nmilk\n")
    result = CliRunner().invoke(main, ["extract", str(crawl), "-o", str(notes)])
    assert result.exit_code == 1
    assert "refusing to append" in result.output
    assert notes.read_text() == "shopping list\nmilk\n"


def test_batch_only_options_are_refused_where_they_make_no_sense(tmp_path, crawl):
    for args in (["--json"], ["--text"]):
        result = CliRunner().invoke(main, ["extract", str(crawl), *args])
        assert result.exit_code == 2 and "JSON Lines" in result.output
    result = CliRunner().invoke(main, ["extract", str(crawl), "-"], input=b"<p>x</p>")
    assert result.exit_code == 2 and "standard input" in result.output


def test_two_workers_in_a_real_process_write_what_one_writes(tmp_path, crawl):
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, page in PAGES.items():
        (pages / f"{name}.html").write_bytes(page)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_cli(str(crawl), str(pages), "-o", str(one), "--blocks")
    result = subprocess.run([sys.executable, "-m", "boilerplate.cli", "extract", str(crawl), str(pages),
                             "-o", str(two), "--blocks", "--workers", "2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "8 entries written (0 errors)" in result.stderr and "Traceback" not in result.stderr
    assert two.read_bytes() == one.read_bytes()


def die_on_school(record: Record) -> dict:
    """A pool job that kills its worker on one page, as a segfault or the OOM killer would."""
    if isinstance(record.page, bytes) and b"School gets" in record.page:
        os._exit(1)
    return batch._work(record)


def test_a_dying_worker_costs_its_record_an_error_entry(crawl):
    options = batch.Options()
    records = list(iter_records([str(crawl)]))
    entries = list(batch.extract_entries(records, options, workers=2, job=die_on_school))
    assert [e["id"] for e in entries] == [r.id for r in records]
    died = [e for e in entries if "error" in e]
    assert [(e["url"], e["error"]["type"]) for e in died] == [("https://news.example/school", "WorkerDied")]
    expected = expected_crawl(crawl)
    for entry in entries:
        if "error" not in entry:
            assert entry["text"] == default_extractor().extract(expected[entry["id"]][1])


@pytest.fixture()
def many_pages(tmp_path) -> Path:
    """Far more JSON Lines than a pipe holds (64 kB on Linux): the writer is still writing
    when the reader goes away, whatever the timing."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(150):
        (pages / f"p{i:03d}.html").write_bytes(PAGES["flood"])
    return pages


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_reader_that_stops_early_ends_the_run_quietly(many_pages, workers):
    """``boilerplate extract pages/ | head -1``: no traceback, status 141 as for SIGPIPE, workers gone."""
    process = subprocess.Popen([sys.executable, "-m", "boilerplate.cli", "extract", str(many_pages), "--blocks",
                                "--workers", workers], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = json.loads(process.stdout.readline())
    process.stdout.close()  # as head does after its one line
    _, stderr = process.communicate(timeout=120)
    assert first["id"] == str(many_pages / "p000.html") and "Paragraph 3 of the story" in first["text"]
    assert process.returncode == 141, stderr.decode()
    assert stderr == b""  # no traceback, no "Exception ignored", no summary


def test_head_minus_one_in_a_shell_pipeline(many_pages):
    bash = shutil.which("bash")
    if bash is None or shutil.which("head") is None:
        pytest.skip("needs bash and head")
    script = (f'"{sys.executable}" -m boilerplate.cli extract "{many_pages}" --quiet | head -1; '
              'echo "status ${PIPESTATUS[0]}" >&2')
    result = subprocess.run([bash, "-c", script], capture_output=True, text=True, timeout=120)
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [str(many_pages / "p000.html")]
    assert result.stderr == "status 141\n"


def hang_on_flood_die_on_school(record: Record) -> dict:
    """A pool job that pins its worker in C code on one page (a regex that never ends: no
    return to the interpreter, so nothing inside the worker could stop it) and kills its
    worker on another."""
    import re

    if isinstance(record.page, str) and "River towns" in record.page:  # text: its HTTP charset decoded it
        re.match(r"(a+)+$", "a" * 64 + "!")
    return die_on_school(record)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_record_past_the_deadline_gets_a_timeout_entry_and_its_worker_is_replaced(crawl, workers):
    import time

    records = list(iter_records([str(crawl)]))
    started = time.monotonic()
    # 5 s: far past what a page takes on a loaded machine (at 1 s, good pages timed out too on
    # one busy with training), and the pinned worker never finishes
    entries = list(batch.extract_entries(records, batch.Options(deadline=5.0), workers=workers,
                                         job=hang_on_flood_die_on_school))
    elapsed = time.monotonic() - started
    assert [e["id"] for e in entries] == [r.id for r in records]  # input order, every record once
    errors = {e["url"]: e["error"] for e in entries if "error" in e}
    assert errors.keys() == {"https://news.example/flood", "https://news.example/school"}
    assert errors["https://news.example/flood"]["type"] == "Timeout"
    assert "longer than 5 s" in errors["https://news.example/flood"]["message"]
    assert errors["https://news.example/school"]["type"] == "WorkerDied"  # a crash is still a crash
    expected = expected_crawl(crawl)
    for entry in entries:
        if "error" not in entry:  # the records in flight with the overrun one, redone by the new workers
            assert entry["text"] == default_extractor().extract(expected[entry["id"]][1])
    assert elapsed < 60, elapsed


def test_a_deadline_is_checked_and_changes_nothing_for_pages_within_it(tmp_path, crawl):
    with pytest.raises(ValueError, match="deadline"):
        batch.Options(deadline=0)
    records = list(iter_records([str(crawl)]))
    assert (list(batch.extract_entries(records, batch.Options(deadline=60.0), workers=1))
            == list(batch.extract_entries(records, batch.Options())))


def test_deadline_option_on_the_command_line(tmp_path, crawl):
    """``--deadline`` runs the batch through workers with the limit; pages within it are unchanged."""
    plain, limited = tmp_path / "plain.jsonl", tmp_path / "limited.jsonl"
    run_cli(str(crawl), "-o", str(plain), "--quiet")
    run_cli(str(crawl), "-o", str(limited), "--quiet", "--deadline", "60")
    assert limited.read_text("utf-8") == plain.read_text("utf-8")
    assert CliRunner().invoke(main, ["extract", str(crawl), "--deadline", "0"]).exit_code == 2
