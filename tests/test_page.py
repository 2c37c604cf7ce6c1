"""Page-level models: the page summary, chrome-only pages, the JSON model files, fitting,
and what the shipped page-confidence model says of pages with and without main content."""

from __future__ import annotations

import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from synthetic import make_page

from boilerplate.blocks import split_blocks
from boilerplate.decode import decode
from boilerplate.errors import ModelError
from boilerplate.context import CONTEXT_NAMES, context_features
from boilerplate.features import FEATURE_NAMES, page_features
from boilerplate.page import (
    CONFIDENCE_NAMES, PAGE_SUMMARY_NAMES, PAGE_TYPES, PageModel, _standardise, chrome_only, cross_fitted_type_proba,
    fit_model, fit_page_confidence, fit_page_type, load_page_models, page_models_json, page_summary, subset_features,
    threshold_for, type_columns,
)
from boilerplate.parse import parse
from boilerplate.trainset import build_rows

REPO = Path(__file__).resolve().parents[1]


def col(name: str) -> int:
    return PAGE_SUMMARY_NAMES.index(name)


@pytest.fixture(scope="module")
def rows():
    rows, skipped = build_rows([make_page(seed) for seed in range(30)])
    assert not skipped
    return rows


# --- the summary --------------------------------------------------------------------------


def test_summary_names_shape_and_empty_page(rows):
    assert len(set(PAGE_SUMMARY_NAMES)) == len(PAGE_SUMMARY_NAMES) and 20 <= len(PAGE_SUMMARY_NAMES) <= 60
    assert set(CONFIDENCE_NAMES) < set(PAGE_SUMMARY_NAMES)
    r = rows[0]
    s = page_summary(r.X, np.full(len(r.X), 0.5))
    assert s.shape == (len(PAGE_SUMMARY_NAMES),) and np.isfinite(s).all()
    assert (page_summary(np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0)) == 0).all()
    with pytest.raises(ValueError):
        page_summary(r.X, np.zeros(len(r.X) + 1))
    with pytest.raises(ValueError):
        page_summary(r.X[:, :10], np.zeros(len(r.X)))


def test_summary_values_follow_the_first_pass(rows):
    r = rows[0]
    gold = r.y_article.astype(float)
    words = np.array([len(re.findall(r"\w+", t)) for t in r.texts], dtype=float)
    s = page_summary(r.X, gold)
    assert s[col("log_blocks")] == pytest.approx(math.log1p(len(r.texts)))
    assert s[col("log_words")] == pytest.approx(math.log1p(words.sum()), rel=1e-4)
    assert s[col("p_max")] == 1.0 and s[col("probable_block_share")] == pytest.approx(gold.mean())
    assert s[col("probable_word_share")] == pytest.approx(words[r.y_article].sum() / words.sum(), rel=1e-4)
    runs, run = [], 0.0
    for w, g in zip(words, r.y_article):          # the headline is cut from the body by the share bar
        run = run + w if g else 0.0
        runs.append(run)
    assert 0 < max(runs) < words[r.y_article].sum()
    assert s[col("log_longest_run")] == pytest.approx(math.log1p(max(runs)), rel=1e-4)
    nothing = page_summary(r.X, np.zeros(len(r.X)))
    assert nothing[col("p_max")] == 0 and nothing[col("log_longest_run")] == 0 and nothing[col("log_p_words")] == 0
    assert s[col("og_article")] == 0 and s[col("kw_chrome")] > 0       # cookie notice, share bar, footer


def test_longest_run_is_consecutive_blocks_only(rows):
    r = rows[0]
    p = np.zeros(len(r.X))
    p[[0, 2, 4]] = 0.9                                                     # three blocks, never adjacent
    words = np.array([len(re.findall(r"\w+", t)) for t in r.texts], dtype=float)
    s = page_summary(r.X, p)
    assert s[col("log_longest_run")] == pytest.approx(math.log1p(words[[0, 2, 4]].max()), rel=1e-4)
    assert s[col("log_probable_runs")] == pytest.approx(math.log1p(3))
    assert s[col("run_concentration")] == pytest.approx(words[[0, 2, 4]].max() / words[[0, 2, 4]].sum(), rel=1e-4)
    assert s[col("log_largest_probable_block")] == pytest.approx(math.log1p(words[[0, 2, 4]].max()), rel=1e-4)
    p[1] = 0.9                                                              # 0-1-2 is now one run
    assert page_summary(r.X, p)[col("log_probable_runs")] == pytest.approx(math.log1p(2))


