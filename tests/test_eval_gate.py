"""Evaluation gate: the shipped model may not fall below recorded floors on the test split.

The floors are the figures in ``models/README.md`` minus 0.01, so a change that costs
accuracy fails here instead of landing silently. The same runner makes the README table.
"""

from __future__ import annotations

import pytest

from boilerplate.report import evaluate_model
from boilerplate.train import DATASETS

TEXT_F1_FLOORS = {"cleaneval": 0.915, "dragnet": 0.90, "l3s-gn1": 0.945, "readability": 0.95, "wcxb": 0.865}
WCXB_WORD_F1_FLOOR = 0.87


@pytest.fixture(scope="module")
def report(data_dir, cache_dir):
    return evaluate_model(datasets=DATASETS, data_dir=data_dir, cache_dir=cache_dir, n_jobs=2)


@pytest.mark.parametrize("dataset", DATASETS)
def test_text_f1_above_floor(report, dataset):
    assert report.results["boilerplate"][dataset].shingle.f1 >= TEXT_F1_FLOORS[dataset]


def test_wcxb_word_f1_above_floor(report):
    assert report.results["boilerplate"]["wcxb"].word_f1 >= WCXB_WORD_F1_FLOOR
