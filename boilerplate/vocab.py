"""Vocabularies kept as package data, loaded once and compiled into patterns."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

_DATA = resources.files("boilerplate.data")


def _whole_token_only(word: str) -> bool:
    """Class/id words of three letters or fewer must be a whole token (``ad`` must not match ``address``)."""
    return len(word) <= 3


def _token_pattern(word: str) -> str:
    """A class/id word matches at the start of a token (the ``(?<![a-z0-9])`` put in front
    of all of them by :func:`class_groups`), short ones only as the whole token."""
    return re.escape(word) + (r"(?![a-z0-9])" if _whole_token_only(word) else "")


@lru_cache(maxsize=1)
def _class_id_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The class/id groups of ``data/classid.json``: (name, words longest first), in file order."""
    groups = json.loads((_DATA / "classid.json").read_text("utf-8"))["groups"]
    return tuple((name, tuple(sorted(words, key=len, reverse=True))) for name, words in groups)


@lru_cache(maxsize=1)
def class_groups() -> tuple[tuple[str, ...], re.Pattern[str]]:
    """Names of the class/id groups and one pattern whose named groups are ``g0``, ``g1``, …"""
    groups = _class_id_groups()
    names = tuple(name for name, _ in groups)
    alternatives = [
        f"(?P<g{i}>" + "|".join(_token_pattern(w) for w in words) + ")" for i, (_, words) in enumerate(groups)
    ]
    firsts = "".join(sorted({w[0] for _, words in groups for w in words}))
    # The token start and first letter are tested once per position, not once per word: 12x faster.
    return names, re.compile(r"(?<![a-z0-9])(?=[" + re.escape(firsts) + "])(?:" + "|".join(alternatives) + ")")


def class_word_order() -> list[tuple[str, int, bool]]:
    """The class/id words as ``(word, group index, whole token only)`` in the order the
    pattern of :func:`class_groups` tries them (for the compiled matcher, ``_phrases.pyx``)."""
    return [(w, i, _whole_token_only(w)) for i, (_, words) in enumerate(_class_id_groups()) for w in words]


@lru_cache(maxsize=1)
def _keyword_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The text keyword groups of ``data/keywords.json``: (name, phrases), in file order."""
    groups = json.loads((_DATA / "keywords.json").read_text("utf-8"))["groups"]
    return tuple((name, tuple(phrases)) for name, phrases in groups)


@lru_cache(maxsize=1)
def text_keywords() -> tuple[tuple[str, ...], re.Pattern[str]]:
    """Names of the text keyword groups and one case-insensitive pattern with groups ``g0``, …"""
    groups = _keyword_groups()
    names = tuple(name for name, _ in groups)
    alternatives = [
        f"(?P<g{i}>" + "|".join(rf"\b{re.escape(p)}\b" for p in sorted(phrases, key=len, reverse=True)) + ")"
        for i, (_, phrases) in enumerate(groups)
    ]
    return names, re.compile("|".join(alternatives), re.IGNORECASE)


@lru_cache(maxsize=1)
def lowercase_keywords() -> re.Pattern[str]:
    """The keyword groups of :func:`text_keywords` as one pattern for *lower-cased* text.

    Same matches, eight times faster: no case folding, and the word boundary is tested
    once per position before any phrase (``\\b(?=[first letters])``) instead of once per
    phrase. Groups are ``g<i>`` (phrases starting with a word character) and ``n<i>``
    (the others, such as ``©``), so ``int(match.lastgroup[1:])`` is the group index.
    """
    groups = _keyword_groups()
    firsts = sorted({p[0].lower() for _, phrases in groups for p in phrases if _is_word_char(p[0])})
    word_led, other = [], []
    for i, (_, phrases) in enumerate(groups):
        ordered = [p.lower() for p in sorted(phrases, key=len, reverse=True)]
        word_led.append(f"(?P<g{i}>" + "|".join(rf"{re.escape(p)}\b" for p in ordered if _is_word_char(p[0])) + ")")
        rest = [rf"\b{re.escape(p)}\b" for p in ordered if not _is_word_char(p[0])]
        if rest:
            other.append(f"(?P<n{i}>" + "|".join(rest) + ")")
    lead = r"\b(?=[" + re.escape("".join(firsts)) + "])(?:" + "|".join(word_led) + ")"
    return re.compile("|".join([lead, *other]))


@lru_cache(maxsize=1)
def lowercase_keyword_index() -> dict[str, tuple[tuple[str, int], ...]]:
    """The phrases of :func:`lowercase_keywords` by first character, as ``(phrase, group)``
    in the order that pattern tries them (for the compiled matcher, ``_phrases.pyx``)."""
    groups = _keyword_groups()
    ordered = [(p.lower(), i) for i, (_, phrases) in enumerate(groups) for p in sorted(phrases, key=len, reverse=True)]
    ordered.sort(key=lambda pair: not _is_word_char(pair[0][0]))  # stable: word-led phrases first, as in the pattern
    index: dict[str, list[tuple[str, int]]] = {}
    for phrase, group in ordered:
        index.setdefault(phrase[0], []).append((phrase, group))
    return {first: tuple(pairs) for first, pairs in index.items()}


@lru_cache(maxsize=1)
def ad_labels() -> frozenset[tuple[str, ...]]:
    """The phrases of the ``advert`` keyword group as lower-cased ``\\w+`` token tuples: the
    whole text of an ad slot's label ("Advertisement", "Sponsored", …)."""
    groups = dict(_keyword_groups())
    return frozenset(tuple(re.findall(r"\w+", phrase.lower())) for phrase in groups["advert"])


def _is_word_char(char: str) -> bool:
    return re.match(r"\w", char) is not None


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    """Stop-word sets by ISO 639-1 language code."""
    folder = _DATA / "stopwords"
    lists = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            words = entry.read_text("utf-8").split()
            lists[entry.name[:-4]] = frozenset(w.lower() for w in words)
    return lists


@lru_cache(maxsize=1)
def schema_groups() -> tuple[tuple[tuple[str, frozenset[str]], ...], tuple[str, ...]]:
    """schema.org type groups (name, type names) and the OpenGraph types given a column each."""
    data = json.loads((_DATA / "schema.json").read_text("utf-8"))
    groups = tuple((name, frozenset(types)) for name, types in data["groups"])
    return groups, tuple(data["og_types"])
