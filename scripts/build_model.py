"""Rebuild the shipped model ``models/default.joblib`` and its card from the public datasets.

    python scripts/tune.py --data-dir ../shared/datasets --json models/tuning.json   # optional: re-choose the size
    python scripts/build_model.py --data-dir ../shared/datasets [--jobs 2]
    python scripts/build_model.py --data-dir ../shared/datasets --rescore   # rescore the model as it is

Trains on the fixed training split of all five datasets (seeded: the same data and
code give the same model) with the tree size that ``scripts/tune.py`` chose by
cross-validation grouped by site (``models/tuning.json``), evaluates on the test split
beside trafilatura, records the scores in the manifest and writes ``models/README.md``.
``--rescore`` trains nothing: it scores the model files as they are and rewrites the
scores their manifests record and the card, for a change to the decision or the
evaluation code that leaves the trees alone (the files' checksums do not change).

The page-level models beside it (``models/default.page.json``, made by
``scripts/page_models.py``) are read, not refitted: their page-type model types the pages
that the typed context pass scores (``--typed-page-types``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from boilerplate.context import CONTEXT_NAMES
from boilerplate.extractor import page_models_path
from boilerplate.model import BlockClassifier
from boilerplate.page import PAGE_TYPES, load_page_models
from boilerplate.persist import atomic_write, export_portable, manifest_path
from boilerplate.report import evaluate_model
from boilerplate.train import DATASETS, train
from tune import CANDIDATES  # scripts/ is on the path when this runs as a script

MODELS = Path(__file__).resolve().parents[1] / "models"
#: The page types whose pages a typed context pass scores (none: the shipped model has no
#: typed pass). ``product,forum`` was tried: on the training split, out of fold
#: (``scripts/decision_rules.py --page-type-context``), it raised WCXB products by
#: 0.023 / 0.007 and forums by 0.015 / 0.004 (seeds 0 / 1) at an unchanged mean, but the
#: full build moved the test split's products from 0.529 to 0.528 and services from 0.838
#: to 0.822 (README, "Page type and page confidence").
TYPED_PAGE_TYPES: tuple[str, ...] = ()


#: Boosted models averaged in each pass (``BlockClassifier(n_members=…)``). Two (each with
#: half the trees) are more accurate (README, "Two models per pass") but 20-25% slower to
#: predict, past the speed target, so the shipped model is one.
MEMBERS = 1


def members_params(params: dict, members: int) -> dict:
    """The tuned parameters as ``members`` averaged models that share the tuned number of
    trees, so the portable file keeps its size."""
    if members < 1:
        raise SystemExit("--members must be at least 1")
    if members == 1:
        return dict(params)
    max_iter = int(params.get("max_iter", BlockClassifier().max_iter))
    return {**params, "max_iter": max(1, max_iter // members), "n_members": members}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", default=str(MODELS / "default.joblib"))
    parser.add_argument("--peers", default="trafilatura,justext,readability-lxml",
                        help="comma-separated peers for the card's table (pip install -e .[bench])")
    parser.add_argument("--tuning", default=str(MODELS / "tuning.json"),
                        help="scripts/tune.py's output: its chosen parameters are used")
    parser.add_argument("--typed-page-types", default=",".join(TYPED_PAGE_TYPES),
                        help="comma-separated page types scored by the typed context pass ('' for none)")
    parser.add_argument("--members", type=int, default=MEMBERS,
                        help="boosted models averaged per pass, sharing the tuned number of trees (1: one model)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override one tuned parameter of each member, e.g. learning_rate=0.2 (repeatable)")
    parser.add_argument("--rescore", action="store_true",
                        help="train nothing: score the model files as they are, rewrite their recorded scores and card")
    args = parser.parse_args()
    tuning = json.loads(Path(args.tuning).read_text("utf-8")) if args.tuning else None
    params = {**members_params(tuning["chosen"] if tuning else {}, args.members), **_overrides(args.param)}
    output = Path(args.output)
    portable_path = output.with_name(f"{output.stem}.trees.npz")  # what extract() loads

    start = time.perf_counter()
    if args.rescore:
        manifest = json.loads(manifest_path(output).read_text("utf-8"))
    else:
        typed = [t for t in args.typed_page_types.split(",") if t]
        page_models_file = page_models_path(output)  # scripts/page_models.py's; rewritten only for a typed pass
        page_models = load_page_models(page_models_file.read_bytes()) if typed and page_models_file.is_file() else None
        manifest = train(datasets=DATASETS, data_dir=args.data_dir, cache_dir=args.cache_dir, output=output,
                         params=params, n_jobs=args.jobs, progress=True, typed_page_types=typed,
                         page_models=page_models)
    report = evaluate_model(model=output, datasets=DATASETS, data_dir=args.data_dir, cache_dir=args.cache_dir,
                            peers=[p for p in args.peers.split(",") if p], n_jobs=args.jobs, progress=True)
    manifest["metrics"] = _metrics(report)
    if not args.rescore:
        manifest["build_seconds"] = round(time.perf_counter() - start, 1)
    _write_json(manifest_path(output), manifest)
    if args.rescore:
        portable = json.loads(manifest_path(portable_path).read_text("utf-8"))
        portable["metrics"] = manifest["metrics"]
        _write_json(manifest_path(portable_path), portable)
    else:
        portable = export_portable(output, portable_path)
    manifest["portable"] = {"file": portable["model_file"], "size_bytes": portable["size_bytes"],
                            "sha256": portable["sha256"]}
    card = _card(manifest, report.markdown(), tuning)
    atomic_write(output.parent / "README.md", lambda handle: handle.write(card.encode("utf-8")))
    print(report.markdown())


def _overrides(pairs: list[str]) -> dict:
    """``NAME=VALUE`` pairs as parameters, each value read as JSON (a number) or kept as text."""
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--param {pair!r}: expected NAME=VALUE")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def _write_json(path: Path, value: dict) -> None:
    text = json.dumps(value, indent=2) + "\n"
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def _metrics(report) -> dict:
    """The scores a manifest records: text F1 per dataset, WCXB word F1, block F1."""
    ours = report.results["boilerplate"]
    return {
        "split": "test",
        "text_f1": {d: round(s.shingle.f1, 4) for d, s in ours.items()},
        "wcxb_word_f1": round(ours["wcxb"].word_f1, 4) if "wcxb" in ours else None,
        "block_f1": {d: round(s.f1, 4) for d, s in report.blocks.items()},
    }


def _tuning_table(tuning: dict | None) -> str:
    if not tuning:
        return "Default parameters (no `--tuning` file)."
    rows = "\n".join(
        f"| {r['params']['max_iter']} | {r['params']['learning_rate']} | {r['params']['max_leaf_nodes']} | "
        f"{r['f1']:.4f} | {r['log_loss']:.4f} | {r['walk_ms_per_page']:.3f} |"
        + (" chosen |" if r["params"] == tuning["chosen"] else " |")
        for r in tuning["results"])
    fitted = "the whole two-pass model" if tuning.get("two_pass") else "the first pass"
    tried = [r["params"] for r in tuning["results"]]
    candidates = (f" --candidates {','.join(str(CANDIDATES.index(p)) for p in tried)}"
                  if all(p in CANDIDATES for p in tried) else "")  # else tune.py's list has changed since
    command = (f"python scripts/tune.py --data-dir ../shared/datasets --folds {tuning['folds']}"
               + (" --two-pass" if tuning.get("two_pass") else "") + candidates
               + f" --tolerance {tuning['tolerance']} --json models/tuning.json")
    return (f"`{command}` fitted {fitted} on the training split's sites in {tuning['folds']} folds "
            "grouped by site and scored the held-out sites (page-averaged token F1 at each candidate's best "
            "threshold, block log-loss), and timed the compiled tree walk. Rule: the fastest candidate within "
            f"{tuning['tolerance']} F1 of the best. The test split is not read.\n\n"
            "| iterations | learning rate | leaves | CV F1 | CV log-loss | tree walk ms/page | |\n"
            "|---|---|---|---|---|---|---|\n" + rows)


def _passes(manifest: dict) -> str:
    count = 1 + bool(manifest.get("context_model")) + bool(manifest.get("typed_context_model"))
    return {1: "one `BlockClassifier`", 2: "two `BlockClassifier`s", 3: "three `BlockClassifier`s"}[count]


def _typed_pass(manifest: dict) -> str:
    if not manifest.get("typed_context_model"):
        return ""
    types = " or ".join(manifest.get("typed_page_types", []))
    return (f"\n  On pages that the page-type model (`default.page.json`) types {types}, the typed context pass "
            f"(`{manifest['typed_context_model']}`) scores the blocks instead: it reads the context pass's "
            f"columns plus the page's {len(PAGE_TYPES)} page-type probabilities (cross-fitted by site for "
            "WCXB's training pages).")


def _card(manifest: dict, table: str, tuning: dict | None = None) -> str:
    params = ", ".join(f"{k}={v}" for k, v in manifest["params"].items())
    datasets = "\n".join(f"| {name} | {d['train_pages']} | {d['skipped']} | `{d['sha256'][:12]}…` |"
                         for name, d in manifest["datasets"].items())
    return f"""# Model card: `default.joblib`

