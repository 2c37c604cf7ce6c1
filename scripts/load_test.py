"""Load test of ``boilerplate serve``: N requests at concurrency C, from this process, on loopback.

    python scripts/load_test.py --spawn --requests 2000 --concurrency 16 [--data-dir ../shared/datasets]
    python scripts/load_test.py --url http://127.0.0.1:8000 --requests 500

``--spawn`` starts ``boilerplate serve`` on a free loopback port (``--workers``,
``--model``), waits for ``/health``, runs the load and stops the server. Pages are the
test-split pages of the datasets with ``--data-dir`` (``--pages`` per dataset), else the
bundled example page. Every request must answer 200 with a JSON body holding ``text``;
anything else counts as an error. Prints requests/s, p50/p90/p99/max latency and the
error count (``--json`` for one JSON line), and exits 1 when any request failed.
Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from importlib import resources
from itertools import islice

import httpx
import numpy as np


def _pages(data_dir: str | None, per_dataset: int) -> list[bytes]:
    if not data_dir:
        return [(resources.files("boilerplate.registry") / "examples" / "article.html").read_bytes()]
    from boilerplate.corpora import load_pages
    from boilerplate.splits import split_of
    from boilerplate.train import DATASETS

    return [p.html for name in DATASETS for p in islice(
        (p for p in load_pages(name, data_dir=data_dir) if split_of(name, p.page_id) == "test"), per_dataset)]


def _check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load-test {host!r}: only loopback addresses (127.0.0.0/8, ::1, localhost)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*, workers: int, model: str | None, extra: list[str] | None = None,
                 startup_timeout: float = 120.0) -> tuple[subprocess.Popen, str, str]:
    """Start ``boilerplate serve`` on a free loopback port; returns the process, its URL and its log file."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="boilerplate-serve-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "boilerplate.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log", *(["--model", model] if model else []), *(extra or [])]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{open(log.name).read()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url, log.name
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"the server did not answer /health within {startup_timeout:.0f} s:\n{open(log.name).read()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


async def run_load(url: str, pages: list[bytes], *, requests: int, concurrency: int, endpoint: str = "/extract",
                   timeout: float = 60.0, max_seconds: float = 900.0) -> dict:
    """Send ``requests`` POSTs with at most ``concurrency`` in flight; latencies and errors."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    counter = iter(range(requests))
    stop_at = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        async def worker() -> None:
            for i in counter:
                if time.monotonic() > stop_at:
                    errors["time budget exhausted"] += 1
                    continue
                start = time.perf_counter()
                try:
                    response = await client.post(endpoint, content=pages[i % len(pages)],
                                                 headers={"content-type": "text/html"})
                    ok = response.status_code == 200 and "text" in response.json()
                    if not ok:
                        errors[f"HTTP {response.status_code}"] += 1
                except (httpx.HTTPError, ValueError) as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ms = np.asarray(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "requests": requests, "concurrency": concurrency, "endpoint": endpoint, "pages": len(pages),
        "ok": len(latencies), "errors": sum(errors.values()), "error_kinds": dict(errors),
        "seconds": round(elapsed, 2), "rps": round(requests / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1), "p90_ms": round(float(np.percentile(ms, 90)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1), "max_ms": round(float(ms.max()), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running server on loopback, e.g. http://127.0.0.1:8000")
    target.add_argument("--spawn", action="store_true", help="start `boilerplate serve` for the test")
    parser.add_argument("--workers", type=int, default=2, help="server workers with --spawn")
    parser.add_argument("--model", help="model file for the spawned server (default: the shipped model)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--endpoint", default="/extract", choices=["/extract", "/predict"])
    parser.add_argument("--data-dir", help="use the datasets' test pages (default: the bundled example page)")
    parser.add_argument("--pages", type=int, default=20, help="test pages per dataset with --data-dir")
    parser.add_argument("--page", action="append", default=[], help="an HTML file to send (repeatable)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop sending after this long")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)

    pages = [open(p, "rb").read() for p in args.page] or _pages(args.data_dir, args.pages)
    process = None
    if args.spawn:
        process, url, log = start_server(workers=args.workers, model=args.model)
    else:
        url = args.url.rstrip("/")
        _check_loopback(url)
    try:
        result = asyncio.run(run_load(url, pages, requests=args.requests, concurrency=args.concurrency,
                                      endpoint=args.endpoint, max_seconds=args.max_seconds))
    finally:
        if process is not None:
            stop_server(process)
            os.unlink(log)
    kb = sum(map(len, pages)) / len(pages) / 1000
    result["page_kb"] = round(kb, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['requests']} requests to {result['endpoint']} at concurrency {result['concurrency']} "
              f"({result['pages']} pages, {kb:.0f} kB on average): {result['errors']} errors "
              f"{result['error_kinds'] or ''}")
        print(f"{result['rps']} requests/s; latency p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, "
              f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
