"""Rebuild the shipped text model ``models/text.joblib``, its manifest and card, from the public datasets.

    python scripts/build_text_model.py --data-dir ../shared/datasets [--jobs 2] [--threads 2]

Renders the labelled HTML pages of the five datasets to plain text, trains the text
model on their fixed training split (seeded: the same data and code give the same
model), then scores it on the test split flattened both ways (line breaks kept; one
line) beside two baselines (keep-all; the C4-style line filter). The scores go into the
manifest and ``models/TEXT_MODEL.md``; the table is printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from boilerplate.persist import atomic_write, manifest_path
from boilerplate.text.evaluate import BASELINES, format_text_table, score_systems
from boilerplate.text.extractor import load_text_extractor
from boilerplate.text.train import load_text_pages, train_text
from boilerplate.train import DATASETS

MODELS = Path(__file__).resolve().parents[1] / "models"
OURS = "boilerplate text"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--cache-dir")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", default=str(MODELS / "text.joblib"))
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for fitting (1 is faster on a machine shared with other jobs)")
    args = parser.parse_args()

    start = time.perf_counter()
    with threadpool_limits(args.threads):
        manifest = train_text(datasets=DATASETS, data_dir=args.data_dir, cache_dir=args.cache_dir,
                              output=args.output, n_jobs=args.jobs, progress=True)
    manifest["threads"] = args.threads
    print(f"trained in {manifest['train_seconds']} s: {manifest['size_bytes']} bytes, threshold {manifest['threshold']}",
          flush=True)
    pages, skipped = load_text_pages(DATASETS, split="test", data_dir=args.data_dir, cache_dir=args.cache_dir,
                                     n_jobs=args.jobs, progress=True)
    extractor = load_text_extractor(args.output)
    with threadpool_limits(1):  # one small page at a time: threads cost more than they give
        results = score_systems({OURS: extractor.extract, **BASELINES}, pages, progress=True)
    manifest["metrics"] = {
        "split": "test",
        "metric": "text-level F1 (4-gram shingles; precision and recall averaged over pages)",
        "text_f1": {flattening: {system: {d: round(s.shingle.f1, 4) for d, s in scores.items()}
                                 for system, scores in by_system.items()}
                    for flattening, by_system in results.items()},
        "test_pages": {d: s.pages for d, s in results["oneline"][OURS].items()},
        "test_pages_left_out": {d: sum(s.dataset == d for s in skipped) for d in DATASETS},
    }
    manifest["build_seconds"] = round(time.perf_counter() - start, 1)
    text = json.dumps(manifest, indent=2) + "\n"
    atomic_write(manifest_path(args.output), lambda handle: handle.write(text.encode("utf-8")))
    table = format_text_table(results)
    card = _card(manifest, table)
    atomic_write(Path(args.output).parent / "TEXT_MODEL.md", lambda handle: handle.write(card.encode("utf-8")))
    print(table)


def _card(manifest: dict, table: str) -> str:
    params = ", ".join(f"{k}={v}" for k, v in manifest["params"].items())
    datasets = "\n".join(f"| {name} | {d['train_pages']} | {d['skipped']} | `{d['sha256'][:12]}…` |"
                         for name, d in manifest["datasets"].items())
    left_out = ", ".join(f"{d} {n}" for d, n in manifest["metrics"]["test_pages_left_out"].items())
    return f"""# Model card: `text.joblib`

The plain-text model shipped with boilerplate, loaded by default by
`boilerplate.extract_text()` / `predict_text()` and `boilerplate extract --text`. It
cleans pages that were already flattened to text (crawl text dumps, scraped text,
copy-pasted pages), with or without their line breaks. Rebuild it, with the same
result, by:

    python scripts/build_text_model.py --data-dir ../shared/datasets --jobs 2

- **What it is**: `TwoPassClassifier` (`boilerplate/text/model.py`): gradient-boosted
  `BlockClassifier`s over {len(manifest['feature_names'])} text-only features per segment (text feature set
  v{manifest['feature_version']}, segmenter v{manifest['segment_version']}), then again with {len(manifest['context_names'])} columns of the first
  pass's P(content) around each segment; each pass is two models cross-fitted by site
  and averaged. Parameters of every model: {params}.
- **Segments**: the input's lines; a line longer than a paragraph (a page flattened to
  one line) is cut at sentence ends and at the edges of menu-like runs, labels,
  timestamps, photo credits, ad markers and repeated phrases (`boilerplate/text/segment.py`).
- **Inline boilerplate**: a segment that is an ad marker, a short photo credit, a short
  teaser or playlist entry (`Related: …`, `Now playing 03:13`) or account links alone
  (`Log In`, `My Account`) has its P(content) capped
  at {manifest['marker_max_proba']}, whatever the model says: the datasets' gold is split on these (some
  keep captions and teasers), and on the training pages' out-of-fold scores the cap
  changed text F1 by −0.0015 to +0.0003 per dataset.
- **Target**: the main text (article); decision threshold {manifest['threshold']}, chosen with the
  text-level metric on the out-of-fold probabilities of the training pages
  (out-of-fold text F1 {manifest['out_of_fold_text_f1']}; by dataset, one line / lines: {_oof(manifest)}).
- **Training data**: the fixed training split (`datasets/splits/`) of five public labelled
  HTML datasets. Each page's blocks are rendered to text, the gold is projected onto
  the blocks (`boilerplate/align.py`), the text is flattened one of two ways (one block
  per line, or all on one line; half the pages each, by hash), segmented, and each
  segment takes the label of the blocks its characters come from; a segment weighs its
  words, scaled so that every page weighs the same (the score is averaged over pages).
  Pages whose gold is mostly absent from the page are left out.
  {manifest['train_pages']} pages, {manifest['train_segments']} segments, {manifest['content_segment_share']:.1%} of them content;
  training (segmenting, features and fitting, rendered pages cached) took {manifest['train_seconds']} s on 2 cores
  shared with other jobs (`--threads {manifest.get('threads', 2)}`).

| dataset | training pages | left out | archive sha256 |
|---|---|---|---|
{datasets}

- **File**: {manifest['size_bytes']} bytes, sha256 `{manifest['sha256']}`; made with
  {', '.join(f'{k} {v}' for k, v in manifest['versions'].items())}.
- **Limits**: the training text is rendered from HTML blocks, so a text dump made by
  another tool (other line breaking, alt texts, no hidden text) differs somewhat; pages
  are English-dominated. Without markup, comments and teasers that read like prose are
  the main errors; short inline boilerplate is dropped only in the forms the markers
  know (a caption without a credit, or a teaser without a label, reads like a sentence
  and is often kept). WCXB's pages (shops, services, listings) are the hardest: its gold
  is often a small part of a page that is mostly prose-like. Loading is refused when the
  file's checksum, the text feature version or the segmenter version does not match the manifest.

## Scores on the test split

Text-level F1 (4-gram shingles; precision and recall averaged over pages) of the text
model and two baselines on the test pages flattened two ways: `lines` (one HTML block
per line) and `oneline` (the whole page on one line). `keep-all` keeps everything;
`line filter` keeps the lines that end in terminal punctuation and have at least three
words (C4's rule for crawl text). Test pages left out (gold mostly absent from the
page): {left_out}.

{table}
"""


def _oof(manifest: dict) -> str:
    scores = manifest.get("out_of_fold_text_f1_by_dataset") or {}
    return ", ".join(f"{d} {s.get('oneline', float('nan')):.3f} / {s.get('lines', float('nan')):.3f}"
                     for d, s in scores.items())


if __name__ == "__main__":
    main()
