"""Feature-group ablation: drop one group of columns at a time and measure the loss.

    python scripts/ablation.py --data-dir ../shared/datasets [--max-iter 150]

Each row trains the first pass without one feature group on the training split and
scores the test split with the page-averaged, token-weighted block F1 that chooses the
threshold in training (``train.page_text_score``), at the best threshold for each model.
The last row adds the context pass to the full feature set.
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from boilerplate.context import context_features
from boilerplate.features import FEATURE_NAMES
from boilerplate.model import BlockClassifier
from boilerplate.train import DATASETS, THRESHOLDS, load_corpus, out_of_fold_proba, page_text_score
from boilerplate.trainset import stack

GROUPS = {
    "text statistics": r"^(log_chars|log_words|mean_word_len|log_sentences|punct_ratio|digit_ratio|upper_ratio|titlecase_ratio|separator_ratio|cjk_ratio|date_hits|ends_with_terminal|text_density)$",
    "links": r"^(link_density|log_links|page_link_density|in_a)$",
    "stop words": r"stopword_ratio",
    "keywords": r"^kw_",
    "container tag": r"^tag_is_",
    "ancestor tags": r"^in_",
    "class/id tokens": r"class_",
    "position and page": r"^(rel_index|rel_char_pos|text_share|log_page_blocks|log_page_chars|dist_to_longest|depth|rel_depth)$",
    "title and repetition": r"^(title_overlap|title_coverage|log_path_count|log_text_repeats|same_path_prev|same_path_next)$",
    "neighbour features": r"@[+-]\d|^win5_",
    "schema.org / OpenGraph": r"^(schema_|og_)",
}


def _score(rows, probas) -> float:
    return max(page_text_score(rows, probas, t, "article") for t in THRESHOLDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    train = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs).rows
    test = load_corpus(DATASETS, split="test", data_dir=args.data_dir, cache_dir=args.cache_dir, n_jobs=args.jobs).rows
    X, y, w, _ = stack(train, "article")
    params = {"max_iter": args.max_iter}
    full = BlockClassifier(**params).fit(X, y, sample_weight=w)
    base = _score(test, [full.content_proba(r.X) for r in test])
    print("| features | columns | test score | change |\n|---|---|---|---|")
    print(f"| all | {len(FEATURE_NAMES)} | {base:.4f} | |", flush=True)
    for name, pattern in GROUPS.items():
        keep = np.array([not re.search(pattern, f) for f in FEATURE_NAMES])
        model = BlockClassifier(**params).fit(X[:, keep], y, sample_weight=w)
        score = _score(test, [model.content_proba(r.X[:, keep]) for r in test])
        print(f"| without {name} | {int(keep.sum())} | {score:.4f} | {score - base:+.4f} |", flush=True)
    oof = out_of_fold_proba(train, target="article", params=params, folds=4)
    extra = np.concatenate([context_features(p, r.paths, r.X) for p, r in zip(oof, train)])
    second = BlockClassifier(**params).fit(np.hstack([X, extra]), y, sample_weight=w)
    probas = [second.content_proba(np.hstack([r.X, context_features(full.content_proba(r.X), r.paths, r.X)])) for r in test]
    score = _score(test, probas)
    print(f"| all + context pass | {len(FEATURE_NAMES)}+{extra.shape[1]} | {score:.4f} | {score - base:+.4f} |")


if __name__ == "__main__":
    main()
