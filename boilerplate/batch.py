"""Batch extraction: input records → JSON Lines, one entry per record, in input order.

An entry is ``{"id", "url", "text"}`` (plus ``"blocks"`` when asked), or ``{"id", "url",
"error": {"type", "message"}}`` for a record that could not be read or extracted: a bad
record never stops the run. Each entry is written as one whole line and flushed, so an
interrupted run leaves finished entries and at most one cut-off last line; opening the
same output again (:meth:`JsonlOutput.resume`) drops that line and skips the ids already
there. With ``workers > 1`` pages go to a pool of processes that each load the model once;
a worker that dies costs the record it was extracting an error entry, not the run.

With a ``deadline`` (:attr:`Options.deadline`), pages always go to worker processes (one
at least): each worker tells the parent, through a queue, when it starts a record and
when it is done with it, and the parent, which polls while it waits for results, kills a
worker whose record has run past the deadline. Killed from outside, a worker stops even
inside compiled code that never returns to the interpreter (a timer thread in the worker
would wait for it). The kill breaks the pool: the record gets a ``Timeout`` error entry,
the pool is replaced (workers and their model load), and the other records that were in
flight are extracted again by the new workers, in the same order.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import BoilerplateError, InputError
from .extractor import Extractor, blocks_text, default_extractor, load_extractor, without_rules
from .sources import Record, iter_records

Entry = dict[str, Any]
#: How every line this module writes starts; a cut-off last line is recognised by it.
_LINE_PREFIX = b'{"id": '
#: Records in flight per worker: keeps workers busy while bounding memory (a page is at most 8 MB).
_WINDOW_PER_WORKER = 4
#: Workers dying this many times in a row, on different records, means something other than the pages is wrong.
_MAX_DEATHS_IN_A_ROW = 5
#: With a deadline, how often the parent looks at the records being extracted (a record may overrun by this much).
_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Options:
    """How each record is extracted (sent to every worker)."""

    model: str | None = None
    threshold: float | None = None
    blocks: bool = False
    #: Keep (True) or drop (False) each page's headline whatever the model says (``None``: as it says).
    headline: bool | None = None
    #: Below this P(main content) a page's text is empty (``None``: never; see ``Extractor.analyze``).
    min_confidence: float | None = None
    #: Seconds a record may take in a worker before the worker is killed and replaced (``None``: no limit).
    deadline: float | None = None
    #: Keep text that repeats an earlier kept block at another DOM path (``Extractor.keep_repeats``).
    keep_repeats: bool = False
    #: Keep an unsure block outside the page's main container (``Extractor.keep_scattered``).
    keep_scattered: bool = False
    #: Keep a block inside a comment section (``Extractor.keep_comments``).
    keep_comments: bool = False

    def __post_init__(self) -> None:
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, not {self.deadline!r}")


@dataclass(slots=True)
class Summary:
    """What a run did: entries written (of which errors), records skipped as already in the output."""

    written: int = 0
    errors: int = 0
    skipped: int = 0


def load(options: Options) -> Extractor:
    extractor = load_extractor(options.model) if options.model else default_extractor()
    return without_rules(extractor, repeats=options.keep_repeats, scattered=options.keep_scattered,
                         comments=options.keep_comments)


def error_entry(record: Record, kind: str, message: str) -> Entry:
    return {"id": record.id, "url": record.url, "error": {"type": kind, "message": message}}


def timeout_entry(record: Record, deadline: float) -> Entry:
    return error_entry(record, "Timeout", f"extraction took longer than {deadline:g} s; "
                       "its worker process was stopped and replaced")


def extract_entry(extractor: Extractor, record: Record, options: Options) -> Entry:
    """The entry of one record; never raises (a failure becomes an error entry)."""
    if record.error is not None:
        return error_entry(record, *record.error)
    try:
        blocks = extractor.predict(record.page, threshold=options.threshold, headline=options.headline,
                                   min_confidence=options.min_confidence)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop a batch
        return _failure(record, exc)
    entry: Entry = {"id": record.id, "url": record.url, "text": blocks_text(blocks)}
    if options.blocks:
        entry["blocks"] = [{"index": b.index, "text": b.text, "tag": b.tag, "path": b.path,
                            "proba": round(b.proba, 4), "label": b.label} for b in blocks]
    return entry


# --- worker processes -------------------------------------------------------------------

_worker: tuple[Extractor, Options] | None = None
#: With a deadline: the pool's queue, on which a worker says which record it starts and ends.
_status: Any = None


def _init_worker(options: Options, parent: int, status: Any = None) -> None:
    """Pool initializer: load the model once per process. Ctrl-C is the parent's to handle,
    and a worker whose parent is gone (killed: no one would shut the pool down) exits."""
    import signal
    import threading

    global _worker, _status
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="parent-watch").start()
    _status = status
    _worker = (load(options), options)


def _exit_with(parent: int, every: float = 1.0) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _work(record: Record) -> Entry:
    assert _worker is not None, "_init_worker did not run"
    return extract_entry(_worker[0], record, _worker[1])


def _run(job: Callable[[Record], Entry], key: int, record: Record) -> Entry:
    """What the pool runs: ``job(record)``, announced to the parent when there is a deadline."""
    if _status is None:
        return job(record)
    _status.put((key, os.getpid()))  # one small message, written whole (a pipe write under PIPE_BUF)
    try:
        return job(record)
    finally:
        _status.put((key, None))


def extract_entries(records: Iterable[Record], options: Options, *, workers: int = 1,
                    job: Callable[[Record], Entry] = _work) -> Iterator[Entry]:
    """One entry per record, in input order; ``workers > 1`` extracts in a process pool
    (``job`` runs there: tests pass one that kills its worker)."""
    extractor = load(options)  # also checks the model before any worker starts: a bad file is one clean error
    if workers <= 1 and options.deadline is None:
        for record in records:
            yield extract_entry(extractor, record, options)
        return
    yield from _pooled(records, options, max(1, workers), job)  # a deadline needs a process to kill


class _Pool:
    """A spawn-context process pool that can be replaced when one of its workers dies, and
    that kills a worker whose record overruns ``options.deadline``."""

    def __init__(self, workers: int, options: Options) -> None:
        import itertools
        import multiprocessing

        self._context = multiprocessing.get_context("spawn")  # as the service: no fork of a process holding threads
        self._workers, self._options, self.deadline = workers, options, options.deadline
        self._keys = itertools.count()
        self.stopped: set[Future] = set()  # futures whose worker was killed for overrunning, since the last restart
        self._start()

    def _start(self) -> None:
        # A new queue with every pool: a worker killed while writing on the old one may have left its lock taken.
        self._status = self._context.SimpleQueue() if self.deadline is not None else None
        self._futures: dict[int, Future] = {}
        self._running: dict[int, tuple[int, float]] = {}  # key -> (worker pid, when the parent heard it started)
        self.executor = ProcessPoolExecutor(self._workers, mp_context=self._context, initializer=_init_worker,
                                            initargs=(self._options, os.getpid(), self._status))

    def submit(self, job: Callable[[Record], Entry], record: Record) -> Future:
        key = next(self._keys)
        future = self.executor.submit(_run, job, key, record)
        if self._status is not None:
            self._futures[key] = future
        return future

    def result(self, future: Future) -> Entry:
        """``future.result()``; with a deadline, checking the records in flight while it waits."""
        while self._status is not None and not future.done():
            self._watch()
            wait([future], timeout=_POLL_SECONDS)
        return future.result()

    def _watch(self) -> None:
        """Read what the workers said; kill a worker whose record has run past the deadline
        (the pool then breaks: the waiting caller gets ``BrokenProcessPool``)."""
        assert self._status is not None and self.deadline is not None
        now = time.monotonic()
        while not self._status.empty():
            key, pid = self._status.get()
            if pid is None:
                self._running.pop(key, None)
                self._futures.pop(key, None)
            else:
                self._running[key] = (pid, now)
        for key, (pid, started) in list(self._running.items()):
            future = self._futures.get(key)
            if now - started < self.deadline or future is None or future.done():
                continue
            del self._running[key]
            self.stopped.add(future)
            _kill(pid)

    def restart(self) -> set[Future]:
        """New workers; returns the futures stopped for overrunning in the old ones."""
        stopped, self.stopped = self.stopped, set()
        self.close()
        self._start()
        return stopped

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self._status is not None:
            self._status.close()


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except (ProcessLookupError, PermissionError):  # gone already
        pass


def _settled(record: Record, item: Future | Entry) -> Entry | None:
    """The entry of an item that needs no more work: an entry, or a future that finished."""
    if isinstance(item, dict):
        return item
    if item.done() and not item.cancelled() and item.exception() is None:
        return item.result()
    return None


def _failure(record: Record, exc: BaseException) -> Entry:
    return error_entry(record, type(exc).__name__, " ".join(str(exc).split()) or type(exc).__name__)


def _pooled(records: Iterable[Record], options: Options, workers: int,
            job: Callable[[Record], Entry]) -> Iterator[Entry]:
    source = iter(records)
    pending: deque[tuple[Record, Future | Entry]] = deque()
    pool = _Pool(workers, options)
    try:
        while True:
            while len(pending) < workers * _WINDOW_PER_WORKER and (record := next(source, None)) is not None:
                pending.append((record, error_entry(record, *record.error) if record.error
                                else pool.submit(job, record)))
            if not pending:
                return
            record, item = pending.popleft()
            if isinstance(item, dict):
                yield item
                continue
            try:
                entry = pool.result(item)
            except BrokenProcessPool:
                stuck = [(record, item), *pending]
                pending.clear()
                stopped = pool.restart()
                if stopped:
                    # We broke the pool, killing the workers of records that overran: those get a Timeout
                    # entry, the others go back in line, in order, on the new workers.
                    assert pool.deadline is not None
                    for rec, it in stuck:
                        done = _settled(rec, it)
                        if done is None:
                            done = timeout_entry(rec, pool.deadline) if it in stopped else pool.submit(job, rec)
                        pending.append((rec, done))
                    continue
                # A worker died; which record killed it is unknown: redo what was in flight one by one.
                yield from _isolate(stuck, pool, job)
                continue
            except Exception as exc:  # noqa: BLE001 - the record or its entry could not cross to the other process
                entry = _failure(record, exc)
            yield entry
    finally:
        pool.close()


def _isolate(stuck: list[tuple[Record, Future | Entry]], pool: _Pool,
             job: Callable[[Record], Entry]) -> Iterator[Entry]:
    """The entries of the records in flight when a worker died, each extracted alone, so
    that a record which kills its worker again gets an error entry and no other does."""
    deaths = 0
    for record, item in stuck:
        done = _settled(record, item)  # an entry, or finished before the death
        if done is not None:
            yield done
            continue
        try:
            entry = pool.result(pool.submit(job, record))
            deaths = 0
        except BrokenProcessPool:
            if pool.restart():  # killed for overrunning the deadline: the page's doing, not a sick worker
                assert pool.deadline is not None
                yield timeout_entry(record, pool.deadline)
                continue
            deaths += 1
            if deaths >= _MAX_DEATHS_IN_A_ROW:
                raise BoilerplateError(f"extraction workers died on {deaths} records in a row (last: {record.id}); "
                                       "every entry written is whole: rerun to resume") from None
            entry = error_entry(record, "WorkerDied", "the process extracting this record died "
                                "(a crash, or killed: out of memory?)")
        except Exception as exc:  # noqa: BLE001
            entry = _failure(record, exc)
        yield entry


# --- the output file ----------------------------------------------------------------------

class JsonlOutput:
    """JSON Lines written one whole, flushed line per entry; ``done`` holds the ids written."""

    def __init__(self, handle: BinaryIO, done: set[str] | None = None, *, owned: bool = False) -> None:
        self.handle = handle
        self.done: set[str] = set(done or ())
        self._owned = owned

    @classmethod
    def resume(cls, path: str | os.PathLike[str], *, retry_errors: bool = False) -> JsonlOutput:
        """Append to ``path``: its entries count as done (error entries too, unless
        ``retry_errors``, which removes them); a cut-off last line is dropped."""
        path = Path(path)
        done: set[str] = set()
        if path.exists():
            done, failed, end, newline = _scan(path)
            if failed and retry_errors:
                _drop_entries(path, failed, end)
                done -= failed
            else:
                with open(path, "r+b") as handle:
                    handle.truncate(end)
                    if newline:
                        handle.seek(end)
                        handle.write(b"\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        return cls(open(path, "ab"), done, owned=True)

    def write(self, entry: Entry) -> None:
        line = json.dumps(entry, ensure_ascii=False).encode("utf-8", "replace") + b"\n"
        self.handle.write(line)
        self.handle.flush()
        self.done.add(entry["id"])

    def close(self) -> None:
        if self._owned:
            os.fsync(self.handle.fileno())
            self.handle.close()


def _scan(path: Path) -> tuple[set[str], set[str], int, bool]:
    """Ids in an existing output, the error ones, where its last whole entry ends, and
    whether that entry lacks its newline (a run stopped between the two)."""
    done: set[str] = set()
    failed: set[str] = set()
    end = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            entry = _entry(line)
            last = not line.endswith(b"\n")
            if entry is None and not line.strip():
                end += len(line)
                continue
            if entry is None:
                if last and (line.startswith(_LINE_PREFIX) or _LINE_PREFIX.startswith(line)):
                    break  # the entry a stopped run was writing: dropped, and done again
                raise InputError(f"{path}, line {number}: not an entry of a batch output; refusing to append to it")
            done.add(entry["id"])
            if "error" in entry:
                failed.add(entry["id"])
            end += len(line)
            if last:
                return done, failed, end, True
    return done, failed, end, False


def _entry(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None


def _drop_entries(path: Path, ids: set[str], end: int) -> None:
    """Rewrite ``path`` (atomically) without the entries of ``ids`` and without what follows ``end``."""
    from .persist import atomic_write

    def write(out: BinaryIO) -> None:
        with open(path, "rb") as handle:
            kept = 0
            for line in handle:
                if kept >= end:
                    break
                kept += len(line)
                entry = _entry(line)
                if entry is None or entry["id"] not in ids:
                    out.write(line if line.endswith(b"\n") else line + b"\n")

    atomic_write(path, write)


# --- a run --------------------------------------------------------------------------------

def run(paths: list[str], options: Options, *, output: str | os.PathLike[str] | None = None,
        stream: BinaryIO | None = None, workers: int = 1, progress: bool = False,
        retry_errors: bool = False) -> Summary:
    """Extract every record of ``paths`` into ``output`` (resumed if it exists) or ``stream``."""
    if output is not None:
        out = JsonlOutput.resume(output, retry_errors=retry_errors)
    else:
        out = JsonlOutput(stream if stream is not None else sys.stdout.buffer)
    summary = Summary()

    def skip(record_id: str) -> bool:
        if record_id in out.done:
            summary.skipped += 1
            return True
        return False

    from tqdm.auto import tqdm

    bar = tqdm(desc="extract", unit="page", file=sys.stderr, disable=not (progress and sys.stderr.isatty()))
    records = iter_records(paths, skip=skip, exclude=output)
    entries = extract_entries(records, options, workers=workers)
    try:
        for entry in entries:
            if skip(entry["id"]):  # the same id twice in the input: the first one stands
                continue
            out.write(entry)
            summary.written += 1
            summary.errors += "error" in entry
            bar.update()
            if summary.errors:
                bar.set_postfix(errors=summary.errors, refresh=False)
    finally:
        entries.close()  # an early stop (Ctrl-C, a closed standard output) shuts the workers down now
        bar.close()
        out.close()
    return summary
