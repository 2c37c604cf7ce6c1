"""Segmentation of plain text: lines where they exist, sentences and menu-like runs where not."""

from __future__ import annotations

from text_pages import ARTICLE, BOILERPLATE, HEADLINE, news_page_lines, news_page_one_line

from boilerplate.text.segment import LONG_LINE_CHARS, MAX_SEGMENT_TOKENS, Cut, segment_text


def texts(text: str) -> list[str]:
    return [s.text for s in segment_text(text)]


def test_empty_and_blank_text_give_no_segments():
    assert segment_text("") == []
    assert segment_text(" \n\n\t \r\n ") == []


def test_short_lines_are_segments_and_offsets_point_into_the_input():
    text = "  Home  News \n\nThe council met on Tuesday.\r\nSport\n"
    segments = segment_text(text)
    assert [s.text for s in segments] == ["Home News", "The council met on Tuesday.", "Sport"]
    assert [s.line for s in segments] == [0, 1, 2]
    assert all(s.cut is Cut.LINE for s in segments)
    for s in segments:
        assert " ".join(text[s.start:s.end].split()) == s.text
    assert [s.index for s in segments] == [0, 1, 2]


def test_a_line_is_cut_only_when_it_is_longer_than_a_paragraph():
    sentence = "The council met again today."
    at_limit = (sentence + " ") * (LONG_LINE_CHARS // (len(sentence) + 1))
    at_limit = at_limit + "x" * (LONG_LINE_CHARS - len(at_limit))
    assert len(at_limit) == LONG_LINE_CHARS
    assert len(segment_text(at_limit)) == 1
    assert len(segment_text(at_limit + "y")) > 1


def test_one_line_news_page_is_cut_at_sentences_and_menu_runs():
    segments = texts(news_page_one_line())
    for sentence in ARTICLE:
        assert sentence in segments, sentence
    assert HEADLINE in segments
    assert "Ad Feedback" in segments
    assert "Photo: James Whitaker/Getty Images" in segments
    assert "Related: Storm warnings issued for the coast as rivers rise" in segments
    assert "Opinion: Why our towns are not ready for the next flood" in segments
    assert "Now playing 03:13" in segments
    menu = [s for s in segments if s.startswith("Home News Sport")]
    assert menu and "Flood" not in menu[0]


def test_the_same_page_with_line_breaks_gives_its_lines():
    lines = news_page_lines().split("\n")
    assert texts(news_page_lines()) == lines
    assert BOILERPLATE[1] in lines


def test_abbreviations_initials_and_numbers_do_not_end_sentences():
    words = "word " * 60
    text = f"{words}Mr. Jones met J. Smith at 10.30 a.m. on Main St. yesterday and paid $3.5 million for it. {words}"
    assert any("Mr. Jones met J. Smith at 10.30 a.m. on Main St. yesterday and paid $3.5 million" in s
               for s in texts(text))


def test_a_proper_noun_inside_a_sentence_stays_in_it():
    lead = "The bridge was closed for repairs last week, and the river is still high. "
    sentence = "The engineers from New York City Council Hall arrived at the bridge and began work."
    segments = texts(lead * 5 + sentence + " " + lead)
    assert sentence in segments


def test_segments_are_capped_in_length():
    text = " ".join(["word"] * (3 * MAX_SEGMENT_TOKENS + 7))
    segments = segment_text(text)
    assert [len(s.text.split()) for s in segments] == [MAX_SEGMENT_TOKENS] * 3 + [7]
    assert segments[1].cut is Cut.LENGTH


def test_a_phrase_repeated_on_the_page_marks_a_boundary():
    item = "the council plans new flood walls along the river bank this year"
    text = " ".join(f"Read More about {item} and more" for _ in range(4)) + " " + "x " * 100
    segments = texts(text)
    assert sum(s.startswith("Read More") for s in segments) == 4


def test_cjk_sentences_are_cut_without_spaces():
    text = "市议会周二表示将修复旧石桥。" * 30
    segments = segment_text(text)
    assert len(segments) == 30
    assert segments[0].text == "市议会周二表示将修复旧石桥。"


def test_photo_credits_are_cut_out_of_the_text_around_them():
    lead = "The bridge was closed for repairs last week, and the river is still high. " * 5
    text = (lead + "The old bridge (AP Photo/Jane Doe) Residents were told to wait. "
            "Photo: James Whitaker/Getty Images Engineers found two arches undermined.")
    segments = texts(text)
    assert "(AP Photo/Jane Doe)" in segments and "Residents were told to wait." in segments
    assert "Photo: James Whitaker/Getty Images" in segments and "Engineers found two arches undermined." in segments


def test_a_clock_time_ends_a_comment_header():
    lead = "The bridge was closed for repairs last week, and the river is still high. " * 5
    segments = texts(lead + "Posted by: Meg | October 30, 2012 at 10:33 AM Meg, thanks for that input.")
    assert "Meg, thanks for that input." in segments


def test_a_repeated_name_after_an_article_or_preposition_stays_in_its_sentence():
    sentence = "The grant was made by Architecture for Humanity and the Daily Star reported it."
    names = " ".join(f"Architecture for Humanity is here {k}. The Daily Star says so {k}." for k in range(4))
    assert sentence in texts(names + " " + sentence + " " + names)
