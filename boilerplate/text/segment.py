"""Plain text → segments, with or without line breaks.

A line is a segment when it is short enough to be one paragraph. A long line (a whole
page flattened to one line, or a paragraph glued to its menus) is cut further, at

* **sentence ends**: ``.``, ``!``, ``?``, ``…`` (or CJK ``。！？``) before a token that does
  not start in lower case, unless the word is a known abbreviation or an initial;
* **menu-like runs**: maximal runs of capitalised tokens, numbers, timestamps and
  separators (``|``, ``•``, ``»``…) without sentence punctuation, which is what a
  navigation bar, a breadcrumb or a playlist becomes in flat text; a run is cut out when
  it is long, or when it does not continue a lower-case sentence (a proper noun inside a
  sentence is a short run after a lower-case word and stays where it is). When a long run
  runs into lower-case text, its last word is taken as the first word of that text (a
  title or sentence after the menu);
* **labels and timestamps**: before a capitalised ``Word:`` (``Related:``, ``Photo:``,
  ``Watch:``) and a byline's ``By``, after a timestamp (``03:13``) or a year before a
  capitalised word, and before a capitalised stop word followed by lower case: a
  sentence that starts without a full stop before it (``… Ad Feedback | The council
  said …``);
* **repeated phrases**: before a capitalised two-word phrase that occurs three or more
  times on the page (``Now playing``, ``Read more``, ``Ad Feedback``), unless it follows
  an article or preposition (``the Daily Star``, ``for Humanity``: a name in a sentence);
* **credits and clock times**: around a photo credit (``(AP Photo/Jane Doe)``,
  ``Photo: Jane Doe/Getty Images``) and after a clock time's ``AM``/``PM`` before a
  capitalised word (``… 10:33 AM | Meg, thanks …``).

Segments carry their offsets in the input, the line they come from and what cut them,
so the classifier can see the line structure that is there and the labels of training
pages can be carried over by position. Work is linear in the text (one tokenising pass
per line, precompiled patterns), bounded by the caps in ``limits``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from ..limits import MAX_BLOCKS, MAX_INPUT_BYTES
from ..vocab import text_keywords

#: Bump when the segmentation changes: the text features and models depend on it.
SEGMENT_VERSION = 2

#: A line longer than this is cut into sentences and runs; shorter lines are one segment
#: each (a paragraph, heading or menu item of a text that kept its line breaks).
LONG_LINE_CHARS = 300
#: A run of this many menu-like tokens is cut out wherever it stands; a shorter one
#: (at least ``MIN_RUN_TOKENS``) only when it does not continue a lower-case sentence.
LONG_RUN_TOKENS = 6
MIN_RUN_TOKENS = 3
#: A capitalised phrase seen this often on one page marks a boundary each time.
REPEATED_PHRASE_MIN = 3
#: A segment never exceeds this many tokens: text without punctuation is cut anyway.
MAX_SEGMENT_TOKENS = 150
#: Characters of input read; the rest is dropped (as for HTML input).
MAX_TEXT_CHARS = MAX_INPUT_BYTES

_LINE = re.compile(r"[^\n\r\u2028\u2029\x0b\x0c\x85]+")
_TOKEN = re.compile(r"[^\s。！？]*[。！？]+|[^\s。！？]+")
_LEADING = re.compile(r"^[\"'“”‘’«»(\[{¿¡*#-]+")
_SENTENCE_END = re.compile(r"(?:[.!?…]|[。！？])[\"'”’)\]»]*$")
_TIMESTAMP = re.compile(r"^\(?\d{1,2}:\d{2}(?::\d{2})?\)?$")
_NUMBER = re.compile(r"^[\d.,:/%+–-]+$")
_SEPARATOR = frozenset("| • · » « › ‹ / > < - – — ~ * + ::".split())
_MERIDIEM = re.compile(r"^(?:[AaPp]\.?[Mm]\.?|[A-Z]{2,4}T)[,.]?$")
_CUT_BEFORE = frozenset("©®")
_YEAR = re.compile(r"^(?:19|20)\d{2}[,.]?$")
#: The end of a photo credit: an agency after a slash or alone, optionally closing a
#: parenthesis (``…/Getty Images``, ``(AP Photo/Jane Doe)``, ``/Reuters``).
_CREDIT_END = re.compile(r"(?:^|/)(?:Getty|AFP|AP|Reuters|EPA|Shutterstock|iStock|iStockphoto|Alamy|Bloomberg|Corbis|"
                         r"Pool|PA|Xinhua|Images|Press|Photo|Photos|Wire|Unsplash|Pexels|Wikimedia|Commons)\)?[.,]?$")
#: The start of a parenthesised credit: ``(Photo: …``, ``(AP Photo/…``, ``(Image credit …``.
_CREDIT_START = re.compile(r"^\((?:Photo|Photos|Photograph|Image|Images|Picture|Credit|Courtesy|Source|AP|AFP|Getty|"
                           r"Reuters|EPA|Illustration|Video|File)\b")
#: Words that label a credit a few tokens before an agency (``Photo: Jane Doe/AP``).
_CREDIT_LABELS = frozenset("photo photos photograph image images picture credit courtesy source getty".split())
#: Lower-case words after which a capitalised word is part of the sentence (``the Daily
#: Star``, ``for Humanity``): a repeated phrase there is a name, not a boundary.
_NAME_BEFORE = frozenset(
    "the a an of for to with by from in on at and or as than about into over under between via vs "
    "his her its their our your my this that these those".split()
)
#: Keyword groups whose capitalised phrases start a new segment.
_BOUNDARY_GROUPS = frozenset(("advert", "related", "media", "subscribe", "login", "cookie", "copyright"))
_LABEL = re.compile(r"^[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’&-]{0,20}:$")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr vs etc e.g i.e no nos fig figs gen gov sen rep col lt sgt capt cmdr adm "
    "inc ltd co corp dept univ approx est jan feb mar apr jun jul aug sep sept oct nov dec mt ft p pp vol "
    "u.s u.k u.n a.m p.m ed eds op cit al".split()
)
_STOP_STARTS = frozenset(
    "the a an in on at it he she they we i this that these those there his her its our their but and "
    "or so as if when while after before for from to with by of what why how who where "
    "le la les un une des der die das ein eine el los las il lo gli de het een en".split()
)


class Cut(IntEnum):
    """What started a segment."""

    LINE = 0        # the start of a line of the input
    SENTENCE = 1    # a sentence end before it
    RUN = 2         # the edge of a menu-like run, a label, a timestamp or a repeated phrase
    LENGTH = 3      # the token cap of a segment


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the input text: a line, a sentence or a menu-like run.

    ``start``/``end`` are offsets in the input text; ``line`` is the index of the input
    line it comes from; ``cut`` says what started it. ``proba`` and ``label`` are set by
    prediction: P(content) and the decision.
    """

    index: int
    text: str
    start: int
    end: int
    line: int
    cut: Cut
    proba: float | None = None
    label: bool | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    cap: bool           # starts (after opening punctuation) with an upper-case letter
    lower: bool         # starts with a lower-case letter
    number: bool        # digits and number punctuation only
    sentence_end: bool  # ends a sentence (not an abbreviation or an initial)
    separator: bool     # a lone separator symbol

    @property
    def menu_like(self) -> bool:
        if self.sentence_end or self.text[-1] in ",;:":
            return False
        return self.cap or self.number or self.separator


