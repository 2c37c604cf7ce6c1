"""Fit and evaluate the page-level models (page type, page confidence) on the public datasets.

    python scripts/page_models.py --data-dir ../shared/datasets [--cache-dir DIR] [--output page.json]

Training pages get out-of-fold first-pass probabilities from a cheap first pass (4 folds by
site, as ``train.out_of_fold_proba``), and their chrome-only pages (``page.chrome_only``) are
scored by the same fold's model (the four fold models are cached under ``<cache>/page-dev``,
a development cache: a joblib pickle, never shipped). Test pages,
and their chrome-only pages, are scored by the shipped model's first pass, which was fitted
on the training split only. Nothing is tuned on the test split: it is only reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path

import joblib
import numpy as np

from boilerplate.page import (
    PAGE_TYPES, PageModel, chrome_only, fit_page_confidence, fit_page_type, page_models_json, page_summary, summaries,
)
from boilerplate.train import DATASETS, _fit, fold_of, load_corpus
from boilerplate.trainset import _code_hash

REPO = Path(__file__).resolve().parents[1]
#: The cheap first pass of the development runs (the real build uses its own out-of-fold pass).
DEV_PARAMS = {"max_iter": 80, "learning_rate": 0.2, "max_leaf_nodes": 31, "min_samples_leaf": 40,
              "class_weight": "balanced", "random_state": 0}
log = logging.getLogger("page_models")


def fold_models(rows, *, params: dict, folds: int) -> list:
    """The first pass fitted without each fold's sites (the folds of ``train.out_of_fold_proba``)."""
    keys = [fold_of(f"{r.dataset}:{r.group}", folds) for r in rows]
    models = []
    for k in range(folds):
        start = time.perf_counter()
        models.append(_fit([r for r, key in zip(rows, keys) if key != k], "article", params))
        log.info("fold %d: %.0f s", k, time.perf_counter() - start)
    return models


