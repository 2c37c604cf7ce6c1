"""align(): gold text → block labels, coverage, ceiling and how much gold the page holds."""

from __future__ import annotations

import numpy as np
import pytest

from boilerplate.align import MIN_COVERAGE, SHORT_PARAGRAPH_TOKENS, WINDOW, align

HEADING = "Storm closes harbour"
PARA_1 = "The storm that hit the coast on Monday closed the harbour for two whole days."
PARA_2 = (
    "Fishermen said they would share the cost of the repairs, and the town council promised "
    "to find money for a new sea wall before the winter."
)
GOLD = "\n".join([HEADING, PARA_1, PARA_2])

PAGE = [
    "Home",
    "News",
    HEADING,
    PARA_1,
    PARA_2,
    "Share this article",
    "Related stories: Flooding closes the ring road for a week",
    "Copyright 2024 The Coast Gazette",
]


def test_content_blocks_true_and_chrome_false() -> None:
    result = align(PAGE, GOLD)
    assert result.labels.dtype == bool
    assert list(result.labels) == [False, False, True, True, True, False, False, False]


def test_share_block_false_although_gold_contains_share() -> None:
    assert "share" in GOLD.lower().split()
    result = align(["Share", "Share this article", PARA_2], GOLD)
    assert list(result.labels) == [False, False, True]


def test_short_heading_that_is_its_own_gold_paragraph() -> None:
    result = align([HEADING], GOLD)
    assert result.labels[0]
    assert result.coverage[0] == 1.0


def test_short_block_inside_a_short_gold_paragraph() -> None:
    gold = "By Jane Smith, Coast Gazette\n" + PARA_1
    assert align(["Jane Smith"], gold).labels[0]


def test_short_block_must_be_consecutive_words_of_the_short_paragraph() -> None:
    gold = "By Jane Smith, Coast Gazette\n" + PARA_1
    assert not align(["Smith Jane"], gold).labels[0]


@pytest.mark.parametrize(("length", "expected"), [
    (SHORT_PARAGRAPH_TOKENS, True), (SHORT_PARAGRAPH_TOKENS + 1, False),
])
def test_short_paragraph_limit(length: int, expected: bool) -> None:
    # a three-word block inside a gold paragraph of `length` words
    paragraph = " ".join(["closed", "the", "harbour"] + [f"filler{i}" for i in range(length - 3)])
    assert align(["closed the harbour"], paragraph).labels[0] == expected


def test_coverage_is_fraction_of_tokens_in_gold_windows() -> None:
    result = align(PAGE, GOLD)
    assert result.coverage[3] == 1.0
    assert result.coverage[0] == 0.0
    assert ((0.0 <= result.coverage) & (result.coverage <= 1.0)).all()


# --- the 0.5 coverage threshold ---------------------------------------------------------

GRAM = ["storm", "closed", "the", "harbour"]
OTHER = ["purple", "giraffes", "dance", "quietly", "under", "neon"]


@pytest.mark.parametrize(("extra", "coverage", "expected"), [
    (3, 4 / 7, True),   # 4 of 7 tokens
    (4, 4 / 8, True),   # exactly 0.5
    (5, 4 / 9, False),  # 4 of 9 tokens
])
def test_coverage_threshold_at_one_half(extra: int, coverage: float, expected: bool) -> None:
    assert WINDOW == 4 and MIN_COVERAGE == 0.5
    block = " ".join(GRAM + OTHER[:extra])
    result = align([block], "Last night the storm closed the harbour for two whole days.")
    assert result.coverage[0] == pytest.approx(coverage)
    assert bool(result.labels[0]) is expected


def test_three_gold_words_of_eight_are_not_a_window() -> None:
    # "storm closed the" occurs in the gold, but no 4-gram does: nothing is covered.
    block = " ".join(GRAM[:3] + OTHER[:5])
    result = align([block], "the storm closed the coast road and the storm closed the beach")
    assert result.coverage[0] == 0.0
    assert not result.labels[0]


# --- ceiling and gold_in_page -----------------------------------------------------------

def test_ceiling_one_when_labelled_blocks_equal_the_gold() -> None:
    result = align(PAGE, GOLD)
    assert result.ceiling == pytest.approx(1.0)
    assert result.gold_in_page == pytest.approx(1.0)


def test_ceiling_below_one_when_gold_text_is_missing_from_the_page() -> None:
    result = align(["Home", PARA_1], GOLD)
    assert list(result.labels) == [False, True]
    assert 0.0 < result.ceiling < 1.0
    assert 0.0 < result.gold_in_page < 1.0


def test_gold_in_page_near_zero_for_unrelated_gold() -> None:
    gold = "Quarterly earnings of the software company rose by twelve percent on strong cloud sales."
    result = align(PAGE, gold)
    assert not result.labels.any()
    assert result.gold_in_page < 0.05
    assert result.ceiling == 0.0


def test_empty_page_and_empty_gold() -> None:
    empty = align([], GOLD)
    assert empty.labels.shape == (0,) and empty.gold_in_page == 0.0 and empty.ceiling == 0.0
    no_gold = align(PAGE, "")
    assert not no_gold.labels.any()
    assert no_gold.ceiling == 1.0  # nothing labelled, nothing expected


def test_blocks_without_tokens_are_false() -> None:
    result = align(["", "— · —", PARA_1], GOLD)
    assert list(result.labels) == [False, False, True]
    np.testing.assert_array_equal(result.coverage[:2], [0.0, 0.0])
