"""Speed of ``extract()`` on one core, beside trafilatura, jusText, readability-lxml and resiliparse.

    pip install -e '.[bench]'       # the peers; any that is missing is reported "not installed"
    python scripts/bench_speed.py --data-dir ../shared/datasets [--pages 60] [--repeat 1]
        [--peers trafilatura,justext,readability-lxml,resiliparse] [--no-large] [--large-peers]
        [--cpu N] [--json FILE]

Pages: the first ``--pages`` test-split pages of every dataset, the same for every system,
plus large pages this script generates deterministically (``_bench_pages.py``: a 1 MB and a
10 MB news page with long comment threads, a 10 MB page of short paragraphs).

Each system runs in its own fresh (spawned) process pinned to one CPU, with the BLAS/OpenMP
pools at one thread, so pages/s is per core and peak RSS (``VmHWM``) is the system's
own. Every process extracts one warm-up page before the clock starts. With ``--repeat R``
every page is timed R times: pages/s is that of the fastest pass, ms/page the fastest of
each page's R times; "first pass" is the pages/s of the first pass alone, on pages the
process has not seen (what a crawler meets: no memo of a site's class names yet). For
``extract()`` a second pass times the stages one by one (decode, parse, blocks, features,
model). Each large page gets a fresh process of its own (warm-up
on a small generated page, then that page only), so its peak RSS is that page's.

Peers are called as ``boilerplate.peers`` wraps them (on the page decoded by
``boilerplate.decode``, which keeps the first 8 MB); resiliparse decodes the first 8 MB
itself (``detect_encoding`` + ``HTMLTree.parse_from_bytes``, then ``extract_plain_text``
with ``main_content=True``). A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import os

# One thread per pool, set before numpy is imported here or in any spawned child (which
# imports this module first and inherits the environment).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import importlib
import importlib.util
import json
import multiprocessing
import platform
import resource
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import _bench_pages

OURS = "boilerplate"
PEERS = ("trafilatura", "justext", "readability-lxml", "resiliparse")
DISTRIBUTIONS = {OURS: "boilerplate", "trafilatura": "trafilatura", "justext": "jusText",
                 "readability-lxml": "readability-lxml", "resiliparse": "resiliparse"}
STAGES = ("decode", "parse", "blocks", "features", "model")

Result = dict[str, Any]


# --- in the child process -------------------------------------------------------------------

def light_import(module: str) -> Any:
    """``boilerplate.<module>`` without running ``boilerplate/__init__.py``, which loads the
    model stack (scikit-learn among it, ~200 MB of RSS that would be charged to a peer)."""
    if "boilerplate" not in sys.modules:
        spec = importlib.util.find_spec("boilerplate")
        sys.modules["boilerplate"] = importlib.util.module_from_spec(spec)  # a namespace: __init__ not run
    return importlib.import_module(f"boilerplate.{module}")


def resiliparse_peer() -> Callable[[bytes], str] | None:
    """resiliparse's main-content extraction as ``bytes -> text``, or ``None`` if not installed."""
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.encoding import detect_encoding
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        return None
    max_bytes = light_import("limits").MAX_INPUT_BYTES

    def run(html: bytes) -> str:
        html = html[:max_bytes]
        return extract_plain_text(HTMLTree.parse_from_bytes(html, detect_encoding(html)), main_content=True)
    return run


def load_system(name: str) -> Callable[[bytes], Any] | None:
    """The system as a ``bytes -> text`` function, or ``None`` when it is not installed."""
    if name == OURS:
        import boilerplate
        return boilerplate.extract
    if name == "resiliparse":
        return resiliparse_peer()
    return light_import("peers").load_peer(name)