# --- chrome-only pages --------------------------------------------------------------------


def test_subset_features_of_the_whole_page_is_the_page(rows):
    for r in rows[:5]:
        Y = subset_features(r.X, np.ones(len(r.X), bool), r.texts, r.paths)
        np.testing.assert_allclose(Y, r.X, atol=1e-5)


def test_chrome_only_equals_featurising_the_chrome_blocks_alone(rows):
    page = make_page(3)
    document = parse(decode(page.html))
    blocks = split_blocks(document)
    r = next(r for r in rows if r.page_id == page.page_id)
    assert [b.text for b in blocks] == list(r.texts)
    keep = ~r.y_article
    expected = page_features(document, [b for b, k in zip(blocks, keep) if k])
    np.testing.assert_allclose(chrome_only(r), expected, atol=1e-5)
    two = dict(X=r.X[:2], texts=r.texts[:2], paths=r.paths[:2])
    assert chrome_only(SimpleNamespace(y_article=np.array([True, False]), y_comments=np.zeros(2, bool), **two)) is None
    # comments are not chrome: they go with the content
    assert chrome_only(SimpleNamespace(y_article=np.array([False, False]), y_comments=np.array([True, False]),
                                       **two)) is None


# --- the model files ----------------------------------------------------------------------


def _toy(kind: str = "confidence", classes=("no_content", "content"), d: int = 3, seed: int = 0) -> PageModel:
    rng = np.random.default_rng(seed)
    k = 1 if len(classes) == 2 else len(classes)
    return PageModel(kind=kind, classes=tuple(classes), names=tuple(CONFIDENCE_NAMES[:d]), mean=rng.normal(size=d),
                     scale=rng.uniform(0.5, 2, size=d), coef=rng.normal(size=(k, d)), intercept=rng.normal(size=k),
                     threshold=0.3 if kind == "confidence" else None)


@pytest.mark.parametrize("kind,classes", [("confidence", ("no_content", "content")), ("page_type", PAGE_TYPES)])
def test_json_round_trip_predicts_the_same(kind, classes):
    model = _toy(kind, classes)
    again = PageModel.from_json(model.to_json())
    S = np.random.default_rng(1).normal(size=(20, len(PAGE_SUMMARY_NAMES)))
    np.testing.assert_array_equal(again.predict_proba(S), model.predict_proba(S))
    assert again.threshold == model.threshold and again.names == model.names
    both = load_page_models(page_models_json(model if kind == "page_type" else None,
                                             model if kind == "confidence" else None))
    np.testing.assert_array_equal(both[kind].predict_proba(S), model.predict_proba(S))
    assert model.predict_proba(S[0]).shape == (len(classes),)
    assert np.allclose(model.predict_proba(S).sum(axis=1), 1.0)


def _damage(change) -> dict:
    data = json.loads(_toy().to_json())
    change(data)
    return data


@pytest.mark.parametrize("change", [
    lambda d: d.update(version=99),
    lambda d: d.update(format="boilerplate-model"),
    lambda d: d.update(kind="pickle"),
    lambda d: d.update(names=["log_words", "no_such_column", "p_max"]),
    lambda d: d.update(names=["log_words", "log_words", "p_max"]),
    lambda d: d.update(coef=[[1.0, 2.0]]),
    lambda d: d.update(coef=[1.0, 2.0, 3.0]),
    lambda d: d.update(intercept=[0.0, 1.0]),
    lambda d: d.update(scale=[1.0, 0.0, 1.0]),
    lambda d: d.update(mean=[1.0, float("nan"), 1.0]),
    lambda d: d.update(mean="1,2,3"),
    lambda d: d.update(threshold=None),
    lambda d: d.update(threshold=1.5),
    lambda d: d.update(classes=["content", "no_content"]),
    lambda d: d.update(kind="page_type", classes=["article", "blog"], threshold=None),
    lambda d: d.pop("coef"),
])
def test_damaged_models_are_refused(change):
    with pytest.raises(ModelError):
        PageModel.from_json(json.dumps(_damage(change)))


