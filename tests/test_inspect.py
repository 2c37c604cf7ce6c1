"""The inspect report: rows, drivers, escaping, gold marking, the CLI, and real-browser screenshots."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from synthetic import make_page

from boilerplate.cli import main
from boilerplate.decode import decode
from boilerplate.features import FEATURE_NAMES, page_features
from boilerplate.inspect_page import feature_drivers, inspect_page, proba_colour
from boilerplate.blocks import split_blocks
from boilerplate.parse import parse
from boilerplate.persist import save_model

HOSTILE = '<p>Tricky &lt;script&gt;alert("x")&lt;/script&gt; &amp; <b>bold</b> text with a few words.</p>'


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """OpenMP threads in the model's predict cost 10-20x on a shared, oversubscribed machine; one is plenty here."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


class CountingClassifier:
    """Wraps a classifier and records the shape of every matrix it scores."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.shapes: list[tuple[int, int]] = []

    def content_proba(self, X):
        self.shapes.append(np.shape(X))
        return self.inner.content_proba(X)


def _page(seed: int = 3000):
    page = make_page(seed)
    return page, page.html.replace(b"<h1>", HOSTILE.encode() + b"<h1>")


def _matrix(html: bytes) -> np.ndarray:
    document = parse(decode(html))
    return page_features(document, split_blocks(document))


def test_rows_follow_the_page_and_the_threshold(tiny_extractor):
    page, html = _page()
    result = inspect_page(html, tiny_extractor, model_name="tiny.joblib")
    assert [r.index for r in result.rows] == list(range(len(result.rows)))
    assert [r.kept for r in result.rows] == [b.label for b in tiny_extractor.predict(html)]
    assert 0 < result.kept < len(result.rows)
    assert result.title.startswith(page.article.split("\n\n")[0])
    assert "tiny.joblib" in result.html and f"<dd>{len(result.rows)}</dd>" in result.html
    assert all(r.gold is None and not r.disagrees for r in result.rows)
    # self-contained: inline CSS only, nothing fetched, nothing run
    assert "<style>" in result.html and not re.search(r"<script|<link|<img|\ssrc=|url\(", result.html)


def test_page_text_is_escaped(tiny_extractor):
    _, html = _page()
    result = inspect_page(html, tiny_extractor)
    assert "<script" not in result.html and "<b>bold" not in result.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; bold" in result.html
    hostile_title = make_page(3001).html.replace(b"<title>", b"<title>&lt;img src=x onerror=1&gt; ")
    assert "<img" not in inspect_page(hostile_title, tiny_extractor).html


def test_colours_run_from_red_to_green(tiny_extractor):
    assert proba_colour(0.0) == "hsl(0, 70%, 42%)"
    assert proba_colour(1.0) == "hsl(120, 70%, 42%)"
    assert proba_colour(0.5) == "hsl(60, 70%, 42%)"
    assert proba_colour(7.0) == proba_colour(1.0) and proba_colour(-1.0) == proba_colour(0.0)
    result = inspect_page(_page()[1], tiny_extractor)
    for row in result.rows:
        badge = f'style="background:{proba_colour(row.proba)}">{row.proba:.2f}<small>'
        assert badge in result.html


def test_drivers_are_the_largest_finite_median_swaps(tiny_extractor):
    _, html = _page()
    result = inspect_page(html, tiny_extractor)
    article = [r for r in result.rows if r.kept]
    assert article and all(r.drivers for r in article)
    X = _matrix(html)
    median = np.median(X, axis=0)
    for row in result.rows:
        deltas = [d.delta for d in row.drivers]
        assert len(deltas) <= 5 and all(np.isfinite(deltas)) and all(d != 0 for d in deltas)
        assert [abs(d) for d in deltas] == sorted((abs(d) for d in deltas), reverse=True)
        for d in row.drivers:
            j = FEATURE_NAMES.index(d.feature)
            assert d.value == pytest.approx(X[row.index, j]) and d.median == pytest.approx(median[j])
            swapped = X[row.index:row.index + 1].copy()
            swapped[0, j] = median[j]
            expected = row.first_proba - tiny_extractor.classifier.content_proba(swapped)[0]
            assert d.delta == pytest.approx(expected, abs=1e-9)
    assert re.search(r"Δp [+-]0\.\d{3}", result.html)


def test_perturbations_go_through_one_call_within_the_cap(tiny_extractor):
    X = _matrix(_page()[1])
    spy = CountingClassifier(tiny_extractor.classifier)
    proba = spy.content_proba(X)
    spy.shapes.clear()
    _, perturbed = feature_drivers(spy, X, proba)
    assert len(spy.shapes) == 1 and spy.shapes[0][1] == X.shape[1]
    assert 0 < perturbed <= X.shape[1]
    spy.shapes.clear()
    drivers, capped = feature_drivers(spy, X, proba, max_rows=3 * len(X))
    assert len(spy.shapes) == 1 and spy.shapes[0][0] <= 3 * len(X)
    assert 0 < capped < perturbed and len(drivers) == len(X)


def test_gold_disagreements_are_marked(tiny_extractor):
    page = make_page(3000)
    html = page.html
    paragraphs = page.article.split("\n\n")
    # the cookie notice called content (the model drops it), the last paragraph left out (the model keeps it)
    gold = "\n\n".join(["We use cookies to improve your experience. Privacy policy"] + paragraphs[:-1])
    result = inspect_page(html, tiny_extractor, gold=gold)
    cookie = result.rows[0]
    last = next(r for r in result.rows if r.text == paragraphs[-1])
    assert cookie.gold and not cookie.kept and cookie.disagrees
    assert last.kept and last.gold is False and last.disagrees
    assert sum(r.disagrees for r in result.rows) == 2
    assert result.html.count('class="block bad"') == 2
    assert "✗ dropped, gold says content" in result.html and "✗ kept, gold says boilerplate" in result.html
    agreeing = inspect_page(html, tiny_extractor, gold=page.article)
    assert not any(r.disagrees for r in agreeing.rows) and "block bad" not in agreeing.html


def test_an_empty_page_gives_a_report_without_blocks(tiny_extractor):
    result = inspect_page(b"", tiny_extractor)
    assert result.rows == () and "no text blocks" in result.html


def test_cli_writes_the_report(tmp_path, tiny_extractor):
    model = tmp_path / "tiny.joblib"
    manifest = save_model(tiny_extractor.classifier, model, threshold=0.5, target="article")
    page = make_page(3000)
    (tmp_path / "page.html").write_bytes(page.html)
    (tmp_path / "gold.txt").write_text(page.article, "utf-8")
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "page.html"), "-o", str(out), "--model", str(model),
                                       "--gold", str(tmp_path / "gold.txt")])
    assert result.exit_code == 0, result.output
    assert "0 disagree with the gold" in result.output
    text = out.read_text("utf-8")
    assert manifest["sha256"][:12] in text and "tiny.joblib" in text and "gold: content" in text


# --- in a real browser --------------------------------------------------------------------------------

WIDTH, HEIGHT = 1200, 1600


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("BOILERPLATE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def screenshot(chromium: str, page: Path, tmp_path: Path) -> np.ndarray:
    """A headless Chromium screenshot of a local file, decoded to an RGB(A) float array."""
    from matplotlib.image import imread

    png = tmp_path / f"{page.stem}.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--screenshot={png}",
                    f"--window-size={WIDTH},{HEIGHT}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert png.is_file()
    image = imread(png)
    assert image.shape[:2] == (HEIGHT, WIDTH)
    rgb = image[..., :3]
    packed = (rgb * 255).astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
    assert len(np.unique(packed)) > 50, "blank screenshot"
    return rgb


def _share(rgb: np.ndarray, channel: int) -> float:
    """Fraction of pixels where one channel dominates the other two clearly."""
    others = [c for c in range(3) if c != channel]
    mask = (rgb[..., channel] - rgb[..., others[0]] > 0.3) & (rgb[..., channel] - rgb[..., others[1]] > 0.3)
    return float(mask.mean())


def _near(rgb: np.ndarray, colour: str) -> float:
    """Fraction of pixels within a small distance of a colour like ``#1f77b4``."""
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return float((np.abs(rgb - target).max(axis=-1) < 0.03).mean())


def test_inspect_report_in_a_browser(tmp_path, chromium, tiny_extractor):
    page, html = _page()
    report = tmp_path / "inspect.html"
    report.write_text(inspect_page(html, tiny_extractor, gold=page.article).html, "utf-8")
    rgb = screenshot(chromium, report, tmp_path)
    assert _share(rgb, 0) > 0.002, "no red (dropped) blocks visible"
    assert _share(rgb, 1) > 0.002, "no green (kept) blocks visible"


def test_evaluate_report_in_a_browser(tmp_path, chromium, tiny_extractor):
    from test_plots import fake_report

    from boilerplate.plots import write_report

    written = write_report(fake_report(tiny_extractor), tmp_path / "report", classifier=tiny_extractor.classifier)
    rgb = screenshot(chromium, written[-1], tmp_path)
    # matplotlib's first two colours: our bars and the peer's, so the images loaded
    assert _near(rgb, "#1f77b4") > 0.01 and _near(rgb, "#ff7f0e") > 0.01, "the plots did not load"
