"""The command line end to end, through a real subprocess where it matters."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
from click.testing import CliRunner
from synthetic import make_page

from boilerplate.cli import main
from boilerplate.extractor import load_extractor
from boilerplate.persist import save_model

EXAMPLE = resources.files("boilerplate.registry") / "examples" / "article.html"


@pytest.fixture()
def model_file(tmp_path, tiny_extractor):
    path = tmp_path / "tiny.joblib"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    return path


def test_extract_prints_the_main_text(tmp_path, model_file):
    page = make_page(2000)
    html = tmp_path / "page.html"
    html.write_bytes(page.html)
    result = CliRunner().invoke(main, ["extract", str(html), "--model", str(model_file)])
    assert result.exit_code == 0, result.output
    assert page.article.split("\n\n")[1] in result.output
    assert "All rights reserved" not in result.output


def test_extract_json_lists_blocks(tmp_path, model_file):
    html = tmp_path / "page.html"
    html.write_bytes(make_page(2001).html)
    result = CliRunner().invoke(main, ["extract", str(html), "--json", "--model", str(model_file)])
    payload = json.loads(result.output)
    assert payload["blocks"] and {"text", "proba", "label", "path", "tag"} <= set(payload["blocks"][0])
    assert payload["text"] == "\n\n".join(b["text"] for b in payload["blocks"] if b["label"])
    # The same as the library gives for the same page and model, computed here.
    library = load_extractor(model_file)
    assert payload["text"] == library.extract(html.read_bytes()) != ""
    assert [(b["text"], b["label"]) for b in payload["blocks"]] == [(b.text, b.label)
                                                                   for b in library.predict(html.read_bytes())]


def test_extract_reads_standard_input(model_file):
    page = make_page(2002)
    result = CliRunner().invoke(main, ["extract", "-", "--model", str(model_file)], input=page.html)
    assert result.exit_code == 0
    assert page.article.split("\n\n")[1] in result.output


def test_missing_file_is_one_line_and_nonzero(tmp_path):
    result = subprocess.run([sys.executable, "-m", "boilerplate.cli", "extract", str(tmp_path / "nope.html")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "nope.html" in result.stderr and "Traceback" not in result.stderr


def test_foreign_model_file_is_one_line_and_nonzero(tmp_path):
    bogus = tmp_path / "bogus.joblib"
    bogus.write_bytes(b"not a model")
    result = subprocess.run([sys.executable, "-m", "boilerplate.cli", "extract", str(EXAMPLE), "--model", str(bogus)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "manifest" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_extracts_the_example_with_the_shipped_model():
    result = subprocess.run([sys.executable, "-m", "boilerplate.cli", "extract", str(EXAMPLE)],
                            capture_output=True, text=True, check=True)
    assert "Three weeks after the river burst its banks" in result.stdout
    assert "We use cookies" not in result.stdout


def test_train_and_evaluate_on_a_real_dataset(tmp_path, data_dir, cache_dir, monkeypatch):
    """Train a small model on one public dataset through the CLI, then evaluate it (with the plots)."""
    monkeypatch.setattr("boilerplate.report.SAMPLE_ROWS", 1_000)  # a quicker permutation importance
    model = tmp_path / "readability.joblib"
    runner = CliRunner()
    trained = runner.invoke(main, ["train", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir),
                                   "--datasets", "readability", "--max-iter", "20", "-o", str(model)])
    assert trained.exit_code == 0, trained.output
    assert model.is_file() and model.with_suffix(".json").is_file()
    report = tmp_path / "report.json"
    evaluated = runner.invoke(main, ["evaluate", "--model", str(model), "--data-dir", str(data_dir),
                                     "--cache-dir", str(cache_dir), "--datasets", "readability",
                                     "--json", str(report), "--report", str(tmp_path / "plots")])
    assert evaluated.exit_code == 0, evaluated.output
    assert {p.name for p in (tmp_path / "plots").iterdir()} == {
        "text_f1.png", "precision_recall.png", "feature_importance.png", "index.html"}
    scores = json.loads(report.read_text())["results"]["boilerplate"]["readability"]
    assert scores["pages"] == 32
    assert scores["shingle"]["f1"] > 0.6


def test_unknown_dataset_is_a_clear_error(tmp_path, data_dir):
    result = CliRunner().invoke(main, ["train", "--data-dir", str(data_dir), "--datasets", "nope",
                                       "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "nope" in result.output
