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


def _stops_quietly_when_stdout_closes(command):
    """``boilerplate extract pages/ | head -1``: once the reader of standard output is gone,
    stop as a Unix tool stopped by SIGPIPE does (no traceback, status 141 = 128 + SIGPIPE;
    the output is incomplete, so not 0). Python's idiom: standard output is pointed at
    /dev/null first, so the flush at exit cannot fail again. Workers stop with the run."""
    import functools
    import os

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # no real file descriptor behind sys.stdout (tests)
                pass
            sys.exit(141)

    return wrapper


@main.command()
@click.argument("pages", metavar="PAGE...", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the blocks with P(content) and label as JSON.")
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--threshold", type=click.FloatRange(0, 1), help="Decision threshold (default: the model's).")
@click.option("--text", "as_text", is_flag=True,
              help="PAGE is plain text (a page already flattened to text, UTF-8): use the text model.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Batch: write JSON Lines here; a rerun skips the records already in it (resume).")
@click.option("--workers", type=click.IntRange(1, 256), help="Batch: extraction processes (default 1).")
@click.option("--blocks", is_flag=True, help="Batch: add each record's blocks with P(content) and label.")
@click.option("--retry-errors", is_flag=True, help="Batch: on resume, extract again the records that failed.")
@click.option("-q", "--quiet", is_flag=True, help="Batch: no progress bar and no summary on standard error.")
@click.option("--headline/--no-headline", default=None,
              help="Keep or drop the page's headline (its first h1) whatever the model says (default: as it says).")
@click.option("--keep-repeats", is_flag=True,
              help="Keep a block that repeats an earlier kept block's words elsewhere on the page (default: drop it).")
@click.option("--keep-scattered", is_flag=True,
              help="Keep a block outside the page's main container that the model is unsure of (default: drop it).")
@click.option("--keep-comments", is_flag=True,
              help="Keep a block inside a comment section that the model is less sure of than of the text "
                   "outside it (default: drop it, for the article target).")
@click.option("--min-confidence", metavar="P|auto",
              help="Print nothing for a page whose P(main content) is below P; 'auto': the page model's "
                   "documented threshold (default: never).")
@click.option("--deadline", type=click.FloatRange(0, min_open=True),
              help="Batch: seconds a record may take; past it the record gets a Timeout entry and its worker is replaced.")
@_stops_quietly_when_stdout_closes
def extract(pages: tuple[str, ...], as_json: bool, model: str | None, threshold: float | None, as_text: bool = False,
            output: str | None = None, workers: int | None = None, blocks: bool = False, retry_errors: bool = False,
            quiet: bool = False, deadline: float | None = None, headline: bool | None = None,
            min_confidence: str | None = None, keep_repeats: bool = False, keep_scattered: bool = False,
            keep_comments: bool = False) -> None:
    """Print the main text of PAGE (an HTML file, or - for standard input).

    Batch mode, for several PAGEs, a directory (its .html/.htm/.xhtml/.shtml and suffix-less
    files, recursively; hidden ones left out) or WARC
    files (.warc, .warc.gz: their HTML responses), or with -o/--workers/--blocks: one JSON
    object per line, {"id", "url", "text"} or {"id", "url", "error"}, in input order.
    """
    from .extractor import default_extractor, load_extractor, without_rules

    if _is_batch(pages, output, workers, blocks, retry_errors) or deadline is not None:
        _extract_batch(pages, output=output, workers=workers or 1, blocks=blocks, retry_errors=retry_errors,
                       quiet=quiet, model=model, threshold=threshold, as_json=as_json, as_text=as_text,
                       deadline=deadline, headline=headline, min_confidence=min_confidence, keep_repeats=keep_repeats,
                       keep_scattered=keep_scattered, keep_comments=keep_comments)
        return
    try:
        with click.open_file(pages[0], "rb") as page:
            data = page.read()
    except OSError as exc:
        raise click.FileError(pages[0], exc.strerror) from None
    if as_text:
        _extract_plain_text(data, as_json=as_json, model=model, threshold=threshold)
        return

    extractor = without_rules(load_extractor(model) if model else default_extractor(),
                              repeats=keep_repeats, scattered=keep_scattered, comments=keep_comments)
    cut = _min_confidence(min_confidence, lambda: extractor)
    if not as_json:
        click.echo(extractor.extract(data, threshold=threshold, headline=headline, min_confidence=cut))
        return
    result = extractor.analyze(data, threshold=threshold, headline=headline, min_confidence=cut)
    blocks = result.blocks
    payload = {
        "text": result.text,
        "threshold": extractor.threshold if threshold is None else threshold,
        "confidence": round(result.confidence, 4),
        "has_content": result.has_content,
        "page_type": result.page_type,
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
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Model file to write (.joblib, or .npz for the portable format).")
@click.option("--max-iter", type=int, default=300, show_default=True, help="Boosting iterations.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for feature extraction.")
@click.option("--context/--no-context", default=True, show_default=True,
              help="Add the second pass that reads the first pass's probabilities around each block.")
@click.option("--on-error", type=click.Choice(["skip", "fail"]), default="skip", show_default=True,
              help="A bad training page (unreadable or corrupt file, gold that does not match its page): "
                   "leave it out and list it, or stop and name it.")
@click.option("--left-out", "left_out_file", type=click.Path(dir_okay=False),
              help="Write every training page left out (dataset, page, files, reason) to this TSV file.")
@click.option("--typed-page-types", default="", show_default=True,
              help="Comma-separated page types (e.g. product,forum) that a third pass, a context pass that also "
                   "reads the page type, scores; it needs WCXB among the datasets to learn page types.")
def train(data_dir, cache_dir, datasets, target, output, max_iter, jobs, context, on_error, left_out_file,
          typed_page_types) -> None:
    """Train a model on the training split of the public datasets."""
    from .train import check_typed_page_types, train as run_train

    typed = [t.strip() for t in typed_page_types.split(",") if t.strip()]
    try:  # before the minutes of reading the datasets
        check_typed_page_types(typed, context=context)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--typed-page-types") from None
    left: list = []
    manifest = run_train(datasets=_names(datasets), data_dir=data_dir, cache_dir=cache_dir, output=output,
                         target=target, params={"max_iter": max_iter}, context=context, n_jobs=jobs, progress=True,
                         on_error=on_error, on_left_out=left.append, typed_page_types=typed)
    _report_left_out(left, left_out_file)
    click.echo(f"wrote {output} ({manifest['size_bytes']} bytes, threshold {manifest['threshold']}, "
               f"{manifest['train_pages']} pages, {manifest['train_seconds']} s)")


@main.command()
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--data-dir", type=click.Path(file_okay=False), help=_DATA_HELP)
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache for unpacked data and features.")
@click.option("--datasets", default="cleaneval,dragnet,l3s-gn1,readability,wcxb", show_default=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the scores as JSON here.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Processes for feature extraction.")
@click.option("--peers", default="", help="Comma-separated peers to score beside ours: trafilatura, trafilatura+comments, justext, readability-lxml.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Also write PNG plots and an index.html summary into this folder (needs the report extra).")
def evaluate(model, data_dir, cache_dir, datasets, json_out, jobs, peers, report_dir) -> None:
    """Score a model on the test split: text-level F1 per dataset, WCXB word F1 per page type."""
    from .report import evaluate_model

    if report_dir:
        _require_matplotlib()
    report = evaluate_model(model=model, datasets=_names(datasets), data_dir=data_dir, cache_dir=cache_dir,
                            peers=[p.strip() for p in peers.split(",") if p.strip()], n_jobs=jobs, progress=True)
    click.echo(report.markdown())
    if json_out:
        report.write_json(json_out)
    if report_dir:
        from .extractor import default_extractor, load_extractor
        from .plots import write_report

        extractor = load_extractor(model) if model else default_extractor()
        written = write_report(report, report_dir, classifier=extractor.classifier, progress=True)
        click.echo(f"wrote {len(written)} files into {report_dir} (open {Path(report_dir) / 'index.html'})")


@main.command("inspect")
@click.argument("page", type=click.File("rb"))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML report to write.")
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False),
              help="Gold main text of the page (UTF-8): blocks get gold labels, disagreements are marked.")
def inspect_command(page, output: str, model: str | None, gold: str | None) -> None:
    """Write an HTML page showing each block of PAGE, its P(content), decision and drivers."""
    from .extractor import default_extractor, default_model_path, load_extractor
    from .inspect_page import inspect_page
    from .persist import atomic_write

    extractor = load_extractor(model) if model else default_extractor()
    gold_text = Path(gold).read_text("utf-8", errors="replace") if gold else None
    result = inspect_page(page.read(), extractor, gold=gold_text, model_name=Path(model or default_model_path()).name)
    atomic_write(output, lambda handle: handle.write(result.html.encode("utf-8")))
    disagreements = sum(r.disagrees for r in result.rows)
    click.echo(f"wrote {output}: {len(result.rows)} blocks, {result.kept} kept"
               + (f", {disagreements} disagree with the gold" if gold_text is not None else ""))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Extraction processes; each loads the model once.")
@click.option("--model", type=click.Path(dir_okay=False), help="Model file (default: the shipped model).")
@click.option("--max-body-bytes", type=click.IntRange(1), default=10_000_000, show_default=True,
              help="Larger request bodies get 413.")
@click.option("--deadline", type=click.FloatRange(0, min_open=True), default=10.0, show_default=True,
              help="Seconds a page may take; its worker is then killed and replaced (504).")
@click.option("--queue-timeout", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True,
              help="Seconds a request may wait for a free worker (503).")
@click.option("--max-batch", type=click.IntRange(1), default=64, show_default=True, help="Pages per /batch request.")
@click.option("--worker-memory-mb", type=click.IntRange(0), default=2048, show_default=True,
              help="Address space a worker may add after loading the model (0: no cap).")
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def serve(host, port, workers, model, max_body_bytes, deadline, queue_timeout, max_batch, worker_memory_mb,
          access_log) -> None:
    """Serve /extract, /predict, /batch, /health and /model over HTTP (needs the serve extra)."""
    try:
        from .service import ServiceConfig, serve as run_service
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None

    config = ServiceConfig(model=model, workers=workers, max_body_bytes=max_body_bytes, deadline=deadline,
                           queue_timeout=queue_timeout, max_batch=max_batch, worker_memory_mb=worker_memory_mb or None)
    run_service(config, host=host, port=port, access_log=access_log)


def _require_matplotlib() -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise click.ClickException("--report needs matplotlib: pip install 'boilerplate[report]'")


def _report_left_out(left: list, path: str | None, *, shown: int = 20) -> None:
    """Name the training pages left out on standard error (and all of them in ``path`` as TSV)."""
    if path:
        from .persist import atomic_write

        lines = ["dataset\tpage\tbad_input\tfiles\treason"] + [
            f"{x.dataset}\t{x.page_id}\t{'yes' if x.error else 'no'}\t{' '.join(x.files)}\t{' '.join(x.reason.split())}"
            for x in left]
        atomic_write(path, lambda handle: handle.write(("\n".join(lines) + "\n").encode("utf-8")))
    if not left:
        return
    errors = sum(x.error for x in left)
    click.echo(f"left out {len(left)} training page(s): {errors} bad input(s), {len(left) - errors} without gold", err=True)
    for x in left[:shown]:
        click.echo(f"  {x.dataset} {x.page_id} ({', '.join(x.files) or 'no file'}): {x.reason}", err=True)
    if len(left) > shown:
        click.echo(f"  … {len(left) - shown} more" + (f"; all in {path}" if path else "; --left-out FILE lists all"), err=True)


def _min_confidence(value: str | None, extractor) -> float | None:
    """``--min-confidence``: a probability, or 'auto' for the page model's documented threshold."""
    if value is None:
        return None
    if value == "auto":
        threshold = extractor().page_threshold
        if threshold is None:
            raise click.UsageError("--min-confidence auto: this model has no page confidence model")
        return threshold
    try:
        cut = float(value)
    except ValueError:
        raise click.UsageError(f"--min-confidence takes a probability or 'auto', not {value!r}") from None
    if not 0.0 <= cut <= 1.0:
        raise click.UsageError(f"--min-confidence must be between 0 and 1, not {cut}")
    return cut


def _is_batch(pages: tuple[str, ...], output: str | None, workers: int | None, blocks: bool,
              retry_errors: bool) -> bool:
    from .sources import is_warc

    return (len(pages) > 1 or output is not None or workers is not None or blocks or retry_errors
            or any(p != "-" and (Path(p).is_dir() or is_warc(p)) for p in pages))


def _extract_batch(pages: tuple[str, ...], *, output: str | None, workers: int, blocks: bool, retry_errors: bool,
                   quiet: bool, model: str | None, threshold: float | None, as_json: bool, as_text: bool,
                   deadline: float | None = None, headline: bool | None = None,
                   min_confidence: str | None = None, keep_repeats: bool = False,
                   keep_scattered: bool = False, keep_comments: bool = False) -> None:
    """``extract`` over many pages, directories and WARC files, as JSON Lines (``batch.py``)."""
    from . import batch

    if as_json or as_text:
        raise click.UsageError("--json and --text read one page; batch output is JSON Lines (--blocks adds the blocks)")
    if "-" in pages:
        raise click.UsageError("- (standard input) reads one page; it cannot be part of a batch")
    from .extractor import default_extractor, load_extractor

    cut = _min_confidence(min_confidence, lambda: load_extractor(model) if model else default_extractor())
    options = batch.Options(model=model, threshold=threshold, blocks=blocks, deadline=deadline, headline=headline,
                            min_confidence=cut, keep_repeats=keep_repeats, keep_scattered=keep_scattered,
                            keep_comments=keep_comments)
    try:
        summary = batch.run(list(pages), options, output=output,
                            workers=workers, progress=not quiet, retry_errors=retry_errors)
    except KeyboardInterrupt:
        click.echo("interrupted: every entry written is whole; rerun the same command to resume"
                   + ("" if output else " (with -o FILE)"), err=True)
        sys.exit(130)
    if not quiet:
        skipped = f", {summary.skipped} skipped (id already written)" if summary.skipped else ""
        click.echo(f"{summary.written} entries written ({summary.errors} errors){skipped}"
                   + (f" to {output}" if output else ""), err=True)


def _extract_plain_text(data: bytes, *, as_json: bool, model: str | None, threshold: float | None) -> None:
    """``extract --text``: the text model on a page that is already plain text."""
    from .text import default_text_extractor, load_text_extractor

    extractor = load_text_extractor(model) if model else default_text_extractor()
    text = data.decode("utf-8-sig", errors="replace")
    if not as_json:
        click.echo(extractor.extract(text, threshold=threshold))
        return
    segments = extractor.predict(text, threshold=threshold)
    payload = {
        "text": extractor.extract(text, threshold=threshold),
        "threshold": extractor.threshold if threshold is None else threshold,
        "segments": [{"index": s.index, "text": s.text, "start": s.start, "end": s.end, "line": s.line,
                      "cut": s.cut.name.lower(), "proba": round(s.proba, 4), "label": s.label} for s in segments],
    }
    click.echo(json.dumps(payload, ensure_ascii=False, indent=1))


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("name at least one dataset", param_hint="--datasets")
    return names


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