_SENTENCE_LAST = frozenset(".!?…。！？\"'”’)]»")
_NUMBER_FIRST = frozenset("0123456789.,:/%+–-")


def _token(match: re.Match[str], offset: int) -> _Token:
    text = match.group()
    core = text if text[0].isalnum() else _LEADING.sub("", text)
    first = core[:1]
    number = text[0] in _NUMBER_FIRST and bool(_NUMBER.match(text))
    sentence_end = text[-1] in _SENTENCE_LAST and bool(_SENTENCE_END.search(text))
    if sentence_end and text[-1] == ".":
        word = core.rstrip(".\"'”’)]»").lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or number:
            sentence_end = False
    return _Token(start=offset + match.start(), end=offset + match.end(), text=text,
                  cap=first.isupper(), lower=first.islower(), number=number,
                  sentence_end=sentence_end, separator=text in _SEPARATOR)


def _tokens(line: str, offset: int) -> list[_Token]:
    return [_token(m, offset) for m in _TOKEN.finditer(line)]


def _phrase(a: _Token, b: _Token) -> str:
    return f"{a.text} {b.text}".lower()


def _repeated_phrases(lines: list[list[_Token]]) -> frozenset[str]:
    """Capitalised two-word phrases that occur at least ``REPEATED_PHRASE_MIN`` times."""
    counts = Counter(_phrase(a, b) for tokens in lines for a, b in zip(tokens, tokens[1:])
                     if a.cap and not a.sentence_end and not b.sentence_end and len(a.text) > 1)
    return frozenset(p for p, n in counts.items() if n >= REPEATED_PHRASE_MIN)


