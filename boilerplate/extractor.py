"""The page-level extractor: page → blocks → features → P(content) → main text."""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .blocks import Block, scored_blocks, split_blocks
from .context import context_features
from .decode import decode
from .errors import ModelError
from .features import page_features, word_sequence_keys
from .metrics import tokens
from .parse import parse
from .persist import COMPANIONS, LoadOnce, is_export_of, load_model
from .page import PAGE_TYPES, PageModel, load_page_models, page_summary, top_type, type_columns
from .portable import PortableClassifier
from .vocab import ad_labels

if TYPE_CHECKING:  # scikit-learn is imported only when a joblib model is loaded or trained
    from .model import BlockClassifier

DEFAULT_MODEL_NAME = "default.joblib"
#: Its export to plain arrays (``portable.py``), loaded instead when it matches the joblib file.
PORTABLE_MODEL_NAME = "default.trees.npz"
TARGETS = ("article", "article+comments")


@dataclass(frozen=True, slots=True)
class Extractor:
    """Fitted block classifiers with the decision threshold and target.

    ``classifier`` scores each block from its own features; ``context_classifier``, when
    present, rescores it from those features plus the first pass's probabilities around
    it (``context.py``).
    """

    classifier: BlockClassifier | PortableClassifier
    threshold: float = 0.5
    target: str = "article"
    manifest: dict[str, Any] | None = None
    context_classifier: BlockClassifier | PortableClassifier | None = None
    #: Page-level models (``page.py``) by kind: ``"confidence"`` and ``"page_type"``.
    page_models: dict[str, PageModel] | None = None
    #: A context pass that also reads the page-type model's probabilities (stage
    #: ``context+type``); it scores the pages typed one of ``typed_page_types`` instead of
    #: ``context_classifier``.
    typed_context_classifier: BlockClassifier | PortableClassifier | None = None
    typed_page_types: frozenset[str] = frozenset()
    #: Keep a block that repeats an earlier kept block's words at another DOM path (by
    #: default it is dropped: :func:`drop_repeats`).
    keep_repeats: bool = False
    #: Keep a block outside the page's main container that the model is unsure of (by
    #: default it is dropped: :func:`drop_scattered`).
    keep_scattered: bool = False
    #: Keep a block inside a comment section that the model is less sure of than of the text
    #: outside it (by default it is dropped for the ``article`` target: :func:`drop_comments`).
    keep_comments: bool = False

    @property
    def page_threshold(self) -> float | None:
        """The confidence model's documented cut (``min_confidence`` to empty pages without
        main content), or None without a confidence model."""
        model = (self.page_models or {}).get("confidence")
        return None if model is None or model.threshold is None else float(model.threshold)

    def proba(self, X: np.ndarray, paths: Sequence[str]) -> np.ndarray:
        """P(content) of one page's blocks from their feature matrix and DOM paths."""
        return self._passes(X, paths)[1]

    def _passes(self, X: np.ndarray, paths: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The first pass's P(content), the final one (the context pass's, when there is one),
        and the page summary when the typed pass's gate needed it (else None)."""
        first = self.classifier.content_proba(X)
        if self.context_classifier is None or len(X) == 0:
            return first, first, None
        around = context_features(first, paths, X)
        summary = None
        if self.typed_context_classifier is not None:
            summary = page_summary(X, first)
            vector = self.page_models["page_type"].type_vector(summary)
            if top_type(vector) in self.typed_page_types:
                typed = np.hstack([X, around, type_columns(vector, len(X))])
                return first, self.typed_context_classifier.content_proba(typed), summary
        return first, self.context_classifier.content_proba(np.hstack([X, around])), summary

    def analyze(self, page: Any, *, threshold: float | None = None, headline: bool | None = None,
                min_confidence: float | None = None) -> PageResult:
        """Blocks with P(content) and decisions, the page's confidence that it has main
        content and its page type. Below ``min_confidence`` every block is labelled
        boilerplate; by default (None) no page is emptied. :attr:`page_threshold` is the
        documented cut (about 1% of real pages of unseen sites fall below it)."""
        return self._analyze(page, threshold, headline, min_confidence, page_level=True)

    def _analyze(self, page: Any, threshold: float | None, headline: bool | None, min_confidence: float | None,
                 *, page_level: bool) -> PageResult:
        blocks, proba, labels, confidence, page_type, has_content = self._run(
            page, threshold, headline, min_confidence, page_level=page_level)
        return PageResult(scored_blocks(blocks, proba, labels), confidence, page_type, has_content)

    def _run(self, page: Any, threshold: float | None, headline: bool | None, min_confidence: float | None,
             *, page_level: bool) -> tuple[list[Block], np.ndarray, np.ndarray, float, str | None, bool]:
        """The page's blocks, their P(content) and decisions, and what the page-level models say."""
        document = parse(decode(page))
        blocks = split_blocks(document)
        if not blocks:
            return [], np.zeros(0), np.zeros(0, dtype=bool), 0.0, None, False
        X = page_features(document, blocks)
        first, proba, summary = self._passes(X, [b.path for b in blocks])
        labels = self.decide(blocks, proba, threshold=threshold, headline=headline)
        confidence, page_type = 1.0, None
        if self.page_models and (page_level or min_confidence is not None):
            if summary is None:
                summary = page_summary(X, first)
            if "confidence" in self.page_models:
                confidence = float(self.page_models["confidence"].confidence(summary))
            if "page_type" in self.page_models:
                page_type = str(self.page_models["page_type"].predict(summary))
        has_content = min_confidence is None or confidence >= min_confidence
        if not has_content:
            labels[:] = False
        return blocks, proba, labels, confidence, page_type, has_content

    def predict(self, page: Any, *, threshold: float | None = None, headline: bool | None = None,
                min_confidence: float | None = None) -> list[Block]:
        """The page's blocks with ``proba`` = P(content) and ``label`` = the decision
        (proba ≥ threshold; ``headline`` True/False keeps/drops the headline whatever P;
        none on a page without main content, see :meth:`analyze`)."""
        return self._analyze(page, threshold, headline, min_confidence, page_level=False).blocks

    def score(self, page: Any) -> tuple[list[Block], np.ndarray]:
        """Blocks and their P(content), the model called once for the page."""
        document = parse(decode(page))
        blocks = split_blocks(document)
        if not blocks:
            return [], np.zeros(0)
        return blocks, self.proba(page_features(document, blocks), [b.path for b in blocks])

    def extract(self, page: Any, *, threshold: float | None = None, headline: bool | None = None,
                min_confidence: float | None = None) -> str:
        """The main text: content blocks in page order, separated by blank lines; ``""``
        for a page without main content (see :meth:`analyze`)."""
        blocks, _, labels, *_ = self._run(page, threshold, headline, min_confidence, page_level=False)
        return "\n\n".join([b.text for b, keep in zip(blocks, labels.tolist()) if keep])

    def decide(self, blocks: Sequence[Block], proba: np.ndarray, *, threshold: float | None = None,
               headline: bool | None = None) -> np.ndarray:
        """Content or not per block from P(content): the threshold, then the repeat rule
        (unless ``keep_repeats``), the ad-label rule, the main-container rule (unless
        ``keep_scattered``) and, for the ``article`` target, the comment rule (unless
        ``keep_comments``), then the headline option."""
        labels = proba >= (self.threshold if threshold is None else threshold)
        if not self.keep_repeats:
            labels = drop_repeats(blocks, labels)
        labels = drop_ad_labels(blocks, labels)
        if not self.keep_scattered:
            labels = drop_scattered(blocks, labels, proba)
        if self.target == "article" and not self.keep_comments:
            labels = drop_comments(blocks, labels, proba)
        if headline is not None:
            index = headline_index(blocks)
            if index is not None:
                labels[index] = headline
        return labels


