"""Text-level (shingle, word-bag) and block-level scores, on hand-computed examples."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from boilerplate.metrics import PRF, block_prf, f1, mean_f1, shingle_prf, shingles, summarize, tokens, word_prf

SENTENCE = "The storm closed the harbour for two whole days"


def approx(prf: PRF, precision: float, recall: float, f: float) -> None:
    assert (prf.precision, prf.recall, prf.f1) == pytest.approx((precision, recall, f))


# --- tokens and shingles ----------------------------------------------------------------

def test_tokens_lowercase_word_characters() -> None:
    assert tokens("Hello, World! It's 2024 — café") == ["hello", "world", "it", "s", "2024", "café"]
    assert tokens("") == []


def test_shingles_are_a_multiset_of_4_grams() -> None:
    assert shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("one two three", Counter({("one", "two", "three"): 1})),
    ("one two three four", Counter({("one", "two", "three", "four"): 1})),
    ("one two three four five", Counter({("one", "two", "three", "four"): 1, ("two", "three", "four", "five"): 1})),
])
def test_shingles_around_the_window_size(text: str, expected: Counter) -> None:
    assert shingles(text) == expected


def test_shingles_of_empty_text() -> None:
    assert shingles("") == Counter()
    assert shingles("  ,.;  ") == Counter()


# --- shingle_prf ------------------------------------------------------------------------

def test_shingle_identical_texts() -> None:
    approx(shingle_prf(SENTENCE, SENTENCE), 1.0, 1.0, 1.0)


def test_shingle_ignores_case_and_punctuation() -> None:
    approx(shingle_prf(SENTENCE.upper() + "!!!", SENTENCE.lower()), 1.0, 1.0, 1.0)


def test_shingle_disjoint_texts() -> None:
    approx(shingle_prf("alpha beta gamma delta epsilon", "one two three four five"), 0.0, 0.0, 0.0)


def test_shingle_partial_overlap_hand_computed() -> None:
    # predicted: 1234 2345 3456 (3 shingles); gold: 1234 2345 (2 shingles); overlap 2.
    prf = shingle_prf("one two three four five six", "one two three four five")
    approx(prf, 2 / 3, 1.0, 0.8)


def test_shingle_multiset_overlap_counts_repeats_once_each() -> None:
    # predicted has "a b c d" twice and gold once: overlap is min(2, 1) = 1 of 5 predicted shingles.
    prf = shingle_prf("a b c d a b c d", "a b c d")
    approx(prf, 1 / 5, 1.0, 2 * (1 / 5) / (1 / 5 + 1))


def test_shingle_short_texts() -> None:
    approx(shingle_prf("hello world", "Hello, world."), 1.0, 1.0, 1.0)
    approx(shingle_prf("hello world", "hello there"), 0.0, 0.0, 0.0)
    # a short text is one shingle: it does not match the 4-grams of a longer gold that contains it
    approx(shingle_prf("hello world", "hello world and more words"), 0.0, 0.0, 0.0)


@pytest.mark.parametrize(("predicted", "gold", "expected"), [
    ("", "", 1.0),
    ("   ", "", 1.0),
    ("", SENTENCE, 0.0),
    (SENTENCE, "", 0.0),
])
def test_shingle_empty_cases(predicted: str, gold: str, expected: float) -> None:
    approx(shingle_prf(predicted, gold), expected, expected, expected)


def test_shingle_window_parameter() -> None:
    # bigrams: predicted {ab, bc}, gold {ab, bd}
    approx(shingle_prf("a b c", "a b d", n=2), 0.5, 0.5, 0.5)


# --- word_prf ---------------------------------------------------------------------------

def test_word_identical_and_disjoint() -> None:
    approx(word_prf(SENTENCE, SENTENCE), 1.0, 1.0, 1.0)
    approx(word_prf("alpha beta", "gamma delta"), 0.0, 0.0, 0.0)


def test_word_bag_hand_computed() -> None:
    # predicted {the:1, cat:1, sat:1}; gold {the:2, cat:1, dog:1}; overlap the+cat = 2.
    approx(word_prf("The cat sat", "the cat, the dog"), 2 / 3, 2 / 4, 4 / 7)


def test_word_bag_ignores_order() -> None:
    approx(word_prf("days two harbour", "harbour two days"), 1.0, 1.0, 1.0)


@pytest.mark.parametrize(("predicted", "gold", "expected"), [
    ("", "", 1.0), ("", "some gold", 0.0), ("some prediction", "", 0.0),
])
def test_word_empty_cases(predicted: str, gold: str, expected: float) -> None:
    approx(word_prf(predicted, gold), expected, expected, expected)


# --- f1 and summaries -------------------------------------------------------------------

def test_f1() -> None:
    assert f1(0.0, 0.0) == 0.0
    assert f1(1.0, 1.0) == 1.0
    assert f1(0.5, 1.0) == pytest.approx(2 / 3)


def test_summarize_takes_f1_of_averaged_precision_and_recall() -> None:
    pages = [PRF(1.0, 0.2, f1(1.0, 0.2)), PRF(0.2, 1.0, f1(0.2, 1.0))]
    summary = summarize(pages)
    approx(summary, 0.6, 0.6, 0.6)
    # the mean of per-page F1 is different: 2 * 0.2 / 1.2 = 1/3 for each page
    assert mean_f1(pages) == pytest.approx(1 / 3)
    assert summary.f1 != pytest.approx(mean_f1(pages))


def test_summarize_accepts_a_generator_and_empty_input() -> None:
    approx(summarize(PRF(p, 1.0, f1(p, 1.0)) for p in (0.5, 1.0)), 0.75, 1.0, f1(0.75, 1.0))
    approx(summarize([]), 0.0, 0.0, 0.0)
    assert mean_f1([]) == 0.0


# --- block_prf --------------------------------------------------------------------------

def test_block_prf_unweighted() -> None:
    predicted = np.array([True, True, False, False])
    gold = np.array([True, False, True, False])
    approx(block_prf(predicted, gold), 0.5, 0.5, 0.5)


def test_block_prf_weighted_hand_computed() -> None:
    predicted = np.array([True, True, False, False])
    gold = np.array([True, False, True, False])
    weights = np.array([3.0, 1.0, 2.0, 4.0])
    # tp = 3, predicted weight = 4, gold weight = 5
    approx(block_prf(predicted, gold, weights), 3 / 4, 3 / 5, 2 / 3)


def test_block_prf_unit_weights_equal_unweighted() -> None:
    predicted = [True, False, True, True]
    gold = [True, True, False, True]
    assert block_prf(predicted, gold, [1, 1, 1, 1]) == block_prf(predicted, gold)


def test_block_prf_empty_cases() -> None:
    approx(block_prf(np.array([False, False]), np.array([False, False])), 1.0, 1.0, 1.0)
    approx(block_prf(np.array([], bool), np.array([], bool)), 1.0, 1.0, 1.0)
    approx(block_prf(np.array([True]), np.array([False])), 0.0, 0.0, 0.0)
    approx(block_prf(np.array([False]), np.array([True])), 0.0, 0.0, 0.0)
