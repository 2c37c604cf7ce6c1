"""The ``boilerplate`` command: extract, train, evaluate, align-report."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from . import __version__
from .errors import BoilerplateError

_DATA_HELP = "Folder holding the dataset archives (default: $BOILERPLATE_DATA_DIR, else download into the cache)."


class _Group(click.Group):
    """Turns the package's own errors into one clean line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BoilerplateError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="boilerplate")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def main(verbose: bool) -> None:
    """Separate a web page's main content from its boilerplate."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("page", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the blocks with P(content) and label as JSON.")
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--threshold", type=click.FloatRange(0, 1), help="Decision threshold (default: the model's).")
def extract(page, as_json: bool, model: str | None, threshold: float | None) -> None:
    """Print the main text of PAGE (an HTML file, or - for standard input)."""
    from .extractor import default_extractor, load_extractor

    extractor = load_extractor(model) if model else default_extractor()
    data = page.read()
    if not as_json:
        click.echo(extractor.extract(data, threshold=threshold))
        return
    blocks = extractor.predict(data, threshold=threshold)
    payload = {
        "text": "\n\n".join(b.text for b in blocks if b.label),
        "threshold": extractor.threshold if threshold is None else threshold,
        "blocks": [{"index": b.index, "text": b.text, "tag": b.tag, "path": b.path,
                    "proba": round(b.proba, 4), "label": b.label} for b in blocks],
    }
    click.echo(json.dumps(payload, ensure_ascii=False, indent=1))


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False), help=_DATA_HELP)
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache for unpacked data and features.")
@click.option("--datasets", default="cleaneval,dragnet,l3s-gn1,readability,wcxb", show_default=True,
              help="Comma-separated dataset names.")
@click.option("--target", type=click.Choice(["article", "article+comments"]), default="article", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write (.joblib).")
@click.option("--max-iter", type=int, default=300, show_default=True, help="Boosting iterations.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for feature extraction.")
def train(data_dir, cache_dir, datasets, target, output, max_iter, jobs) -> None:
    """Train a model on the training split of the public datasets."""
    from .train import train as run_train

    manifest = run_train(datasets=_names(datasets), data_dir=data_dir, cache_dir=cache_dir, output=output,
                         target=target, params={"max_iter": max_iter}, n_jobs=jobs, progress=True)
    click.echo(f"wrote {output} ({manifest['size_bytes']} bytes, threshold {manifest['threshold']}, "
               f"{manifest['train_pages']} pages, {manifest['train_seconds']} s)")


@main.command()
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--data-dir", type=click.Path(file_okay=False), help=_DATA_HELP)
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache for unpacked data and features.")
@click.option("--datasets", default="cleaneval,dragnet,l3s-gn1,readability,wcxb", show_default=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the scores as JSON here.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for feature extraction.")
@click.option("--peers", default="", help="Comma-separated peers to score beside ours: trafilatura, justext, readability-lxml.")
def evaluate(model, data_dir, cache_dir, datasets, json_out, jobs, peers) -> None:
    """Score a model on the test split: text-level F1 per dataset, WCXB word F1 per page type."""
    from .report import evaluate_model

    report = evaluate_model(model=model, datasets=_names(datasets), data_dir=data_dir, cache_dir=cache_dir,
                            peers=[p.strip() for p in peers.split(",") if p.strip()], n_jobs=jobs, progress=True)
    click.echo(report.markdown())
    if json_out:
        report.write_json(json_out)


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("name at least one dataset", param_hint="--datasets")
    return names


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