def _boundary_phrases(line: str, offset: int) -> tuple[set[int], set[int]]:
    """Offsets where a capitalised boilerplate phrase (``Advertisement``, ``Now playing``,
    ``Read more``, ``Sign up``…; keyword groups of ``data/keywords.json``) starts and ends."""
    names, pattern = text_keywords()
    wanted = {f"g{i}" for i, name in enumerate(names) if name in _BOUNDARY_GROUPS}
    starts, ends = set(), set()
    for m in pattern.finditer(line):
        if m.lastgroup in wanted and m.group()[0].isupper():
            starts.add(offset + m.start())
            ends.add(offset + m.end())
    return starts, ends


def _credit_ends(tokens: list[_Token], i: int) -> bool:
    """Whether the token before ``i`` ends a photo credit: it closes a parenthesis opened
    by a credit (``(AP Photo/Jane Doe)``), or it names an agency (``/Getty``, ``Images``,
    ``Reuters``) with a slash or a credit label (``Photo:``, ``Credit:``) just before."""
    prev = tokens[i - 1].text
    window = tokens[max(0, i - 8):i]
    if prev.endswith(")"):
        return any(_CREDIT_START.match(t.text) for t in window)
    if not _CREDIT_END.search(prev):
        return False
    return "/" in prev or any("/" in t.text or t.text.rstrip(":").lower() in _CREDIT_LABELS for t in window[-6:])