def test_unreadable_files_are_refused():
    for text in ("not json", "[1, 2]", json.dumps({"format": "boilerplate-page-models", "version": 0})):
        with pytest.raises(ModelError):
            load_page_models(text)
    with pytest.raises(ModelError):
        PageModel.from_json(b"\x80\x81")
    with pytest.raises(ModelError):  # a model in the wrong slot
        load_page_models(page_models_json(None, _toy()).replace('"confidence"', '"page_type"', 1))


# --- fitting ------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 4])
def test_prediction_equals_scikit_learn(n_classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(n_classes)
    S = rng.normal(size=(200, len(PAGE_SUMMARY_NAMES))) * rng.uniform(0.1, 10, size=len(PAGE_SUMMARY_NAMES))
    y = np.array(PAGE_TYPES[:n_classes])[(S[:, 0] > 0).astype(int) + (S[:, 1] > 0) * (n_classes > 2) * 2]
    kind = "page_type"
    model = fit_model(kind, S, y, 0.5, PAGE_SUMMARY_NAMES)
    mean, scale = _standardise(S)
    reference = LogisticRegression(C=0.5, max_iter=2000).fit((S - mean) / scale, y)
    assert model.classes == tuple(reference.classes_)
    np.testing.assert_allclose(model.predict_proba(S), reference.predict_proba((S - mean) / scale), atol=1e-10)
    assert list(model.predict(S)) == list(reference.predict((S - mean) / scale))


def test_fit_page_confidence_on_synthetic_pages(rows, tiny_extractor):
    score = tiny_extractor.classifier.content_proba
    first = [score(r.X) for r in rows]
    negatives = [None if chrome_only(r) is None else score(chrome_only(r)) for r in rows]
    model = fit_page_confidence(rows, first, negatives, folds=3, Cs=(0.1, 1.0))
    assert model.kind == "confidence" and model.names == CONFIDENCE_NAMES and 0 <= model.threshold <= 1
    real = np.array([model.confidence(page_summary(r.X, p)) for r, p in zip(rows, first)])
    fake = np.array([model.confidence(page_summary(chrome_only(r), q)) for r, q in zip(rows, negatives)])
    assert (real >= model.threshold).all() and (fake < model.threshold).all()
    assert model.info["cv_real_emptied"] <= 0.05 and model.info["cv_chrome_emptied"] >= 0.9
    with pytest.raises(ValueError):
        fit_page_confidence(rows, first, [None] * len(rows), folds=3)


def test_fit_page_type_on_synthetic_pages(rows, tiny_extractor):
    """Three made-up page types: the whole page, its chrome alone, its article alone."""
    score = tiny_extractor.classifier.content_proba
    typed, first = [], []
    for r in rows:
        for page_type, keep in (("article", np.ones(len(r.X), bool)), ("listing", ~r.y_article), ("forum", r.y_article)):
            X = subset_features(r.X, keep, r.texts, r.paths)
            typed.append(SimpleNamespace(dataset="synthetic", page_id=r.page_id, group=f"site{r.page_id}",
                                         page_type=page_type, X=X))
            first.append(score(X))
    typed.append(SimpleNamespace(dataset="other", page_id="x", group="x", page_type=None, X=rows[0].X))
    first.append(score(rows[0].X))
    model = fit_page_type(typed, first, folds=3, Cs=(0.3,))
    assert model.kind == "page_type" and set(model.classes) == {"article", "listing", "forum"}
    assert model.info["pages"] == 3 * len(rows) and model.info["cv_accuracy"] >= 0.9
    # as the context pass would read it: out of fold for the typed pages, the model's own for the others
    crossed = cross_fitted_type_proba(typed, first, model, folds=3,
                                      fit=lambda r, p: fit_page_type(r, p, folds=3, Cs=(0.3,)))
    assert len(crossed) == len(typed) and np.allclose([c.sum() for c in crossed], 1.0)
    last = page_summary(typed[-1].X, first[-1])
    np.testing.assert_array_equal(crossed[-1], model.type_vector(last))
    proba = dict(zip(model.classes, model.predict_proba(last)))
    assert list(crossed[-1]) == [proba.get(t, 0.0) for t in PAGE_TYPES]      # PAGE_TYPES order, 0 for absent types
    assert np.mean([PAGE_TYPES[int(np.argmax(c))] == t.page_type for c, t in zip(crossed, typed[:-1])]) >= 0.9
    assert type_columns(crossed[0], 4).shape == (4, len(PAGE_TYPES))
    with pytest.raises(ValueError):
        type_columns(model.predict_proba(last), 4)


def test_threshold_empties_at_most_the_allowed_share():
    real = np.linspace(0.0, 1.0, 1001)
    t = threshold_for(real, 0.01)
    assert (real < t).mean() <= 0.01 and (real < t + 0.002).mean() > 0.01
    assert threshold_for(np.array([0.9, 0.8]), 0.01) == 0.8


# --- the shipped models on pages we wrote --------------------------------------------------


HOME = """<html><head><title>The Valley Courier – news for the river towns</title>
<meta property="og:type" content="website"></head><body>
<header><a href="/">The Valley Courier</a><nav><ul>{nav}</ul></nav>
<form action="/search"><input name="q"><button>Search</button></form></header>
<main><h2>Top stories</h2>{teasers}<h2>Most read</h2><ol>{most}</ol></main>
<footer><a href="/about">About us</a> <a href="/contact">Contact</a> <a href="/privacy">Privacy</a>
&copy; 2026 The Valley Courier. All rights reserved.</footer></body></html>"""

SEARCH = """<html><head><title>Search results for "flood insurance" | The Valley Courier</title></head><body>
<header><a href="/">The Valley Courier</a><nav><ul>{nav}</ul></nav></header>
<main><h1>Search results</h1><form action="/search"><input name="q" value="flood insurance"><button>Search</button>
<label>Sort by <select><option>Relevance</option><option>Newest</option></select></label></form>
<p>Showing 1–10 of 214 results for “flood insurance”</p><ul class="results">{results}</ul>
<nav class="pagination"><a href="?page=1">1</a> <a href="?page=2">2</a> <a href="?page=3">3</a> <a href="?page=2">Next »</a></nav>
</main><footer><a href="/about">About us</a> <a href="/terms">Terms of use</a> &copy; 2026 The Valley Courier</footer>
</body></html>"""

LOGIN = """<html><head><title>Sign in | The Valley Courier</title></head><body>
<header><a href="/">The Valley Courier</a><nav><ul>{nav}</ul></nav></header>
<main><div class="login-box"><h1>Sign in to continue reading</h1>
<p>This article is for subscribers only.</p>
<form action="/login" method="post"><label>Email address <input name="email"></label>
<label>Password <input type="password" name="password"></label>
<label><input type="checkbox"> Remember me</label><button>Sign in</button></form>
<p><a href="/forgot">Forgot your password?</a></p><p>Not a subscriber yet? <a href="/subscribe">Subscribe now</a> from £1 a week.</p>
</div></main>
<footer><a href="/about">About us</a> <a href="/help">Help</a> <a href="/privacy">Privacy policy</a> &copy; 2026 The Valley Courier</footer>
</body></html>"""

_NAV = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("News", "Sport", "Business", "Opinion", "Weather"))
_HEADLINES = [
    ("River towns rebuild after the spring floods", "Engineers say the new walls will hold, but families wait for insurance money."),
    ("Council approves bridge repair plan", "The vote came after months of debate about the cost of the work."),
    ("School reopens a week after the storm", "Children returned to classrooms on Monday as repairs went on."),
    ("Local team wins the valley cup", "A late goal settled a match that had been level for most of the second half."),
    ("Prices at the market rise again", "Traders blame the weather for a poor season and higher transport costs."),
    ("New library opens its doors", "The building on the old mill site has room for a café and study rooms."),
]