@dataclass(frozen=True, slots=True)
class PageResult:
    """One page's blocks with their decisions, and what the page-level models say of it.

    ``confidence`` is P(the page has main content) (1.0 without a confidence model);
    ``has_content`` whether it passed the cut (when not, every block is boilerplate);
    ``page_type`` one of ``page.PAGE_TYPES``, or None without a page-type model.
    """

    blocks: list[Block]
    confidence: float
    page_type: str | None
    has_content: bool

    @property
    def text(self) -> str:
        return blocks_text(self.blocks)


#: A kept block of at least this many tokens whose text repeats a kept block earlier on the
#: page, at another DOM path, is dropped (``drop_repeats``).
REPEAT_MIN_TOKENS = 4


def drop_repeats(blocks: Sequence[Block], labels: np.ndarray) -> np.ndarray:
    """Unlabel a kept block whose lower-cased ``\\w+`` tokens (at least ``REPEAT_MIN_TOKENS``)
    equal those of an earlier kept block at a different DOM path: a second copy of the same
    text in another container (a responsive mobile/desktop copy, a spec list or tooltip
    rendered twice, a repeated "Description" panel) is one paragraph of main text, not two.
    Repeats at the same path (sibling paragraphs that say the same) are kept. On the
    training split's out-of-fold predictions this raised mean text F1 and no dataset lost
    more than 0.001; it cut WCXB's duplicated product, forum and listing text most.
    """
    kept = np.flatnonzero(labels).tolist()
    if len(kept) < 2:
        return labels
    first: dict[Hashable, int] = {}
    for i, (words, key) in zip(kept, word_sequence_keys([blocks[i].text for i in kept])):
        if words < REPEAT_MIN_TOKENS:
            continue
        j = first.setdefault(key, i)
        if blocks[j].path != blocks[i].path and tokens(blocks[j].text) == tokens(blocks[i].text):  # not a collision
            labels[i] = False
    return labels