def _cuts(tokens: list[_Token], repeated: frozenset[str], phrases: tuple[set[int], set[int]]) -> dict[int, Cut]:
    """Token indices where a new segment starts inside a long line, and why."""
    n = len(tokens)
    cuts: dict[int, Cut] = {}
    phrase_starts, phrase_ends = phrases
    for i in range(1, n):
        prev, tok = tokens[i - 1], tokens[i]
        if prev.sentence_end and not tok.lower:
            cuts[i] = Cut.SENTENCE
        elif _LABEL.match(tok.text) and not prev.lower:
            cuts[i] = Cut.RUN
        elif _TIMESTAMP.match(prev.text) and tok.cap and not _MERIDIEM.match(tok.text):
            cuts[i] = Cut.RUN
        elif (tok.cap and not _MERIDIEM.match(tok.text) and i >= 2 and _MERIDIEM.match(prev.text)
              and _TIMESTAMP.match(tokens[i - 2].text)):
            cuts[i] = Cut.RUN  # "… at 10:33 AM | Meg, thanks …"
        elif _CREDIT_START.match(tok.text) or (tok.cap and not _CREDIT_END.match(tok.text) and _credit_ends(tokens, i)):
            cuts[i] = Cut.RUN  # "… the flood. | (AP Photo/Jane Doe) | Residents …"
        elif tok.text[0] in _CUT_BEFORE or tok.start in phrase_starts or (prev.end in phrase_ends and tok.cap):
            cuts[i] = Cut.RUN
        elif (tok.cap and tok.text != "I" and tok.text.lower() in _STOP_STARTS and prev.text[-1] not in ":,;"
              and i + 1 < n and tokens[i + 1].lower):
            cuts[i] = Cut.RUN  # "… rivers rise | The repairs are …": a sentence starts without a full stop
        elif _YEAR.match(prev.text) and tok.cap and i + 1 < n and tokens[i + 1].lower:
            cuts[i] = Cut.RUN  # "… March 3, 2026 | Three weeks after …"
        elif tok.text == "By" and not prev.sentence_end and i + 1 < n and tokens[i + 1].cap:
            cuts[i] = Cut.RUN  # a byline after a headline
        elif (repeated and i + 1 < n and tok.cap and _phrase(tok, tokens[i + 1]) in repeated
              and _phrase(prev, tok) not in repeated and not (prev.lower and prev.text.lower() in _NAME_BEFORE)
              and prev.text not in ("The", "A", "An")):
            cuts[i] = Cut.RUN
    i = 0
    while i < n:
        if not tokens[i].menu_like:
            i += 1
            continue
        j = i
        while j < n and tokens[j].menu_like:
            j += 1
        length = j - i
        after_label = i > 0 and tokens[i - 1].text[-1] == ":"
        continues_sentence = i > 0 and not tokens[i - 1].sentence_end and (i not in cuts) and not after_label
        if length >= LONG_RUN_TOKENS or (length >= MIN_RUN_TOKENS and not continues_sentence):
            if i > 0 and not after_label:
                cuts.setdefault(i, Cut.RUN)
            if j < n and not tokens[j].lower:
                cuts.setdefault(j, Cut.RUN)
            elif j < n and (length >= LONG_RUN_TOKENS or after_label) and tokens[j - 1].cap:
                cuts.setdefault(j - 1, Cut.RUN)  # the run's last word starts the lower-case text after it
        i = j
    return cuts


def segment_text(text: str) -> list[Segment]:
    """The segments of ``text`` in order; an empty or blank text gives ``[]``."""
    if not text:
        return []
    text = text[:MAX_TEXT_CHARS]
    lines = [m for m in _LINE.finditer(text) if not m.group().isspace()]
    long_tokens = {k: _tokens(m.group(), m.start()) for k, m in enumerate(lines) if len(m.group()) > LONG_LINE_CHARS}
    repeated = _repeated_phrases(list(long_tokens.values())) if long_tokens else frozenset()
    segments: list[Segment] = []

    def emit(start: int, end: int, line: int, cut: Cut) -> None:
        if len(segments) < MAX_BLOCKS:
            segments.append(Segment(index=len(segments), text=" ".join(text[start:end].split()), start=start,
                                    end=end, line=line, cut=cut))

    for k, match in enumerate(lines):
        tokens = long_tokens.get(k)
        if tokens is None:
            line = match.group()
            left = len(line) - len(line.lstrip())
            emit(match.start() + left, match.start() + len(line.rstrip()), k, Cut.LINE)
            continue
        cuts = _cuts(tokens, repeated, _boundary_phrases(match.group(), match.start()))
        first, cut = 0, Cut.LINE
        for i in range(1, len(tokens) + 1):
            why = cuts.get(i) if i < len(tokens) else Cut.LINE
            if why is None and i - first >= MAX_SEGMENT_TOKENS:
                why = Cut.LENGTH
            if why is not None:
                emit(tokens[first].start, tokens[i - 1].end, k, cut)
                first, cut = i, why
    return segments