def _pages() -> dict[str, str]:
    teasers = "".join(f'<article class="teaser"><h3><a href="/news/{i}">{h}</a></h3><p>{s}</p>'
                      f'<span class="date">14 May 2026</span></article>' for i, (h, s) in enumerate(_HEADLINES))
    most = "".join(f'<li><a href="/news/{i}">{h}</a></li>' for i, (h, _) in enumerate(_HEADLINES[:4]))
    results = "".join(f'<li><h3><a href="/news/{i}">{h}</a></h3><p>{s[:70]}…</p><span>12 May 2026</span></li>'
                      for i, (h, s) in enumerate(_HEADLINES))
    return {"home": HOME.format(nav=_NAV, teasers=teasers, most=most),
            "search": SEARCH.format(nav=_NAV, results=results), "login": LOGIN.format(nav=_NAV)}


@pytest.fixture(scope="module")
def shipped():
    """The shipped first pass and the page models saved beside the shipped model
    (``models/default.page.json``; ``BOILERPLATE_PAGE_MODELS`` names another file)."""
    from boilerplate.extractor import default_extractor

    path = Path(os.environ.get("BOILERPLATE_PAGE_MODELS") or str(resources.files("boilerplate.models") / "default.page.json"))
    if not path.is_file():
        pytest.skip(f"no page models at {path}: build them with scripts/page_models.py")
    return default_extractor().classifier, load_page_models(path.read_bytes())


