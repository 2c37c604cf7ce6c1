"""boilerplate.spark on a real local Spark (``local[2]``): the same text as one process.

Needs Java and pyspark; without them the module is skipped, unless
``BOILERPLATE_REQUIRE_DATA=1`` (CI), where its tests fail instead.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import sys
import uuid
from collections import defaultdict

import pytest
from click.testing import CliRunner
from synthetic import make_page
from test_batch import PAGES, crawl_records, http_response, read_jsonl, rid, warc_record, write_warc

from boilerplate.cli import main

from boilerplate.extractor import default_extractor
from boilerplate.spark import extract_column, extract_warc_paths


def _unavailable() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        return f"pyspark/pyarrow not installed ({error}); pip install -e '.[spark]'"
    return None


_REASON = _unavailable()
if _REASON is not None and os.environ.get("BOILERPLATE_REQUIRE_DATA") != "1":
    pytest.skip(_REASON, allow_module_level=True)

PARTITIONS = 4


def _paragraphs(sentence: str, count: int) -> str:
    return "".join(f"<p>{sentence} ({i})</p>\n" for i in range(count))


def _pages() -> list[bytes | None]:
    """Twelve varied pages (and one null), written here."""
    nav = "<nav><ul>" + "".join(f"<li><a href='/{w}'>{w}</a></li>" for w in ("Home", "News", "Sport", "Contact")) + "</ul></nav>"
    footer = "<footer><p>© 2024 The Example Times. All rights reserved.</p><a href='/privacy'>Privacy</a></footer>"
    article = (f"<html><head><title>Bridge reopens</title></head><body>{nav}<article><h1>Bridge reopens after repairs</h1>"
               + _paragraphs("The old stone bridge over the river reopened on Monday after eight months of repairs, "
                             "the council said, and traffic is expected to return to normal within a week", 6)
               + f"</article><aside><h3>Related</h3><a href='/x'>Other story</a></aside>{footer}</body></html>")
    russian = ("<html><head><meta charset='windows-1251'><title>Новости</title></head><body>" + nav
               + "<div class='content'>" + _paragraphs("Городской совет сообщил, что ремонт моста через реку завершится "
                                                      "к концу лета, а движение по нему будет открыто для всех", 5)
               + "</div>" + footer + "</body></html>").encode("cp1251")
    chinese = ("<html><head><meta charset='utf-8'><title>新闻</title></head><body>" + nav + "<article>"
               + _paragraphs("市政府周一表示，这座老石桥经过八个月的维修后重新开放，交通预计将在一周内恢复正常", 5)
               + "</article>" + footer + "</body></html>").encode("utf-8")
    latin1 = ("<html><body><div id='main'>" + _paragraphs("Le conseil municipal a annoncé que les travaux du pont "
                                                         "seront achevés à la fin de l'été, déclaré hier à Montréal", 4)
              + "</div></body></html>").encode("latin-1")
    utf16 = ("<html><body><article>" + _paragraphs("A page saved as UTF-16 with its byte-order mark, which the decoder "
                                                    "has to notice before anything else", 3) + "</article></body></html>").encode("utf-16")
    garbage = bytes(random.Random(7).randrange(256) for _ in range(5000))
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    nested = "<div>" * 3000 + "<p>Deep inside many divs there is still a sentence worth keeping for the reader.</p>" + "</div>" * 3000
    only_nav = f"<html><body>{nav}{footer}</body></html>"
    return [article.encode(), russian, chinese, latin1, utf16, b"", garbage, png, nested.encode(), only_nav.encode(),
            make_page(0).html, make_page(1).html, None]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    if _REASON is not None:  # required (CI): fail these tests, not the whole collection
        pytest.fail(_REASON, pytrace=False)
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_LOCAL_IP")}
    os.environ.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    tmp = tmp_path_factory.mktemp("spark")
    session = (SparkSession.builder.master("local[2]").appName("boilerplate-test")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", str(PARTITIONS))
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2")  # several batches per partition
               .config("spark.python.worker.reuse", "true")
               .config("spark.local.dir", str(tmp / "local"))
               .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _frame(spark, pages: list, column_type: str):
    rows = [(i, page) for i, page in enumerate(pages)]
    return spark.createDataFrame(rows, f"id long, html {column_type}").repartition(PARTITIONS, "id")


def test_same_text_as_one_process_and_model_loaded_once_per_worker(spark) -> None:
    pages = _pages()
    from pyspark.sql import functions as F

    ex = default_extractor()
    df = _frame(spark, pages, "binary").withColumn("partition", F.spark_partition_id())
    rows = extract_column(df, worker_info=True).collect()

    assert sorted(r.id for r in rows) == list(range(len(pages)))
    assert len({r.partition for r in rows}) >= 2
    for row in rows:
        page = pages[row.id]
        if page is None:  # the bad record: an error, not a failed job
            assert row.text is None
            assert row.error.startswith("InputError: ")
        else:
            assert row.error is None, (row.id, row.error)
            assert row.text == ex.extract(page), row.id
            assert row.html == page
    assert any(r.text for r in rows) and any(r.text == "" for r in rows)

    # Each Python worker process loaded the model once, however many partitions and
    # Arrow batches (two rows each here) it served.
    partitions_by_pid = defaultdict(set)
    for row in rows:
        assert row.model_loads == 1, (row.worker_pid, row.model_loads)
        partitions_by_pid[row.worker_pid].add(row.partition)
    assert sum(len(p) for p in partitions_by_pid.values()) == len({r.partition for r in rows})

    # A second job, on a string column: the reused workers still hold their one model.
    decodable = [(i, p.decode("utf-8")) for i, p in enumerate(pages[:-1]) if _utf8(p)]
    rows2 = extract_column(spark.createDataFrame(decodable, "id long, html string").repartition(PARTITIONS),
                           output_col="main", error_col="problem", keep_html=False, worker_info=True).collect()
    assert len(rows2) == len(decodable) and "html" not in rows2[0].asDict()
    by_id = dict(decodable)
    for row in rows2:
        assert row.problem is None
        assert row.main == ex.extract(by_id[row.id])
        assert row.model_loads == 1
    print(f"\nworkers (pid: partitions) {dict(partitions_by_pid)}; second job pids {sorted({r.worker_pid for r in rows2})}")


def _utf8(page: bytes) -> bool:
    try:
        page.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in page.decode("utf-8")


def test_threshold_and_argument_checks(spark) -> None:
    pages = _pages()[:2]
    ex = default_extractor()
    rows = extract_column(_frame(spark, pages, "binary"), threshold=0.1).collect()
    for row in rows:
        assert row.text == ex.extract(pages[row.id], threshold=0.1)
    df = _frame(spark, pages, "binary")
    with pytest.raises(ValueError, match="no column"):
        extract_column(df, html_col="content")
    with pytest.raises(ValueError, match="clash"):
        extract_column(df, output_col="id")
    with pytest.raises(ValueError, match="not string or binary"):
        extract_column(df, html_col="id")


def _warc_record(url: str, body: bytes, content_type: str = "text/html", status: str = "200 OK") -> bytes:
    """One WARC/1.0 response record, gzipped as its own member (as crawlers write them)."""
    http = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-05-01T00:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode()
    return gzip.compress(head + http + b"\r\n\r\n")


def test_warc_paths(spark, tmp_path) -> None:
    pytest.importorskip("warcio")
    pages = [p for p in _pages() if p][:5]
    members = [_warc_record(f"https://example.org/{i}", page) for i, page in enumerate(pages)]
    members.insert(2, _warc_record("https://example.org/logo.png", b"\x89PNG\r\n", "image/png"))
    members.insert(4, _warc_record("https://example.org/gone", b"<p>Not found</p>", status="404 Not Found"))
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(members))
    # cut inside the fourth page: three whole ones, then an error
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(b"".join(members[:5]) + members[5][: len(members[5]) // 2])
    missing = tmp_path / "missing.warc.gz"

    rows = extract_warc_paths(spark, [str(path), str(missing), str(truncated)]).collect()
    ex = default_extractor()
    good = sorted((r for r in rows if r.path == str(path)), key=lambda r: r.offset)
    assert [r.url for r in good] == [f"https://example.org/{i}" for i in range(len(pages))]  # not the PNG nor the 404
    assert [r.id for r in good] == [f"{path}#urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, r.url)}" for r in good]
    for row, page in zip(good, pages):
        assert row.error is None and row.text == ex.extract(page)
    [gone] = [r for r in rows if r.path == str(missing)]
    assert gone.id == str(missing) and gone.offset is None
    assert gone.url is None and gone.text is None and gone.error.startswith("FileNotFoundError")
    cut = [r for r in rows if r.path == str(truncated)]
    assert [r.text for r in cut[:3]] == [ex.extract(p) for p in pages[:3]]
    assert len(cut) == 4 and cut[3].text is None and cut[3].error.startswith("Truncated")


def test_warc_rows_are_the_batch_entries(spark, tmp_path) -> None:
    """One implementation: for the same WARC files, Spark's rows are the entries that
    ``boilerplate extract FILES -o out.jsonl`` writes, record for record (same records
    selected, same decoding, same text, same errors)."""
    pytest.importorskip("warcio")
    records = crawl_records()
    html = PAGES["flood"]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(html[i:i + 700]), html[i:i + 700]) for i in range(0, len(html), 700))
    extra = [
        # Records the old Spark reader took and batch extraction does not: a resource record,
        # a type that merely contains "html", an untyped body that is not HTML, a non-2xx.
        warc_record("resource", "resource", "https://news.example/saved", PAGES["market"], content_type="text/html"),
        warc_record("response", "chm", "https://news.example/help.chm",
                    http_response(PAGES["school"], "application/vnd.ms-htmlhelp")),
        warc_record("response", "plain", "https://news.example/notes", http_response(b"just notes, no markup", None)),
        warc_record("response", "teapot", "https://news.example/tea",
                    http_response(PAGES["flood"], "text/html", "418 I'm a teapot")),
        # HTTP charset (windows-1251, no <meta>), chunked transfer coding, a page that fails.
        warc_record("response", "cp1251", "https://news.example/ru",
                    http_response(_pages()[1].replace(b"<meta charset='windows-1251'>", b""),
                                  "text/html; charset=windows-1251")),
        warc_record("response", "chunked", "https://news.example/chunked",
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunked + b"0\r\n\r\n"),
        warc_record("response", "empty", "https://news.example/empty", http_response(b"", "text/html")),
    ]
    crawl = write_warc(tmp_path / "crawl.warc.gz", records[:4] + extra + records[4:], compress=True)
    plain = write_warc(tmp_path / "plain.warc", records, compress=False)
    cut = write_warc(tmp_path / "cut.warc.gz", records[:3] + [records[-1][:-400]], compress=True)
    broken = write_warc(tmp_path / "broken.warc", records[:3] + [b"\x00\x01garbage\r\n\r\n"] + records[3:],
                        compress=False)
    in_headers = write_warc(tmp_path / "in-headers.warc.gz", records[:4] + [records[4][:150]], compress=True)
    notwarc = tmp_path / "notes.warc"
    notwarc.write_text("just some notes\n")
    paths = [str(p) for p in (crawl, plain, cut, broken, in_headers, notwarc)]

    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["extract", *paths, "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    entries = [(e["id"], e["url"], e.get("text"), _error(e.get("error"))) for e in read_jsonl(out)]

    rows = extract_warc_paths(spark, paths, num_partitions=3).collect()
    # Each file is read whole, in order, by one task: its rows keep their order within the partition.
    spark_rows = [(r.id, r.url, r.text, r.error) for p in paths for r in rows if r.path == p]
    assert spark_rows == entries

    # What that output is: the records selected, decoded and cut as batch extraction does.
    by_id = {row[0]: row for row in spark_rows}
    assert [row[1] for row in spark_rows if row[0].startswith(f"{crawl}#")] == [
        "https://news.example/flood", "https://news.example/ru", "https://news.example/chunked",
        "https://news.example/empty", "https://news.example/cafe", "https://news.example/garbage",
        "https://news.example/market", "https://news.example/school"]
    ex = default_extractor()
    assert by_id[f"{crawl}#{rid('chunked')}"][2] == by_id[f"{crawl}#{rid('flood')}"][2] == ex.extract(PAGES["flood"])
    assert "Городской совет" in by_id[f"{crawl}#{rid('cp1251')}"][2]
    assert "Crème brûlée sold out" in by_id[f"{crawl}#{rid('latin1')}"][2]
    assert by_id[f"{crawl}#{rid('empty')}"][2] == ""
    assert [row[2] for row in spark_rows if row[0].startswith(f"{plain}#")] == [
        row[2] for row in spark_rows if row[0].startswith(f"{crawl}#") and row[0].rsplit("#", 1)[1] in
        {rid(n) for n in ("flood", "latin1", "garbage", "untyped", "xhtml")}]
    assert by_id[f"{cut}#{rid('xhtml')}"][3].startswith("TruncatedRecord: ")
    offset = len(b"".join(records[:3]))
    assert by_id[f"{broken}#offset:{offset}"][3].startswith("ArchiveLoadFailed: unreadable WARC record")
    offset = len(b"".join(gzip.compress(r, mtime=0) for r in records[:4]))
    assert by_id[f"{in_headers}#offset:{offset}"][3].startswith("TruncatedFile: ")
    assert by_id[f"{notwarc}#offset:0"][3].startswith("ArchiveLoadFailed: ")
    offsets = {r.id: r.offset for r in rows}
    assert offsets[f"{in_headers}#offset:{offset}"] == offset
    crawl_offsets = [r.offset for r in rows if r.path == str(crawl)]
    assert crawl_offsets == sorted(crawl_offsets) and len(set(crawl_offsets)) == len(crawl_offsets)


def _error(error: dict | None) -> str | None:
    return None if error is None else f"{error['type']}: {error['message']}"