#: An ad slot's label is short: longer blocks are not tokenized to check.
_AD_LABEL_MAX_CHARS = 40


def drop_ad_labels(blocks: Sequence[Block], labels: np.ndarray) -> np.ndarray:
    """Unlabel a kept block whose whole text is an advertising label ("Advertisement",
    "Sponsored", …: the ``advert`` phrases of ``data/keywords.json``). Inside an article's
    container the context pass lifts such a slot's label with the paragraphs around it. On
    the training split's out-of-fold predictions it unlabelled 75 kept blocks, and no
    dataset's text F1 fell (CleanEval, L3S-GN1 and Readability +0.0001 to +0.0002)."""
    labels_of_ads = ad_labels()
    for i in np.flatnonzero(labels).tolist():
        text = blocks[i].text
        if len(text) <= _AD_LABEL_MAX_CHARS and tuple(tokens(text)) in labels_of_ads:
            labels[i] = False
    return labels


#: The page's main container is the parent of the deepest element that holds two kept
#: blocks or more and at least this share of the kept words (``drop_scattered``).
MAIN_CONTAINER_SHARE = 0.8
#: A kept block outside the main container stays if its P(content) is at least this.
SCATTERED_MIN_PROBA = 0.9


def drop_scattered(blocks: Sequence[Block], labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Unlabel a kept block that lies outside the page's main container, unless the model
    is sure of it (P at least ``SCATTERED_MIN_PROBA``). The main container is the parent of
    the deepest element that holds two kept blocks or more and ``MAIN_CONTAINER_SHARE`` of
    the kept words: the article's body and what sits beside it (headline, byline, lead
    image). Without one (blocks without ``ancestors``) nothing changes. What it drops is the
    stray chrome a page keeps around its article: a teaser in the footer, a card in a side
    rail, a dialog. On the training split's out-of-fold predictions (two seeds) it raised
    every dataset's text F1, the mean by 0.004 (``scripts/decision_rules.py``).
    """
    kept = np.flatnonzero(labels)
    if kept.size < 2:
        return labels
    chains = [blocks[i].ancestors for i in kept.tolist()]
    if not all(chains):
        return labels
    cumulative = np.cumsum([len(blocks[i].text.split()) for i in kept.tolist()], dtype=np.float64)
    total = float(cumulative[-1])
    if total == 0:
        return labels
    # An element holding more than half the kept words holds a run of kept blocks (its
    # descendants are contiguous in page order) through the block at the words' middle, so
    # the heavy element is that block's innermost ancestor whose run is long and heavy enough.
    middle = int(np.searchsorted(cumulative, total / 2))
    chain, lo, hi = chains[middle], middle, middle
    for depth in range(len(chain) - 1, -1, -1):
        lo, hi = _run_within(chains, chain[depth], lo, hi)
        if hi > lo and cumulative[hi] - (cumulative[lo - 1] if lo else 0.0) >= MAIN_CONTAINER_SHARE * total:
            break
    else:
        return labels
    if depth > 0:
        lo, hi = _run_within(chains, chain[depth - 1], lo, hi)  # the heavy element's parent
    outside = np.concatenate([kept[:lo], kept[hi + 1:]])
    labels[outside[proba[outside] < SCATTERED_MIN_PROBA]] = False
    return labels


def _run_within(chains: list[tuple[int, ...]], number: int, lo: int, hi: int) -> tuple[int, int]:
    """The run ``lo..hi`` of kept blocks widened to every neighbour inside element ``number``
    (which holds the whole run)."""
    while lo > 0 and number in chains[lo - 1]:
        lo -= 1
    while hi < len(chains) - 1 and number in chains[hi + 1]:
        hi += 1
    return lo, hi


#: Class/id words (whole ``[a-z]+`` tokens, lower-cased) that mark a comment section.
COMMENT_SECTION_WORDS = frozenset({"comment", "comments", "commentlist", "disqus", "reply", "replies", "respond"})
#: The comment rule acts only when the kept text outside comment sections holds at least
#: this many words and the model is surer of it than of the kept comments: its mean P
#: (weighted by words) is at least ``COMMENT_RULE_MARGIN`` above theirs.
COMMENT_RULE_MIN_WORDS = 25
COMMENT_RULE_MARGIN = 0.15
_CLASS_ID_WORD = re.compile(r"[a-z]+")
_TAG_NAME = re.compile(r"[^#.]*")


def drop_comments(blocks: Sequence[Block], labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Unlabel the kept blocks inside a comment section (an element in the block's path
    whose class or id holds a word of ``COMMENT_SECTION_WORDS``) when the model ranks them
    below the kept text outside such sections: that text holds ``COMMENT_RULE_MIN_WORDS``
    or more and its mean P(content) (weighted by words) is ``COMMENT_RULE_MARGIN`` above
    theirs. Readers' comments under an article are not its text; on a forum or Q&A page,
    where the model is as sure of the posts as of anything else, nothing changes.
    With both passes trained on the other four datasets, it raised held-out Dragnet's text
    F1 from 0.841 to 0.869 and L3S-GN1's from 0.924 to 0.929, and moved no other held-out
    dataset by more than 0.002."""
    kept = np.flatnonzero(labels)
    inside = np.array([in_comment_section(blocks[i].path) for i in kept.tolist()], dtype=bool)
    if not inside.any():
        return labels
    words = np.array([len(blocks[i].text.split()) for i in kept.tolist()], dtype=np.float64)
    if words[~inside].sum() < COMMENT_RULE_MIN_WORDS:
        return labels
    p, weights = proba[kept], words + 1
    surer_outside = (np.average(p[~inside], weights=weights[~inside])
                     - np.average(p[inside], weights=weights[inside]))
    if surer_outside >= COMMENT_RULE_MARGIN:
        labels[kept[inside]] = False
    return labels