def _confidence(shipped, html: str) -> float:
    classifier, models = shipped
    document = parse(decode(html))
    blocks = split_blocks(document)
    X = page_features(document, blocks)
    return float(models["confidence"].confidence(page_summary(X, classifier.content_proba(X))))


def test_shipped_confidence_keeps_the_example_article(shipped):
    html = (REPO / "datasets" / "examples" / "article.html").read_text("utf-8")
    assert _confidence(shipped, html) >= shipped[1]["confidence"].threshold


def test_shipped_confidence_on_pages_without_an_article(shipped):
    """A login wall is emptied. A home page of teasers and a search-results page are not:
    they are lists of short texts, as WCXB's listing and collection pages are, whose lists
    WCXB counts as main content; they only score below a real article."""
    threshold = shipped[1]["confidence"].threshold
    scores = {name: _confidence(shipped, html) for name, html in _pages().items()}
    article = _confidence(shipped, (REPO / "datasets" / "examples" / "article.html").read_text("utf-8"))
    assert scores["login"] < threshold, scores
    assert scores["home"] < article and scores["search"] < article, (scores, article)


def _page_type(shipped, html: str) -> str:
    classifier, models = shipped
    document = parse(decode(html))
    X = page_features(document, split_blocks(document))
    return models["page_type"].predict(page_summary(X, classifier.content_proba(X)))


def test_shipped_page_type_of_an_article_and_a_results_page(shipped):
    assert _page_type(shipped, (REPO / "datasets" / "examples" / "article.html").read_text("utf-8")) == "article"
    assert _page_type(shipped, _pages()["search"]) in ("listing", "collection")


# --- the context pass reading page types ----------------------------------------------------