def oof_with_negatives(rows, models: list) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Out-of-fold P(content) of every training page and of its chrome-only page, each from
    the model of the folds its site is not in."""
    first, negative = [], []
    for r in rows:
        model = models[fold_of(f"{r.dataset}:{r.group}", len(models))]
        first.append(model.content_proba(r.X))
        chrome = chrome_only(r)
        negative.append(None if chrome is None else model.content_proba(chrome))
    return first, negative


def cached(path: Path, make):
    if path.is_file():
        return joblib.load(path)
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(value, path)
    return value


def rows_key(rows, extra: str) -> str:
    digest = hashlib.sha256(f"{_code_hash()}/{extra}".encode())
    for r in rows:
        digest.update(f"{r.dataset}:{r.page_id}:{len(r.texts)}".encode())
    return digest.hexdigest()[:16]


def shipped_first_pass(rows, model_path: Path) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    from boilerplate.extractor import load_extractor

    classifier = load_extractor(model_path).classifier
    first = [classifier.content_proba(r.X) for r in rows]
    negative = []
    for r in rows:
        chrome = chrome_only(r)
        negative.append(None if chrome is None else classifier.content_proba(chrome))
    return first, negative


def confusion(y: np.ndarray, predicted: np.ndarray, classes) -> str:
    lines = ["| gold \\ predicted | " + " | ".join(classes) + " | recall |", "|---" * (len(classes) + 2) + "|"]
    for c in classes:
        counts = [int(((y == c) & (predicted == p)).sum()) for p in classes]
        total = int((y == c).sum())
        lines.append(f"| {c} | " + " | ".join(map(str, counts)) + f" | {counts[classes.index(c)] / max(total, 1):.2f} |")
    return "\n".join(lines)


def report_type(model: PageModel, test_rows, test_first) -> dict:
    S = summaries(test_rows, test_first)
    predicted = np.array(model.predict(S)) if len(S) else np.array([])
    wcxb = np.array([r.page_type in PAGE_TYPES for r in test_rows])
    y = np.array([r.page_type for r in test_rows], dtype=object)
    acc = float((predicted[wcxb] == y[wcxb]).mean())
    classes = list(model.classes)
    balanced = float(np.mean([(predicted[wcxb & (y == c)] == c).mean() for c in classes if (wcxb & (y == c)).any()]))
    majority = Counter(y[wcxb]).most_common(1)[0]
    others = {}
    for name in sorted({r.dataset for r in test_rows}):
        mask = np.array([r.dataset == name for r in test_rows]) & ~wcxb
        if mask.any():
            others[name] = {"pages": int(mask.sum()), "article_share": round(float((predicted[mask] == "article").mean()), 3),
                            "predicted": dict(Counter(predicted[mask]).most_common())}
    print(f"\n## Page type\n\nC={model.info['C']}, balanced={model.info['balanced']}; grouped CV on "
          f"{model.info['pages']} WCXB training pages: accuracy {model.info['cv_accuracy']:.3f}, balanced accuracy "
          f"{model.info['cv_balanced_accuracy']:.3f}; CV log loss by C {model.info['cv_log_loss']}")
    print(f"WCXB test: {int(wcxb.sum())} pages, accuracy {acc:.3f} (majority class '{majority[0]}': "
          f"{majority[1] / wcxb.sum():.3f}), balanced accuracy {balanced:.3f}\n")
    print(confusion(y[wcxb], predicted[wcxb], classes))
    print("\nOther datasets' test pages (nearly all articles):")
    for name, o in others.items():
        print(f"- {name}: {o['pages']} pages, predicted article {o['article_share']:.1%}; {o['predicted']}")
    return {"test_pages": int(wcxb.sum()), "test_accuracy": round(acc, 4), "test_balanced_accuracy": round(balanced, 4),
            "majority_share": round(majority[1] / wcxb.sum(), 4), "others": others}


def report_confidence(model: PageModel, test_rows, test_first, test_negative) -> dict:
    real = np.array([model.confidence(page_summary(r.X, p)) for r, p in zip(test_rows, test_first)])
    chrome = {i: float(model.confidence(page_summary(chrome_only(r), q)))
              for i, (r, q) in enumerate(zip(test_rows, test_negative)) if q is not None}
    t = model.threshold
    fake = np.array(list(chrome.values()))
    print(f"\n## Page confidence\n\nC={model.info['C']}; threshold {t} (the {model.info['max_emptied']:.0%} quantile of "
          f"the real pages' out-of-fold confidence); grouped CV on training pages: real pages emptied "
          f"{model.info['cv_real_emptied']:.2%}, chrome-only pages emptied {model.info['cv_chrome_emptied']:.2%}")
    print(f"Test: real pages emptied {(real < t).mean():.2%} ({int((real < t).sum())}/{len(real)}), chrome-only pages "
          f"emptied {(fake < t).mean():.2%} ({int((fake < t).sum())}/{len(fake)})\n")
    print("| dataset | real pages | emptied | chrome-only | emptied |\n|---|---|---|---|---|")
    per = {}
    for name in sorted({r.dataset for r in test_rows}):
        idx = [i for i, r in enumerate(test_rows) if r.dataset == name]
        neg = np.array([chrome[i] for i in idx if i in chrome])
        per[name] = {"real": len(idx), "real_emptied": round(float((real[idx] < t).mean()), 4),
                     "chrome": len(neg), "chrome_emptied": round(float((neg < t).mean()), 4) if len(neg) else None}
        print(f"| {name} | {len(idx)} | {per[name]['real_emptied']:.2%} | {len(neg)} | "
              f"{(neg < t).mean() if len(neg) else float('nan'):.2%} |")
    wcxb_types = {}
    for c in PAGE_TYPES:
        idx = [i for i, r in enumerate(test_rows) if r.page_type == c]
        if idx:
            wcxb_types[c] = round(float((real[idx] < t).mean()), 4)
    print(f"\nWCXB test real pages emptied, by type: {wcxb_types}")
    emptied = [(test_rows[i].dataset, test_rows[i].page_id, test_rows[i].page_type, round(float(real[i]), 3))
               for i in np.flatnonzero(real < t)]
    print(f"Emptied real test pages: {emptied}")
    return {"threshold": t, "test_real_emptied": round(float((real < t).mean()), 4),
            "test_chrome_emptied": round(float((fake < t).mean()), 4), "per_dataset": per, "wcxb_types": wcxb_types,
            "emptied": emptied}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "boilerplate"))
    parser.add_argument("--model", default=str(REPO / "models" / "default.joblib"), help="shipped model, for test pages")
    parser.add_argument("--folds", type=int, default=4, help="out-of-fold first pass")
    parser.add_argument("--balanced", action="store_true", help="page type: class-balanced weights")
    parser.add_argument("--output", help="page models JSON (default <cache>/page-dev/page-models.json)")
    parser.add_argument("--report", help="write the numbers as JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cache = Path(args.cache_dir)
    train = load_corpus(DATASETS, split="train", data_dir=args.data_dir, cache_dir=cache).rows
    test = load_corpus(DATASETS, split="test", data_dir=args.data_dir, cache_dir=cache).rows
    dev = cache / "page-dev"
    models = cached(dev / f"folds-{rows_key(train, json.dumps([DEV_PARAMS, args.folds]))}.joblib",
                    lambda: fold_models(train, params=DEV_PARAMS, folds=args.folds))
    first, negative = oof_with_negatives(train, models)
    test_first, test_negative = shipped_first_pass(test, Path(args.model))

    start = time.perf_counter()
    type_model = fit_page_type(train, first, balanced=args.balanced)
    confidence_model = fit_page_confidence(train, first, negative)
    log.info("page models fitted in %.1f s", time.perf_counter() - start)
    numbers = {"page_type": {**type_model.info, **report_type(type_model, test, test_first)},
               "confidence": {**confidence_model.info, **report_confidence(confidence_model, test, test_first, test_negative)}}
    output = Path(args.output) if args.output else dev / "page-models.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page_models_json(type_model, confidence_model), "utf-8")
    print(f"\nwrote {output}")
    if args.report:
        Path(args.report).write_text(json.dumps(numbers, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
