"""Bad training inputs: named in a report (file and reason), skipped or fatal by a flag, never a traceback."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from synthetic import make_page

from boilerplate.cli import main
from boilerplate.corpora import GoldPage, SkippedPage, read_dragnet, read_wcxb

N_GOOD = 24


def _corrupt_gzip(data: bytes) -> bytes:
    packed = bytearray(gzip.compress(data, mtime=0))
    packed[12:40] = b"\xff" * 28  # a valid header over a broken deflate stream: zlib.error
    return bytes(packed)


BAD = {
    # file id: (ground-truth bytes or None for a good one, html.gz bytes or None for a good one, words in the reason)
    "bad-gzip": (None, "corrupt", "cannot decompress"),
    "truncated-gzip": (None, "truncated", "cannot decompress"),
    "latin1-json": (b'{"ground_truth": {"main_content": "caf\xe9 au lait"}}', None, "cannot parse"),
    "list-json": (b'[1, 2, 3]', None, "not an object"),
    "list-content": (b'{"ground_truth": {"main_content": ["a", "b"]}}', None, "not text"),
    "broken-json": (b'{"ground_truth": ', None, "cannot parse"),
}
MISMATCH = "gold-elsewhere"  # gold text that is not on its page: left out after alignment


@pytest.fixture(scope="module")
def wcxb_dir(tmp_path_factory) -> Path:
    """A WCXB-format folder: good synthetic pages, files broken in each way above, one mismatched gold."""
    root = tmp_path_factory.mktemp("wcxb-bad")
    base = root / "wcxb-dev"
    (base / "dev" / "ground-truth").mkdir(parents=True)
    (base / "dev" / "html").mkdir(parents=True)
    files = {}

    def add(file_id: str, truth: bytes, html_gz: bytes, domain: str) -> None:
        (base / "dev" / "ground-truth" / f"{file_id}.json").write_bytes(truth)
        (base / "dev" / "html" / f"{file_id}.html.gz").write_bytes(html_gz)
        files[file_id] = {"split": "dev", "domain": domain, "page_type": "article"}

    for i in range(N_GOOD):
        page = make_page(5000 + i)
        truth = json.dumps({"ground_truth": {"main_content": page.article}, "url": f"https://s{i % 8}.example/{i}"})
        add(f"good-{i:02d}", truth.encode(), gzip.compress(page.html, mtime=0), f"s{i % 8}.example")
    html = make_page(6000).html
    for file_id, (truth, html_state, _) in BAD.items():
        good_truth = json.dumps({"ground_truth": {"main_content": make_page(6000).article}}).encode()
        packed = gzip.compress(html, mtime=0)
        if html_state == "corrupt":
            packed = _corrupt_gzip(html)
        elif html_state == "truncated":
            packed = packed[: len(packed) // 2]
        add(file_id, truth or good_truth, packed, "bad.example")
    elsewhere = json.dumps({"ground_truth": {"main_content": make_page(7001).article}}).encode()
    add(MISMATCH, elsewhere, gzip.compress(make_page(7000).html, mtime=0), "bad.example")
    (base / "metadata.json").write_text(json.dumps({"files": files}))
    return root


def test_reader_names_every_unreadable_file_and_keeps_going(wcxb_dir):
    records = list(read_wcxb(wcxb_dir))
    good = [r for r in records if isinstance(r, GoldPage)]
    bad = {r.page_id: r for r in records if isinstance(r, SkippedPage)}
    assert len(good) == N_GOOD + 1  # the mismatched gold reads fine; alignment leaves it out later
    assert set(bad) == set(BAD)
    for file_id, (_, _, words) in BAD.items():
        skipped = bad[file_id]
        assert skipped.error and words in skipped.reason, skipped
        assert any(file_id in f for f in skipped.files)
    assert all(len(page.files) == 2 and Path(page.files[0]).is_file() for page in good)


def test_unreadable_gold_file_is_skipped_with_its_name(tmp_path):
    base = tmp_path / "dragnet_data"
    (base / "input").mkdir(parents=True)
    (base / "GoldStandard" / "R2.txt").mkdir(parents=True)  # a folder where the gold file should be
    (base / "GoldStandard" / "R1.txt").write_text("The gold text of the first page.")
    for stem in ("R1", "R2"):
        (base / "input" / f"{stem}.html").write_text("<p>The gold text of the first page.</p>")
    records = list(read_dragnet(tmp_path))
    assert isinstance(records[0], GoldPage)
    assert isinstance(records[1], SkippedPage) and records[1].error
    assert "R2.txt" in records[1].reason and records[1].files[1].endswith("R2.txt")


def _train(wcxb_dir: Path, tmp_path: Path, *extra: str):
    return CliRunner().invoke(main, ["train", "--data-dir", str(wcxb_dir), "--cache-dir", str(tmp_path / "cache"),
                                     "--datasets", "wcxb", "--max-iter", "10", "--no-context",
                                     "-o", str(tmp_path / "m.joblib"), *extra])


def test_train_skips_bad_pages_and_lists_them(wcxb_dir, tmp_path):
    report = tmp_path / "left-out.tsv"
    result = _train(wcxb_dir, tmp_path, "--on-error", "skip", "--left-out", str(report))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.joblib").is_file()
    assert "Traceback" not in result.output
    for file_id in [*BAD, MISMATCH]:
        assert f"wcxb {file_id} (" in result.output, file_id
    assert "gold text not in page" in result.output
    rows = [line.split("\t") for line in report.read_text().splitlines()[1:]]
    listed = {row[1]: row for row in rows}
    assert set(listed) == {*BAD, MISMATCH}
    assert all(row[2] == "yes" and row[3] and row[4] for row in rows)
    assert ".html.gz" in listed[MISMATCH][3]


def test_train_fails_on_the_first_bad_page_when_asked(wcxb_dir, tmp_path):
    result = _train(wcxb_dir, tmp_path, "--on-error", "fail")
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "cannot be used" in last
    assert "bad-gzip" in result.output and "--on-error skip" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m.joblib").exists()


def test_a_corrupt_dataset_through_the_real_console_is_one_line(wcxb_dir, tmp_path):
    """The installed command, in a real process: one error line, status 1, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "boilerplate.cli", "train", "--data-dir", str(wcxb_dir), "--cache-dir",
         str(tmp_path / "cache"), "--datasets", "wcxb", "--no-context", "--on-error", "fail", "-o", str(tmp_path / "m.joblib")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