def test_a_typed_context_pass_is_saved_loaded_and_used_on_its_page_types(rows, tmp_path):
    """``fit_extractor(typed_page_types=...)``: a second context pass gets the type model's
    columns and scores only the pages typed so; it is saved and loaded with the page
    models, and loading without them is refused."""
    from dataclasses import replace

    from boilerplate.errors import ModelError
    from boilerplate.extractor import load_extractor
    from boilerplate.persist import read_manifest
    from boilerplate.persist import companion_path
    from boilerplate.train import fit_extractor, save_extractor

    typed = [replace(r, page_type=("article" if i % 2 else "listing"), group=f"site{i // 2 % 6}") for i, r in enumerate(rows)]
    params = {"max_iter": 10, "max_leaf_nodes": 7, "min_samples_leaf": 5}
    extractor, _ = fit_extractor(typed, params=params, folds=2, typed_page_types=("listing",))
    assert extractor.typed_page_types == {"listing"}
    assert extractor.typed_context_classifier.n_features_in_ == len(FEATURE_NAMES) + len(CONTEXT_NAMES) + len(PAGE_TYPES)
    assert extractor.context_classifier.n_features_in_ == len(FEATURE_NAMES) + len(CONTEXT_NAMES)
    output = tmp_path / "m.joblib"
    save_extractor(extractor, output)
    assert read_manifest(companion_path(output, "context+type"))["stage"] == "context+type"
    assert read_manifest(output)["typed_page_types"] == ["listing"]
    loaded = load_extractor(output)
    assert loaded.typed_page_types == {"listing"} and set(loaded.page_models) == {"page_type"}
    pages = [make_page(i).html for i in range(90, 100)]
    assert [loaded.extract(p) for p in pages] == [extractor.extract(p) for p in pages]
    from boilerplate.persist import export_portable, is_export_of

    portable_path = tmp_path / "m.trees.npz"
    exported = export_portable(output, portable_path)
    assert exported["typed_context_model"] == "m.trees.typed.npz" and is_export_of(portable_path, output)
    portable = load_extractor(portable_path)
    assert portable.typed_page_types == {"listing"}
    assert [portable.extract(p) for p in pages] == [extractor.extract(p) for p in pages]

    # A typed pass that disagrees with the plain one, so that which pass scored a page shows.
    from boilerplate.model import BlockClassifier

    width = loaded.typed_context_classifier.n_features_in_
    noise = BlockClassifier(max_iter=5).fit(np.random.default_rng(0).normal(size=(60, width)), np.arange(60) % 2)
    loaded = replace(loaded, typed_context_classifier=noise)
    everywhere, nowhere = replace(loaded, typed_page_types=frozenset(PAGE_TYPES)), replace(loaded, typed_page_types=frozenset())
    differs = 0
    for page in pages:
        document = parse(decode(page))
        blocks = split_blocks(document)
        X, paths = page_features(document, blocks), [b.path for b in blocks]
        first = loaded.classifier.content_proba(X)
        vector = loaded.page_models["page_type"].type_vector(page_summary(X, first))
        around = context_features(first, paths, X)
        typed_p = loaded.typed_context_classifier.content_proba(np.hstack([X, around, type_columns(vector, len(X))]))
        plain_p = loaded.context_classifier.content_proba(np.hstack([X, around]))
        assert np.array_equal(everywhere.proba(X, paths), typed_p) and np.array_equal(nowhere.proba(X, paths), plain_p)
        gated = PAGE_TYPES[int(np.argmax(vector))] == "listing"
        assert np.array_equal(loaded.proba(X, paths), typed_p if gated else plain_p)
        # the summary that gated the pass also gives the reported type
        assert loaded.analyze(page).page_type == loaded.page_models["page_type"].predict(page_summary(X, first))
        differs += not np.array_equal(typed_p, plain_p)
    assert differs == len(pages)
    (tmp_path / "m.page.json").unlink()
    with pytest.raises(ModelError, match="page-type model"):
        load_extractor(output)


def test_a_typed_context_pass_needs_page_types_it_can_learn(rows):
    from boilerplate.train import fit_extractor

    with pytest.raises(ValueError, match="among"):
        fit_extractor(rows, folds=2, typed_page_types=("blog",))
    with pytest.raises(ValueError, match="context pass"):
        fit_extractor(rows, folds=2, context=False, typed_page_types=("product",))
    with pytest.raises(ValueError, match="page-type model or pages with a page type"):
        fit_extractor([r for r in rows if r.page_type is None], folds=2, typed_page_types=("product",))


def test_train_command_refuses_unknown_typed_page_types(tmp_path):
    from click.testing import CliRunner

    from boilerplate.cli import main

    result = CliRunner().invoke(main, ["train", "-o", str(tmp_path / "m.joblib"), "--typed-page-types", "blog"])
    assert result.exit_code == 2 and "--typed-page-types" in result.output and "blog" in result.output
    assert not (tmp_path / "m.joblib").exists()
    # a typed pass stands beside a context pass: without one it is refused the same way
    result = CliRunner().invoke(main, ["train", "-o", str(tmp_path / "m.joblib"), "--no-context",
                                       "--typed-page-types", "product"])
    assert result.exit_code == 2 and "context pass" in result.output
    assert not (tmp_path / "m.joblib").exists()
