"""Paired differences between two systems on the same pages, and the report's table of them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boilerplate.evaluate import PageScore, mean_difference, paired_difference, summarize_scores
from boilerplate.metrics import PRF, f1
from boilerplate.report import Report, page_f1


def _page(i: int, precision: float, recall: float, dataset: str = "wcxb", page_type: str | None = "product",
          word: float | None = None) -> PageScore:
    word = f1(precision, recall) if word is None else word
    return PageScore(dataset, f"{i:04d}", page_type, PRF(precision, recall, f1(precision, recall)),
                     PRF(word, word, word), 0.0)


def _system(seed: int, n: int = 40, shift: float = 0.0) -> list[PageScore]:
    rng = np.random.default_rng(seed)
    return [_page(i, float(np.clip(p + shift, 0, 1)), float(r)) for i, (p, r) in enumerate(rng.uniform(0.3, 0.9, (n, 2)))]


def test_the_difference_is_the_difference_of_the_summaries() -> None:
    ours, theirs = _system(1), _system(2)
    d = paired_difference(ours, theirs, "text")
    expected = summarize_scores(ours)["wcxb"].shingle.f1 - summarize_scores(theirs)["wcxb"].shingle.f1
    assert d.difference == pytest.approx(expected)
    words = paired_difference(ours, theirs, "word")
    assert words.difference == pytest.approx(summarize_scores(ours)["wcxb"].word_f1 - summarize_scores(theirs)["wcxb"].word_f1)
    assert d.low <= d.difference <= d.high and d.pages == 40


def test_a_system_against_itself_differs_by_nothing() -> None:
    ours = _system(3)
    d = paired_difference(ours, ours, "word")
    assert (d.difference, d.low, d.high) == (0.0, 0.0, 0.0)


def test_better_on_every_page_gives_an_interval_above_zero() -> None:
    theirs = _system(4)
    ours = [_page(i, min(s.shingle.precision + 0.1, 1.0), s.shingle.recall) for i, s in enumerate(theirs)]
    assert paired_difference(ours, theirs, "text").low > 0


def test_few_noisy_pages_give_a_wide_interval() -> None:
    ours, theirs = _system(5, n=8), _system(6, n=8)
    few = paired_difference(ours, theirs, "word")
    many = paired_difference(_system(5, n=400), _system(6, n=400), "word")
    assert few.high - few.low > 2 * (many.high - many.low)


def test_the_interval_is_seeded() -> None:
    ours, theirs = _system(7), _system(8)
    assert paired_difference(ours, theirs) == paired_difference(ours, theirs)


@pytest.mark.parametrize("theirs", [lambda s: s[:-1], lambda s: s[::-1]])
def test_scores_of_other_pages_are_refused(theirs) -> None:
    ours = _system(9)
    with pytest.raises(ValueError, match="same pages"):
        paired_difference(ours, theirs(ours))


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="metric"):
        paired_difference(_system(1), _system(1), "block")


def test_the_mean_over_datasets_resamples_each_on_its_own() -> None:
    a, b, c, d = _system(10), _system(11), _system(12, n=200), _system(13, n=200)
    both = mean_difference([(a, b), (c, d)], "text")
    assert both.difference == pytest.approx((paired_difference(a, b).difference + paired_difference(c, d).difference) / 2)
    assert both.low <= both.difference <= both.high
    assert both.high - both.low < paired_difference(a, b).high - paired_difference(a, b).low


def test_no_pages_give_nothing() -> None:
    assert paired_difference([], [], "text").pages == 0


def test_the_report_shows_the_differences_per_dataset_and_page_type() -> None:
    ours = [_page(0, 0.9, 0.9, "cleaneval", None), _page(1, 0.8, 0.9, "cleaneval", None),
            _page(2, 0.9, 0.8, "wcxb", "article"), _page(3, 0.5, 0.9, "wcxb", "product")]
    theirs = [_page(0, 0.8, 0.9, "cleaneval", None), _page(1, 0.8, 0.8, "cleaneval", None),
              _page(2, 0.9, 0.9, "wcxb", "article"), _page(3, 0.9, 0.9, "wcxb", "product")]
    report = Report(target="article", results={"boilerplate": summarize_scores(ours), "trafilatura": summarize_scores(theirs)},
                    blocks={}, projection={}, skipped=[], page_scores={"boilerplate": ours, "trafilatura": theirs})
    differences = report.against("trafilatura")
    assert list(differences) == ["cleaneval", "wcxb", "wcxb:article", "wcxb:product", "mean"]
    assert differences["mean"].difference == pytest.approx(
        (differences["cleaneval"].difference + differences["wcxb"].difference) / 2)
    assert differences["mean"].pages == 4
    assert differences["wcxb:product"].difference == pytest.approx(f1(0.5, 0.9) - 0.9)
    assert differences["cleaneval"].pages == 2
    text = report.markdown()
    assert "boilerplate minus trafilatura" in text and "| wcxb:product | 1 | -0.257 |" in text
    assert set(report.to_dict()["differences"]["trafilatura"]) == set(differences)


def test_the_json_report_lists_every_page_with_its_scores(tmp_path) -> None:
    ours = [_page(0, 0.9, 0.8, "cleaneval", None), _page(1, 0.5, 0.9, "wcxb", "product")]
    report = Report(target="article", results={"boilerplate": summarize_scores(ours)}, blocks={}, projection={},
                    skipped=[], page_scores={"boilerplate": ours})
    report.write_json(tmp_path / "scores.json")
    pages = json.loads((tmp_path / "scores.json").read_text())["pages"]["boilerplate"]
    assert [(p["dataset"], p["page_id"], p["page_type"]) for p in pages] == [
        (s.dataset, s.page_id, s.page_type) for s in ours]
    assert pages[1]["word"]["f1"] == pytest.approx(ours[1].word.f1)
    assert pages[0]["text"]["precision"] == pytest.approx(ours[0].shingle.precision)


def test_the_report_lists_the_pages_where_the_peer_leads_most() -> None:
    ours = [_page(0, 0.9, 0.9, "cleaneval", None), _page(1, 0.5, 0.5, "cleaneval", None),
            _page(2, 0.9, 0.9, "wcxb", "product", word=0.2), _page(3, 0.8, 0.8, "wcxb", "article")]
    theirs = [_page(0, 0.5, 0.5, "cleaneval", None), _page(1, 0.6, 0.6, "cleaneval", None),
              _page(2, 0.9, 0.9, "wcxb", "product", word=0.7), _page(3, 0.8, 0.8, "wcxb", "article")]
    results = {"boilerplate": summarize_scores(ours), "trafilatura": summarize_scores(theirs)}
    report = Report(target="article", results=results, blocks={}, projection={}, skipped=[],
                    page_scores={"boilerplate": ours, "trafilatura": theirs})
    leads = report.peer_leads("trafilatura")
    assert [(a.dataset, a.page_id) for a, _ in leads] == [("wcxb", "0002"), ("cleaneval", "0001")]  # by word F1 on WCXB
    assert page_f1(leads[0][1]) - page_f1(leads[0][0]) == pytest.approx(0.5)
    assert report.peer_leads("trafilatura", n=1) == leads[:1]
    assert report.peer_leads("justext") == []
    shuffled = Report(target="article", results=results, blocks={}, projection={}, skipped=[],
                      page_scores={"boilerplate": ours, "trafilatura": theirs[::-1]})
    with pytest.raises(ValueError, match="same pages"):
        shuffled.peer_leads("trafilatura")
    text = report.markdown()
    assert "The pages where trafilatura leads most" in text
    assert "| wcxb | 0002 | product | 0.200 | 0.700 |" in text and "| cleaneval | 0001 |  | 0.500 | 0.600 |" in text
    assert "| wcxb | 0003 |" not in text and "| cleaneval | 0000 |" not in text
