"""The evaluation report's plots and index page, from a small hand-made Report (and a real one)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score
from synthetic import make_page

from boilerplate.cli import main
from boilerplate.evaluate import DatasetScore
from boilerplate.metrics import PRF
from boilerplate.persist import save_model
from boilerplate.plots import markdown_html, permutation_importance, roc_auc, write_report
from boilerplate.report import SAMPLE_ROWS, Report, block_outcomes
from boilerplate.trainset import build_rows

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """OpenMP threads in the model's predict cost 10-20x on a shared, oversubscribed machine; one is plenty here."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _score(f1: float, pages: int = 10, by_type=None) -> DatasetScore:
    return DatasetScore(pages=pages, shingle=PRF(f1, f1, f1), word_f1=f1 - 0.01, by_type=by_type or {})


def fake_report(extractor) -> Report:
    """Two systems on two datasets (one with WCXB page types), with block outcomes of synthetic pages."""
    types = {"article": (6, 0.9, 0.91), "forum": (4, 0.7, 0.72)}
    results = {
        "trafilatura": {"cleaneval": _score(0.84), "wcxb": _score(0.85, by_type=types), "mean": _score(0.845)},
        "boilerplate": {"cleaneval": _score(0.92), "wcxb": _score(0.87, by_type={"article": (6, 0.93, 0.94),
                                                                                 "forum": (4, 0.8, 0.81)}),
                        "mean": _score(0.895)},
    }
    rows, _ = build_rows([make_page(seed) for seed in range(500, 506)])
    return Report(target="article", results=results, blocks={"cleaneval": PRF(0.9, 0.8, 0.85)},
                  projection={}, skipped=[], speed={"boilerplate": 40.0},
                  outcomes=block_outcomes(extractor, rows, target="article"))


def test_all_plots_and_the_index_are_written(tmp_path, tiny_extractor):
    written = write_report(fake_report(tiny_extractor), tmp_path / "r", classifier=tiny_extractor.classifier)
    names = [p.name for p in written]
    assert names == ["text_f1.png", "wcxb_types.png", "precision_recall.png", "feature_importance.png", "index.html"]
    for path in written[:-1]:
        assert path.read_bytes().startswith(PNG) and path.stat().st_size > 5_000
    index = written[-1].read_text("utf-8")
    for name in names[:-1]:
        assert f'<img src="{name}"' in index
    assert "<table>" in index and "<th>boilerplate F1</th>" in index and "<td>0.920</td>" in index
    assert "|---" not in index and not list((tmp_path / "r").glob(".*.tmp"))


def test_plots_without_data_are_left_out(tmp_path, tiny_extractor):
    report = fake_report(tiny_extractor)
    report.results = {s: {d: v for d, v in r.items() if d != "wcxb"} for s, r in report.results.items()}
    report.outcomes = block_outcomes(tiny_extractor, [], target="article")
    assert len(report.outcomes.proba) == len(report.outcomes.sample_X) == 0
    written = write_report(report, tmp_path, classifier=tiny_extractor.classifier)
    assert [p.name for p in written] == ["text_f1.png", "index.html"]
    assert "wcxb_types.png" not in written[-1].read_text("utf-8")


def test_block_outcomes_keep_every_block_and_a_seeded_sample(tiny_extractor):
    rows, _ = build_rows([make_page(seed) for seed in range(600, 604)])
    outcomes = block_outcomes(tiny_extractor, rows, target="article")
    total = sum(len(r.X) for r in rows)
    assert len(outcomes.proba) == len(outcomes.labels) == total < SAMPLE_ROWS
    assert np.allclose(outcomes.proba, np.concatenate([tiny_extractor.proba(r.X, r.paths) for r in rows]))
    assert outcomes.labels.sum() == sum(r.y_article.sum() for r in rows)
    # below the cap the sample is every row, in order
    assert np.array_equal(outcomes.sample_X, np.concatenate([r.X for r in rows]))
    assert np.array_equal(outcomes.sample_labels, outcomes.labels)
    assert outcomes.threshold == tiny_extractor.threshold


def test_block_outcomes_sample_is_seeded_and_keeps_rows_with_their_labels(tiny_extractor, monkeypatch):
    rows, _ = build_rows([make_page(seed) for seed in range(600, 604)])
    monkeypatch.setattr("boilerplate.report.SAMPLE_ROWS", 30)
    first, again = (block_outcomes(tiny_extractor, rows, target="article") for _ in range(2))
    assert first.sample_X.shape == (30, rows[0].X.shape[1]) and len(first.sample_labels) == 30
    assert np.array_equal(first.sample_X, again.sample_X)
    everything = np.concatenate([r.X for r in rows])
    for x, label in zip(first.sample_X, first.sample_labels):
        matches = np.flatnonzero((everything == x).all(axis=1))
        assert matches.size and label in first.labels[matches]


def test_permutation_importance_finds_the_informative_column():
    class OneColumn:
        def content_proba(self, X):
            return 1 / (1 + np.exp(-5 * (X[:, 1] - 0.5)))

    rng = np.random.default_rng(0)
    X = rng.random((400, 4)).astype(np.float32)
    X[:, 3] = 1.0
    y = X[:, 1] > 0.5
    importance = permutation_importance(OneColumn(), X, y)
    assert importance.baseline == pytest.approx(1.0)
    assert roc_auc(y, X[:, 0]) == pytest.approx(roc_auc_score(y, X[:, 0]))
    assert roc_auc(y, np.round(X[:, 1], 1)) == pytest.approx(roc_auc_score(y, np.round(X[:, 1], 1)))
    assert int(np.argmax(importance.mean)) == 1 and importance.mean[1] > 0.3
    assert np.allclose(importance.mean[[0, 2, 3]], 0.0)
    assert permutation_importance(OneColumn(), X, np.ones(400, bool)) is None


def test_markdown_tables_become_html_tables():
    text = "Scores <b>:\n\n| dataset | F1 |\n|---|---|\n| a&b | 0.5 |\n\nafter"
    out = markdown_html(text)
    assert out.startswith("<p>Scores &lt;b&gt;:</p>")
    assert "<th>dataset</th><th>F1</th>" in out and "<td>a&amp;b</td><td>0.5</td>" in out
    assert out.count("<tr>") == 2 and out.endswith("<p>after</p>")


def test_evaluate_report_needs_matplotlib_message(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    result = CliRunner().invoke(main, ["evaluate", "--datasets", "readability", "--report", str(tmp_path)])
    assert result.exit_code == 1
    assert "pip install 'boilerplate[report]'" in result.output and len(result.output.strip().splitlines()) == 1


def test_evaluate_writes_the_report_folder(tmp_path, tiny_extractor, monkeypatch):
    """The CLI wiring; the real evaluation with ``--report`` is in test_cli's data test."""
    model = tmp_path / "tiny.joblib"
    save_model(tiny_extractor.classifier, model, threshold=0.5, target="article")
    monkeypatch.setattr("boilerplate.report.evaluate_model", lambda **kwargs: fake_report(tiny_extractor))
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", "--model", str(model), "--datasets", "readability",
                                       "--report", str(out), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert f"wrote 5 files into {out}" in result.output
    assert {p.name for p in out.iterdir()} == {"text_f1.png", "wcxb_types.png", "precision_recall.png",
                                               "feature_importance.png", "index.html"}
    assert "outcomes" not in json.loads((tmp_path / "r.json").read_text())