@lru_cache(maxsize=65536)
def in_comment_section(path: str) -> bool:
    """Whether a block's DOM path (``Block.path``: ``tag#id.class…`` labels joined by
    ``>``) has an element whose class or id holds a word of ``COMMENT_SECTION_WORDS``."""
    for label in path.split(">"):
        class_and_id = label[_TAG_NAME.match(label).end():].lower()
        if class_and_id and not COMMENT_SECTION_WORDS.isdisjoint(_CLASS_ID_WORD.findall(class_and_id)):
            return True
    return False


def without_rules(extractor: Extractor, *, repeats: bool = False, scattered: bool = False,
                  comments: bool = False) -> Extractor:
    """The extractor with the repeat rule (``repeats``), the main-container rule
    (``scattered``) and/or the comment rule (``comments``) turned off; the extractor itself
    when none is asked for."""
    if not (repeats or scattered or comments):
        return extractor
    return replace(extractor, keep_repeats=extractor.keep_repeats or repeats,
                   keep_scattered=extractor.keep_scattered or scattered,
                   keep_comments=extractor.keep_comments or comments)


def headline_index(blocks: Sequence[Block]) -> int | None:
    """The page's headline: its first ``h1`` block, if it has one.

    Datasets disagree on whether the headline is main content (L3S-GN1 and WCXB keep it,
    CleanEval's gold often does not), so the model learns a mixture; ``headline=True``
    or ``False`` in :meth:`Extractor.extract` makes it a decision of the caller's.
    """
    return next((b.index for b in blocks if b.tag == "h1"), None)


