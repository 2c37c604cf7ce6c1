"""One text's segments → a float32 feature matrix with named, versioned columns.

There is no markup: every signal comes from the words. Per segment: length, sentence
shape, stop-word ratio in the page's language, capitalisation and the longest
title-case run, punctuation, separators, digits, timestamps and dates, keyword-group
hits (``data/keywords.json``), how it was cut and where its line is, repetition of its
text and of its word pairs elsewhere on the page, and its position; then windowed means
and the key features of the two segments before and after. Column names are in
``TEXT_FEATURE_NAMES``; any change to them or to their meaning bumps
``TEXT_FEATURE_VERSION``, which text-model files record.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..features import (
    CHAR_CLASSES, count_classes, count_matches, keyword_hits, page_language, shift, window_mean, window_sum,
)
from ..vocab import stopwords, text_keywords
from .segment import SEGMENT_VERSION, Cut, Segment

TEXT_FEATURE_VERSION = 2

_WORD = re.compile(r"\w+")
_RAW_TOKEN = re.compile(r"\S+")
_COMMA = re.compile(r"[,;，、；]")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$|[\"'”’)])")
_TITLE_WORD = re.compile(r"^[\"'“‘(]?[A-ZÀ-ÖØ-ÞА-ЯЁ]")
_TIMESTAMP = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE = re.compile(r"\b(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|(?:19|20)\d{2})\b")
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|co\.uk)\b|@\w")
_QUOTE = re.compile(r"[\"“”„«»]")
_LABEL_START = re.compile(r"^[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’&-]{0,20}(?:\s[\w'’&-]{1,20})?:")
_TERMINAL = frozenset('.!?"”’)。！？')
#: Short boilerplate that a text dump leaves between an article's sentences (the text
#: model's own lists; the HTML model's keyword groups are shared and stay as they are).
#: An ad marker is the whole segment; a credit names a photographer or agency; a teaser
#: label starts a link to another page or a clip.
_AD_MARKERS = frozenset((
    "ad", "ads", "advert", "advertisement", "advertisements", "advertising", "ad feedback", "sponsored",
    "sponsored content", "sponsored links", "sponsored stories", "paid content", "paid post", "promoted",
    "promoted content", "promoted stories", "partner content", "ad choices", "adchoices", "story continues below",
    "story continues below advertisement", "article continues below advertisement", "continue reading below",
    "continue reading", "skip advertisement", "advertisement skip advertisement", "report this ad",
    "advertisement - scroll to continue", "scroll to continue with content", "ads by google", "close ad",
))
_CREDIT = re.compile(
    r"(?:/|\(|\|)\s*(?:Getty Images|Getty|AFP|AP|Reuters|EPA|Shutterstock|iStock(?:photo)?|Alamy|Bloomberg|"
    r"Associated Press|Corbis|Xinhua|Unsplash|Pexels|Wikimedia Commons)\b|\bGetty Images\b|\bAP Photo\b|"
    r"^\(?(?:Photo|Photos|Photograph|Photographer|Image|Picture|Illustration|Credit|Courtesy|Photo credit|"
    r"Image credit|Featured image)s?(?: by| credit| courtesy(?: of)?)?\s*[:|]|"
    r"\b(?:Photo|Image|Picture)s? (?:by|courtesy of|credit:)", re.IGNORECASE)
_TEASER = re.compile(
    r"^(?:Related|Read more|Read also|Also read|Read next|See also|More|More from|More on|Recommended|Opinion|"
    r"Watch|Video|Videos|Listen|Audio|Podcast|Gallery|Photos|In pictures|Live|Trending|Most read|Most popular|"
    r"Up next|Now playing|Next up|Don't miss|Do not miss|Editor's picks?|Top stories|Latest|Explore more|"
    r"You may also like|You might also like|Further reading|Sponsored|Advertisement)\b\s*(?:[:|»›>-]|\(?\d{1,2}:\d{2}|$)",
    re.IGNORECASE)
#: Account links standing alone (``Log In``, ``My Account``, ``Settings Sign Out``): a
#: segment of these words only, with an account phrase among them.
_ACCOUNT_WORDS = frozenset(
    "sign in out up log login logout my account accounts settings register subscribe search menu profile help "
    "cart bag basket wishlist notifications home newsletter newsletters skip to main content navigation create "
    "an join".split()
)
_ACCOUNT = re.compile(r"\b(?:sign (?:in|out|up)|log ?(?:in|out)|my account|register|subscribe|create an account)\b")
_ENDS_WITH_TIME = re.compile(r"(?:^|\s)\(?\d{1,2}:\d{2}(?::\d{2})?\)?$")
_MARKER_STRIP = re.compile(r"^[\W_]+|[\W_]+$")

_LOCAL = (
    "log_chars", "log_words", "mean_word_len", "log_sentences", "ends_with_terminal", "ends_with_colon",
    "starts_upper", "starts_lower", "starts_with_label", "stopword_ratio", "upper_ratio", "titlecase_ratio",
    "title_run_share", "log_title_run", "allcaps_ratio", "punct_ratio", "comma_ratio", "separator_ratio",
    "digit_ratio", "cjk_ratio", "timestamp_hits", "date_hits", "url_hits", "quote_hits",
    "ad_marker", "credit_hits", "teaser_label",
)
_CONTEXT_KEYS = ("log_words", "stopword_ratio", "ends_with_terminal", "titlecase_ratio", "kw_total", "digit_ratio",
                 "starts_lower", "cut_line", "marker")
#: Keyword groups whose totals over the page are page-level columns: what kind of site
#: the page comes from (a modern news page with consent and share boxes, a forum, a shop).
_PAGE_GROUPS = ("advert", "cookie", "share", "subscribe", "comments", "login", "navigation", "shop", "related")
_OFFSETS = (-2, -1, 1, 2)
#: Radii (in segments) of the prose-density windows: how much running text is around.
_DENSITY_RADII = (2, 5, 15)
_WINDOWS = (("log_words", 3), ("stopword_ratio", 3), ("ends_with_terminal", 3), ("titlecase_ratio", 3),
            ("kw_total", 3), ("prose", 3), ("prose", 10))


def _names() -> tuple[str, ...]:
    keyword_names, _ = text_keywords()
    names = list(_LOCAL)
    names += [f"kw_{k}" for k in keyword_names]
    names += ["kw_total", "prose"]
    names += [f"cut_{c.name.lower()}" for c in Cut]
    names += [
        "line_has_breaks", "log_line_segments", "index_in_line", "line_share", "rel_line",
        "rel_index", "rel_char_pos", "text_share", "log_page_segments", "log_page_chars", "page_stopword_ratio",
        "log_text_repeats", "pair_repeat_share", "dist_to_longest", "prose_before", "prose_after",
    ]
    names += [f"prose_density{r}" for r in _DENSITY_RADII]
    names += ["dist_to_prose_peak", "log_gap_to_prose_peak", "log_comments_before", "log_timestamps_before"]
    names += ["marker", "page_prose_share", "page_marker_share"]
    names += [f"page_kw_{k}" for k in _PAGE_GROUPS if k in keyword_names]
    names += [f"win{r}_{key}" for key, r in _WINDOWS]
    names += [f"{key}@{off:+d}" for off in _OFFSETS for key in _CONTEXT_KEYS]
    return tuple(names)


TEXT_FEATURE_NAMES: tuple[str, ...] = _names()


def segment_features(segments: Sequence[Segment]) -> np.ndarray:
    """Feature matrix of shape ``(len(segments), len(TEXT_FEATURE_NAMES))``, dtype float32."""
    n = len(segments)
    if n == 0:
        return np.zeros((0, len(TEXT_FEATURE_NAMES)), dtype=np.float32)
    texts = [s.text for s in segments]
    tokens = [_WORD.findall(t.lower()) for t in texts]
    raw = [_RAW_TOKEN.findall(t) for t in texts]
    language = page_language([set(t) for t in tokens])
    stop = stopwords().get(language, frozenset()) if language else frozenset()

    chars = np.fromiter(map(len, texts), np.float64, n)
    words = np.fromiter(map(len, tokens), np.float64, n)
    safe_chars = np.maximum(chars, 1.0)
    safe_words = np.maximum(words, 1.0)
    letter_counts, digits, uppers, puncts, separators, cjk = count_classes(CHAR_CLASSES, texts)
    letters = np.maximum(letter_counts, 1.0)
    stops = np.fromiter((sum(map(stop.__contains__, t)) for t in tokens), np.float64, n)
    word_chars = np.fromiter((sum(map(len, t)) for t in tokens), np.float64, n)
    titled = [[bool(_TITLE_WORD.match(w)) for w in r] for r in raw]
    title_run = np.fromiter((_longest_run(t) for t in titled), np.float64, n)
    title_words = np.fromiter((sum(t) for t in titled), np.float64, n)
    allcaps = np.fromiter((sum(len(w) > 1 and w.isupper() for w in r) for r in raw), np.float64, n)
    safe_raw = np.maximum(np.fromiter(map(len, raw), np.float64, n), 1.0)
    stop_ratio = stops / safe_words
    terminal = np.fromiter((t[-1] in _TERMINAL for t in texts), np.float64, n)
    first = [_first_letter(t) for t in texts]
    starts_lower = np.fromiter((f.islower() for f in first), np.float64, n)
    kw = keyword_hits(texts)
    kw_total = np.minimum(kw.sum(axis=0), 5.0)
    # Prose: words of a segment that looks like running text (stop words, a sentence end).
    prose = words * (stop_ratio >= 0.2) * (terminal > 0) * (words >= 6)
    index = np.arange(n, dtype=np.float64)

    local = {
        "log_chars": np.log1p(chars),
        "log_words": np.log1p(words),
        "mean_word_len": word_chars / safe_words,
        "log_sentences": np.log1p(count_matches(_SENTENCE_END, texts)),
        "ends_with_terminal": terminal,
        "ends_with_colon": np.fromiter((t[-1] == ":" for t in texts), np.float64, n),
        "starts_upper": np.fromiter((f.isupper() for f in first), np.float64, n),
        "starts_lower": starts_lower,
        "starts_with_label": np.fromiter((bool(_LABEL_START.match(t)) for t in texts), np.float64, n),
        "stopword_ratio": stop_ratio,
        "upper_ratio": uppers / letters,
        "titlecase_ratio": title_words / safe_raw,
        "title_run_share": title_run / safe_raw,
        "log_title_run": np.log1p(title_run),
        "allcaps_ratio": allcaps / safe_raw,
        "punct_ratio": puncts / safe_chars,
        "comma_ratio": count_matches(_COMMA, texts) / safe_words,
        "separator_ratio": separators / safe_raw,
        "digit_ratio": digits / safe_chars,
        "cjk_ratio": cjk / safe_chars,
        "timestamp_hits": np.minimum(count_matches(_TIMESTAMP, texts), 5.0),
        "date_hits": np.minimum(count_matches(_DATE, texts), 5.0),
        "url_hits": np.minimum(count_matches(_URL, texts), 5.0),
        "quote_hits": np.minimum(count_matches(_QUOTE, texts), 5.0),
        "ad_marker": np.fromiter((_MARKER_STRIP.sub("", " ".join(t)) in _AD_MARKERS for t in tokens), np.float64, n),
        "credit_hits": np.minimum(count_matches(_CREDIT, texts), 3.0),
        "teaser_label": np.fromiter((bool(_TEASER.match(_MARKER_STRIP.sub("", t[:40]) if t[:1] in "([" else t))
                                     for t in texts), np.float64, n),
    }
    # A short segment that is an ad marker, a credit, a teaser or playlist label, or account
    # links alone: the boilerplate a text dump leaves between an article's sentences.
    # A playlist: short titles that end in a clip's duration, two or more in a row (one
    # alone is as often a comment's or a post's time).
    timed = np.fromiter((bool(_ENDS_WITH_TIME.search(t)) for t in texts), np.float64, n) * (words <= 15)
    playlist = timed * np.maximum(shift(timed, -1), shift(timed, 1)).clip(0, 1)
    account = np.fromiter((bool(t) and all(map(_ACCOUNT_WORDS.__contains__, t)) and bool(_ACCOUNT.search(" ".join(t)))
                           for t in tokens), np.float64, n)
    marker = np.maximum.reduce([local["ad_marker"], account, (words <= 25) * np.maximum.reduce(
        [local["credit_hits"] > 0, local["teaser_label"], playlist]),
        local["teaser_label"] * (local["timestamp_hits"] >= 2) * (words <= 60)])
    extra = {"kw_total": kw_total, "prose": np.log1p(prose), "marker": marker}
    cuts = np.fromiter((int(s.cut) for s in segments), np.int64, n)
    extra["cut_line"] = (cuts == Cut.LINE).astype(np.float64)
    columns = [local[name] for name in _LOCAL]
    columns += list(kw)
    columns += [extra["kw_total"], extra["prose"]]
    columns += [(cuts == c).astype(np.float64) for c in Cut]

    lines = np.fromiter((s.line for s in segments), np.int64, n)
    n_lines = int(lines.max()) + 1
    per_line = np.bincount(lines, minlength=n_lines).astype(np.float64)
    line_chars = np.bincount(lines, weights=chars, minlength=n_lines)
    first_in_line = np.searchsorted(lines, lines, side="left")
    total_chars = float(chars.sum())
    text_counts = Counter(texts)
    pairs = [list(zip(t, t[1:])) for t in tokens]
    pair_counts = Counter(p for ps in pairs for p in set(ps))
    repeated_pairs = np.fromiter((sum(pair_counts[p] > 1 for p in ps) / max(len(ps), 1) for ps in pairs),
                                 np.float64, n)
    longest = int(np.argmax(chars))
    cum_prose = np.cumsum(prose)
    total_prose = max(float(cum_prose[-1]), 1.0)
    columns += [
        np.full(n, float(n_lines > 1)),
        np.log1p(per_line[lines]),
        (index - first_in_line) / np.maximum(per_line[lines] - 1, 1.0),
        chars / np.maximum(line_chars[lines], 1.0),
        lines / max(n_lines - 1, 1),
        index / max(n - 1, 1),
        (np.cumsum(chars) - chars) / max(total_chars, 1.0),
        chars / max(total_chars, 1.0),
        np.full(n, math.log1p(n)),
        np.full(n, math.log1p(total_chars)),
        np.full(n, float(stops.sum()) / max(float(words.sum()), 1.0)),
        np.log1p(np.fromiter((text_counts[t] - 1 for t in texts), np.float64, n)),
        repeated_pairs,
        (index - longest) / max(n, 1),
        (cum_prose - prose) / total_prose,
        (total_prose - cum_prose) / total_prose,
    ]
    # Where the page's running text is densest: the article is one long run of prose;
    # teasers, comments and link lists are prose broken up by names, dates and menus.
    densities = [window_sum(prose, r) for r in _DENSITY_RADII]
    columns += [d / max(float(d.max()), 1.0) for d in densities]
    peak = int(np.argmax(densities[1]))
    non_prose = np.cumsum(prose == 0)
    names_kw = text_keywords()[0]
    comments_kw = kw[names_kw.index("comments")] if "comments" in names_kw else np.zeros(n)
    columns += [
        (index - peak) / max(n, 1),
        np.log1p(np.abs(non_prose - non_prose[peak])),
        np.log1p(np.cumsum(comments_kw) - comments_kw),
        np.log1p(np.cumsum(local["timestamp_hits"]) - local["timestamp_hits"]),
        marker,
        np.full(n, float(prose.sum()) / max(float(words.sum()), 1.0)),
        np.full(n, float(marker.mean())),
    ]
    columns += [np.full(n, math.log1p(float(kw[names_kw.index(k)].sum()))) for k in _PAGE_GROUPS if k in names_kw]
    values = {**local, **extra}
    columns += [window_mean(values[key], radius) for key, radius in _WINDOWS]
    for offset in _OFFSETS:
        columns += [shift(values[key], offset) for key in _CONTEXT_KEYS]
    return np.column_stack(columns).astype(np.float32)


def _first_letter(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            return ch
    return ""


def _longest_run(flags: list[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


__all__ = ["SEGMENT_VERSION", "TEXT_FEATURE_NAMES", "TEXT_FEATURE_VERSION", "segment_features"]