def time_pages(fn: Callable[[bytes], Any], pages: list[bytes], repeat: int) -> Result:
    """Seconds of each pass over the pages, and of each page (its fastest of ``repeat``)."""
    per_page = [float("inf")] * len(pages)
    passes, errors = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        for i, page in enumerate(pages):
            t0 = time.perf_counter()
            try:
                fn(page)
            except Exception:
                errors += 1
            per_page[i] = min(per_page[i], time.perf_counter() - t0)
        passes.append(time.perf_counter() - start)
    return {"pass_s": passes, "page_s": per_page, "errors": errors // repeat}


def stage_split(pages: list[bytes], repeat: int) -> dict[str, float]:
    """Seconds per stage of ``extract()`` summed over the pages (each stage's fastest pass)."""
    from boilerplate.blocks import split_blocks
    from boilerplate.decode import decode
    from boilerplate.extractor import default_extractor
    from boilerplate.features import page_features
    from boilerplate.parse import parse

    extractor = default_extractor()
    best = dict.fromkeys(STAGES, float("inf"))
    for _ in range(repeat):
        spent = dict.fromkeys(STAGES, 0.0)
        for html in pages:
            t0 = time.perf_counter()
            text = decode(html)
            t1 = time.perf_counter()
            document = parse(text)
            t2 = time.perf_counter()
            blocks = split_blocks(document)
            t3 = time.perf_counter()
            X = page_features(document, blocks)
            t4 = time.perf_counter()
            if len(X):
                extractor.proba(X, [b.path for b in blocks])
            t5 = time.perf_counter()
            for stage, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                spent[stage] += seconds
        best = {stage: min(best[stage], spent[stage]) for stage in STAGES}
    return best


def blas_threads() -> int | None:
    """The most threads any loaded BLAS/OpenMP pool would use (1 when the pinning held)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return max((pool["num_threads"] for pool in threadpool_info()), default=None)


def measure_pages(system: str, paths: list[str], repeat: int) -> Result:
    """Time ``system`` on the pages after one warm-up page; with the stage split for ours."""
    fn = load_system(system)
    if fn is None:
        return {"status": "not installed"}
    pages = [Path(p).read_bytes() for p in paths]
    fn(pages[0])
    result = {"status": "ok", **time_pages(fn, pages, repeat)}
    if system == OURS:
        result["stage_s"] = stage_split(pages, repeat)
        result["blas_threads"] = blas_threads()
    return result


def proc_status_mb(field: str) -> float | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux) in MB: ``VmRSS`` now, ``VmHWM`` the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` first: ``ru_maxrss`` of a spawned child also counts
    the parent's RSS at the fork before the exec (Linux keeps the larger across exec)."""
    peak = proc_status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_large(system: str, path: str, warmup: str, repeat: int) -> Result:
    """Seconds of ``system`` on one large page (fastest of ``repeat``) after a small warm-up page."""
    fn = load_system(system)
    if fn is None:
        return {"status": "not installed"}
    fn(Path(warmup).read_bytes())
    page = Path(path).read_bytes()
    rss_before = proc_status_mb("VmRSS")
    times, text = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        text = fn(page)
        times.append(time.perf_counter() - t0)
    return {"status": "ok", "seconds": min(times), "rss_before_mb": rss_before,
            "text_chars": len(text) if isinstance(text, str) else None}


def child_main(conn: Connection, cpu: int, target: Callable[..., Result], kwargs: dict[str, Any]) -> None:
    """Pin to ``cpu``, run ``target`` and send back its result with the process's peak RSS."""
    os.sched_setaffinity(0, {cpu})
    try:
        result = target(**kwargs)
    except Exception as error:
        result = {"status": f"error: {type(error).__name__}: {error}", "traceback": traceback.format_exc()}
    result["peak_rss_mb"] = peak_rss_mb()
    conn.send(result)
    conn.close()


# --- in the parent ----------------------------------------------------------------------------

def run_child(target: Callable[..., Result], kwargs: dict[str, Any], cpu: int, timeout: float) -> Result:
    """``target(**kwargs)`` in a fresh spawned process pinned to ``cpu``; ended after ``timeout`` s."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=child_main, args=(sender, cpu, target, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            result = receiver.recv()
            if "traceback" in result:
                log(result["traceback"])
            return result
        return {"status": f"timed out after {timeout:g} s"}
    except EOFError:
        process.join()
        return {"status": f"process died (exit code {process.exitcode})"}
    finally:
        if process.is_alive():
            process.terminate()
        process.join()


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile, interpolated linearly between ranks (numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(result: Result) -> Result:
    """pages/s, ms/page median and p99 from a child's raw timings."""
    if result.get("status") != "ok":
        return result
    page_s = result["page_s"]
    return {**result, "pages": len(page_s), "pages_per_s": len(page_s) / min(result["pass_s"]),
            "first_pages_per_s": len(page_s) / result["pass_s"][0],
            "ms_median": statistics.median(page_s) * 1000, "ms_p99": percentile(page_s, 99) * 1000}


def version(system: str) -> str | None:
    try:
        return metadata.version(DISTRIBUTIONS[system])
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def system_row(name: str, result: Result, ours: Result) -> str:
    label = name + (f" ({result['errors']} errors)" if result.get("errors") else "")
    if result.get("status") != "ok":
        return f"| {label} | {version(name) or '—'} | {result.get('status')} | | | | | | |"
    ok = ours.get("status") == "ok"
    ratio = ours["pages_per_s"] / result["pages_per_s"] if ok else None
    first = ours["first_pages_per_s"] / result["first_pages_per_s"] if ok else None
    return (f"| {label} | {version(name)} | {result['pages_per_s']:.1f} | {result['first_pages_per_s']:.1f} | "
            f"{result['ms_median']:.1f} | {result['ms_p99']:.1f} | {result['peak_rss_mb']:.0f} | "
            f"{f'{ratio:.2f}×' if ratio else '—'} | {f'{first:.2f}×' if first else '—'} |")


def systems_table(results: dict[str, Result]) -> list[str]:
    ours = results[OURS]
    lines = ["| system | version | pages/s | first pass pages/s | ms/page median | ms/page p99 | peak RSS MB | "
             "boilerplate ÷ system | first pass ÷ |",
             "|---|---|---|---|---|---|---|---|---|"]
    return lines + [system_row(name, result, ours) for name, result in results.items()]


def stages_table(ours: Result) -> list[str]:
    if ours.get("status") != "ok":
        return []
    spent, n = ours["stage_s"], ours["pages"]
    total = sum(spent.values())
    lines = [f"Stages of extract(), timed one by one on the same pages: {total / n * 1000:.2f} ms/page "
             f"together (extract() itself: {min(ours['pass_s']) / n * 1000:.2f} ms/page).", "",
             "| stage | ms/page | share |", "|---|---|---|"]
    return lines + [f"| {stage} | {spent[stage] / n * 1000:.2f} | {spent[stage] / total:.0%} |" for stage in STAGES]


def large_table(large: list[Result]) -> list[str]:
    lines = ["| page | MB | system | seconds | peak RSS MB | RSS before the page MB | text kB |",
             "|---|---|---|---|---|---|---|"]
    for row in large:
        head = f"| {row['page']} | {row['mb']:.1f} | {row['system']} |"
        if row.get("status") != "ok":
            lines.append(f"{head} {row.get('status')} | | | |")
            continue
        text_kb = f"{row['text_chars'] / 1000:.0f}" if row.get("text_chars") is not None else "—"
        lines.append(f"{head} {row['seconds']:.2f} | {row['peak_rss_mb']:.0f} | {row['rss_before_mb'] or 0:.0f} | {text_kb} |")
    return lines


def targets(results: dict[str, Result], large: list[Result]) -> list[str]:
    """The issue's bars: ≥ 3× trafilatura's pages/s, < 300 MB peak RSS on a 10 MB page."""
    lines = []
    ours, trafilatura = results[OURS], results.get("trafilatura", {})
    if ours.get("status") == "ok" and trafilatura.get("status") == "ok":
        ratio = ours["pages_per_s"] / trafilatura["pages_per_s"]
        lines.append(f"- pages/s ÷ trafilatura's: {ratio:.2f}× (target ≥ 3×): {'met' if ratio >= 3 else 'NOT met'}")
        first = ours["first_pages_per_s"] / trafilatura["first_pages_per_s"]
        lines.append(f"- first pass, pages/s ÷ trafilatura's: {first:.2f}× (target ≥ 3×): {'met' if first >= 3 else 'NOT met'}")
    for row in large:
        if row["system"] == OURS and row["mb"] >= 10 and row.get("status") == "ok":
            rss = row["peak_rss_mb"]
            lines.append(f"- peak RSS on {row['page']}: {rss:.0f} MB (target < 300 MB): {'met' if rss < 300 else 'NOT met'}")
    return lines


def report(settings: Result, pages: Result, results: dict[str, Result], large: list[Result]) -> str:
    per_dataset = ", ".join(f"{name} {n}" for name, n in pages["per_dataset"].items())
    lines = [f"One core (CPU {settings['cpu']}: {settings['cpu_model']}), Python {settings['python']}, "
             f"best of {settings['repeat']} pass(es) after one warm-up page.", "",
             f"{pages['count']} test pages ({per_dataset}), {pages['mb']:.1f} MB, "
             f"{pages['kb_per_page']:.0f} kB/page on average:", ""]
    lines += systems_table(results) + [""] + stages_table(results[OURS])
    if large:
        lines += ["", "Large generated pages, each in a fresh process (input past 8 MB is cut by every system):", ""]
        lines += large_table(large)
    checks = targets(results, large)
    if checks:
        lines += ["", "Targets:"] + checks
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_pages(systems: list[str], paths: list[str], args: argparse.Namespace) -> dict[str, Result]:
    results = {}
    for system in systems:
        log(f"{system}: {len(paths)} pages × {args.repeat} …")
        results[system] = summarise(run_child(measure_pages, {"system": system, "paths": paths, "repeat": args.repeat},
                                              args.cpu, args.timeout))
    return results


def bench_large(systems: list[str], folder: Path, args: argparse.Namespace) -> list[Result]:
    paths = _bench_pages.write_large_pages(folder)
    warmup = str(paths[_bench_pages.WARMUP_PAGE.name])
    rows = []
    for page in _bench_pages.LARGE_PAGES:
        path = paths[page.name]
        for system in systems:
            log(f"{system}: {page.name} …")
            result = run_child(measure_large, {"system": system, "path": str(path), "warmup": warmup,
                                               "repeat": args.repeat}, args.cpu, args.timeout)
            rows.append({"page": page.name, "mb": path.stat().st_size / 1e6, "system": system, **result})
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("BOILERPLATE_DATA_DIR"),
                        help="folder of the dataset archives (default: $BOILERPLATE_DATA_DIR, else the cache)")
    parser.add_argument("--datasets", help="comma-separated (default: boilerplate.train.DATASETS)")
    parser.add_argument("--pages", type=int, default=60, help="test pages per dataset (default 60)")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes over the pages; the fastest counts")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated, from {', '.join(PEERS)}")
    parser.add_argument("--no-large", action="store_true", help="skip the generated large pages")
    parser.add_argument("--large-peers", action="store_true", help="time the peers on the large pages too (slow)")
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)), help="the CPU every run is pinned to")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds after which a system's process is ended")
    parser.add_argument("--pages-dir", help="write the pages here and keep them (default: a temporary folder)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.peers = [p for p in args.peers.split(",") if p]
    unknown = set(args.peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(sorted(unknown))}; known: {', '.join(PEERS)}")
    if args.repeat < 1 or args.pages < 1:
        parser.error("--repeat and --pages must be at least 1")
    return args


def run(args: argparse.Namespace, folder: Path) -> None:
    from boilerplate.train import DATASETS  # here, not at the top: spawned children import this module

    log("loading test pages …")
    datasets = tuple(args.datasets.split(",")) if args.datasets else DATASETS
    pages = _bench_pages.test_pages(datasets, args.pages, args.data_dir)
    paths = [str(p) for p in _bench_pages.write_pages([html for _, _, html in pages], folder, "test")]
    size = sum(len(html) for _, _, html in pages)
    page_info = {"count": len(pages), "mb": size / 1e6, "kb_per_page": size / len(pages) / 1000,
                 "per_dataset": dict(Counter(name for name, _, _ in pages)),
                 "ids": [f"{name}/{page_id}" for name, page_id, _ in pages]}
    results = bench_pages([OURS, *args.peers], paths, args)
    large = [] if args.no_large else bench_large([OURS, *args.peers] if args.large_peers else [OURS], folder, args)
    settings = {"cpu": args.cpu, "cpu_model": cpu_model(), "repeat": args.repeat, "python": platform.python_version(),
                "versions": {name: version(name) for name in [OURS, *PEERS]}}
    print(report(settings, page_info, results, large))
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": settings, "pages": page_info, "systems": results,
                                               "large": large}, indent=1) + "\n")


def main() -> None:
    args = parse_args()
    if args.pages_dir:
        folder = Path(args.pages_dir)
        folder.mkdir(parents=True, exist_ok=True)
        run(args, folder)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
            run(args, Path(folder))


if __name__ == "__main__":
    main()