The block classifier shipped with boilerplate and loaded by default by
`boilerplate.extract()` / `predict()`. Rebuild it, with the same result, by:

    python scripts/build_model.py --data-dir ../shared/datasets --jobs 2

- **What it is**: {_passes(manifest)} (scikit-learn `HistGradientBoostingClassifier`).
  The first pass reads {len(manifest['feature_names'])} features per text block (feature set
  v{manifest['feature_version']}, blocks v{manifest['blocks_version']}); the context pass
  (`{manifest.get('context_model', 'none')}`) reads the same plus {len(CONTEXT_NAMES)} context features
  (v{manifest.get('context_version')}: the first pass's probabilities around the block, and where
  it sits relative to the page's headline), and was fitted on out-of-fold first-pass probabilities
  ({manifest.get('context_folds', 0)} folds by site).{_typed_pass(manifest)} Parameters of every pass: {params}.
- **Target**: `{manifest['target']}` (the main text; user comments are not content).
  Decision threshold {manifest['threshold']}, chosen on a fifth of the training sites held out;
  then a kept block that repeats an earlier kept block's words at another DOM path is
  dropped (`extractor.drop_repeats`), so is a kept advertising label
  (`extractor.drop_ad_labels`), and so is a kept block outside the page's main container
  with P under 0.9 (`extractor.drop_scattered`); for the `article` target, last, kept
  blocks in comment sections are dropped when the model is surer, by 0.15 in mean P, of
  the kept text outside them (`extractor.drop_comments`); each rule was chosen on out-of-fold
  predictions of the training split: `python scripts/decision_rules.py --data-dir ../shared/datasets`.
- **Training data**: the fixed training split (`datasets/splits/`) of five public labelled
  datasets; block labels come from projecting the gold text onto the blocks
  (`boilerplate/align.py`). Pages whose gold is mostly absent from the page are left out.
  {manifest['train_pages']} pages, {manifest['train_blocks']} blocks, {manifest['content_block_share']:.1%} of them content;
  fitting took {manifest['train_seconds']} s on 2 cores.

| dataset | training pages | left out | archive sha256 |
|---|---|---|---|
{datasets}

- **File**: {manifest['size_bytes']} bytes, sha256 `{manifest['sha256']}`; made with
  {', '.join(f'{k} {v}' for k, v in manifest['versions'].items())}.
- **Limits**: trained on English-dominated pages from 2007–2013 plus WCXB's 2025–26
  pages; page types other than articles are fewer in training. Loading is refused when the
  file's checksum or the feature version does not match the manifest.

## Files: joblib and portable

- `default.joblib` + `default.json`: the fitted scikit-learn estimator, pickled. Loads only
  under a compatible scikit-learn, and unpickling runs code: it is opened only when its
  manifest and sha256 match.
- `{manifest['portable']['file']}` + `default.trees.json` ({manifest['portable']['size_bytes']} bytes, sha256
  `{manifest['portable']['sha256'][:12]}…`): the same trees as plain numpy arrays
  (`boilerplate/portable.py`), read with `allow_pickle=False`; nothing runs on load and
  no scikit-learn is needed to predict, so it keeps loading after a scikit-learn upgrade.
  Raw scores are bit-identical to the joblib model's. `extract()` loads this file when its
  manifest says it was exported from `default.joblib` as it is; re-export with
  `python scripts/export_portable.py` (the build above does it).

## Tree size, chosen by cross-validation

{_tuning_table(tuning)}

## Scores on the test split

Made by the command above, or by the same with `--rescore`, which trains nothing (peers
run in the same process on the same pages).

{table}
"""


if __name__ == "__main__":
    main()