def blocks_text(blocks: list[Block]) -> str:
    """Text of the blocks labelled content, paragraphs separated by blank lines."""
    return "\n\n".join(b.text for b in blocks if b.label)


def load_extractor(path: str | os.PathLike[str]) -> Extractor:
    """An :class:`Extractor` from a model file written by ``boilerplate train``.

    When the manifest names a context-pass file (and a typed context pass), those files are
    loaded too, and each checksum must be the one the main manifest recorded.
    """
    classifier, manifest = load_model(path)
    context, typed = (_companion(Path(path), manifest, key, stage) for key, stage, _ in COMPANIONS)
    page_models = _page_models(Path(path))
    if typed is not None and "page_type" not in (page_models or {}):
        raise ModelError(f"{path}: its typed context pass reads page types, but {page_models_path(Path(path)).name} "
                         "has no page-type model")
    typed_types = frozenset(manifest.get("typed_page_types") or ()) if typed is not None else frozenset()
    if typed is not None and (context is None or not typed_types <= set(PAGE_TYPES)):
        raise ModelError(f"{path}: a typed context pass needs a context pass and page types among {PAGE_TYPES}")
    return Extractor(classifier=classifier, threshold=float(manifest["threshold"]), target=str(manifest["target"]),
                     manifest=manifest, context_classifier=context, page_models=page_models,
                     typed_context_classifier=typed, typed_page_types=typed_types)


def _companion(path: Path, manifest: dict[str, Any], key: str, stage: str):
    """The classifier of the file the main manifest names under ``<key>_model``, checked
    against the checksum it recorded (``<key>_sha256``) and the stage it must be; None
    when the manifest names none."""
    if not manifest.get(f"{key}_model"):
        return None
    companion_path = path.parent / manifest[f"{key}_model"]
    classifier, companion_manifest = load_model(companion_path)
    if companion_manifest.get("sha256") != manifest.get(f"{key}_sha256") or companion_manifest.get("stage") != stage:
        raise ModelError(f"{companion_path}: is not the {stage} pass that {path.name} was saved with")
    return classifier


def page_models_path(model_path: Path) -> Path:
    """Where a model's page-level models are: ``<name>.page.json`` beside it
    (``default.page.json`` for ``default.joblib`` and its export ``default.trees.npz``)."""
    return model_path.with_name(f"{model_path.name.split('.')[0]}.page.json")


def _page_models(model_path: Path) -> dict[str, PageModel] | None:
    path = page_models_path(model_path)
    if not path.is_file():
        return None
    try:
        return load_page_models(path.read_bytes())
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def default_model_path() -> Path:
    """The shipped model file (``BOILERPLATE_MODEL`` overrides it): the portable export
    when its manifest says it was made from the joblib file as it is now, else that file."""
    override = os.environ.get("BOILERPLATE_MODEL")
    if override:
        return Path(override)
    models = resources.files("boilerplate.models")
    source, portable = Path(str(models / DEFAULT_MODEL_NAME)), Path(str(models / PORTABLE_MODEL_NAME))
    return portable if is_export_of(portable, source) else source


_shipped = LoadOnce(default_model_path, load_extractor, "python scripts/build_model.py")


def default_extractor() -> Extractor:
    """The shipped model, loaded once on first use."""
    return _shipped.get()


def _resolve(model: Extractor | str | os.PathLike[str] | None) -> Extractor:
    if model is None:
        return default_extractor()
    if isinstance(model, Extractor):
        return model
    return load_extractor(model)


def predict(page: Any, *, model: Extractor | str | os.PathLike[str] | None = None,
            threshold: float | None = None, headline: bool | None = None) -> list[Block]:
    """Blocks of ``page`` (str, bytes or BeautifulSoup) with ``label`` and ``proba``."""
    return _resolve(model).predict(page, threshold=threshold, headline=headline)


def extract(page: Any, *, model: Extractor | str | os.PathLike[str] | None = None,
            threshold: float | None = None, headline: bool | None = None) -> str:
    """Main text of ``page``; an empty page gives ``""``. ``headline``: keep (True) or
    drop (False) the page's headline whatever the model says (default: as it says)."""
    return _resolve(model).extract(page, threshold=threshold, headline=headline)
