"""The HTTP service: ``predict()`` over HTTP, bounded in body size, time and memory per page.

    boilerplate serve --port 8000 --workers 2          # pip install 'boilerplate[serve]'

One uvicorn process runs the HTTP front (FastAPI on asyncio): it reads and checks
requests and never extracts. Extraction runs in ``workers`` child processes, each of
which loads the model once when it starts. A page waits for a free child (at most
``queue_timeout`` seconds, else 503), then has ``deadline`` seconds: a child that
overruns is killed and replaced, and the request gets 504. A thread could not be
stopped; a process can, so a pathological page pins a worker for at most the deadline.
Each child also caps its address space (``worker_memory_mb`` above what the loaded
model needs), so a page that would need unbounded memory fails alone, as a 500.

Endpoints: ``POST /extract`` (main text), ``POST /predict`` (text and blocks with
P(content)), ``POST /batch`` (several pages), ``GET /health``, ``GET /model`` (the
manifest), and the OpenAPI schema at ``/openapi.json`` (docs at ``/docs``). Pages come
as the raw body (HTML in any charset) or as JSON ``{"html": "...", "threshold": 0.4}``.
Every error is JSON: ``{"error": {"status": 413, "code": "body_too_large", "message": …}}``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from . import __version__
from .decode import charset_name
from .errors import BoilerplateError

try:
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, ValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("the HTTP service needs the serve extra: pip install 'boilerplate[serve]'") from exc

log = logging.getLogger(__name__)

#: Bytes of request body read at most past the limit, so a client that sends a too-large
#: body still reads its 413 instead of a reset connection; beyond it the connection closes.
_DRAIN_BYTES = 16_000_000
#: Content types taken as a raw page (anything else but JSON is refused with 415).
#: (``curl -d`` labels any body form data: it is taken as the page too.)
_RAW_TYPES = frozenset({"", "text/html", "text/plain", "application/xhtml+xml", "application/xml", "text/xml",
                        "application/octet-stream", "application/x-www-form-urlencoded"})


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What a service process serves and its bounds; every field has a safe default."""

    model: str | None = None            # model file; None: the shipped model
    workers: int = 2                    # extraction processes, each holding the model once
    max_body_bytes: int = 10_000_000    # larger bodies get 413; pages past 8 MB are cut anyway
    deadline: float = 10.0              # seconds a page may take in a worker before it is killed (504)
    queue_timeout: float = 30.0         # seconds a request may wait for a free worker (503)
    max_pending: int = 1024             # requests waiting for a worker beyond which new ones get 503
    max_batch: int = 64                 # pages per /batch request (422 beyond)
    worker_memory_mb: int | None = 2048  # address space a worker may add after loading the model

    def __post_init__(self) -> None:
        if self.workers < 1 or self.max_body_bytes < 1 or self.deadline <= 0 or self.queue_timeout <= 0:
            raise ValueError("workers, max_body_bytes, deadline and queue_timeout must be positive")


class ServiceError(Exception):
    """An HTTP error with a status, a stable code and a message for the client."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---------------------------------------------------------------- worker processes

def _worker_main(conn, model: str | None, memory_mb: int | None) -> None:
    """A child: load the model once, then answer jobs from the pipe until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # one core per worker: the pool is the parallelism
    except ImportError:  # pragma: no cover
        pass
    try:
        from .extractor import default_extractor, load_extractor

        extractor = load_extractor(model) if model else default_extractor()
        extractor.predict("<p>warm up the model once</p>")
        _limit_memory(memory_mb)
    except BaseException as exc:  # report any start-up failure to the parent, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    manifest = dict(extractor.manifest or {})
    manifest.pop("feature_names", None)
    conn.send(("ready", {"pid": os.getpid(), "manifest": manifest}))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if job is None:
            return
        try:
            conn.send(("ok", _run_job(extractor, job)))
        except BoilerplateError as exc:
            conn.send(("error", "invalid_page", str(exc)))
        except MemoryError:
            conn.send(("error", "out_of_memory", "the page needs more memory than a worker may use"))
        except Exception as exc:  # a bug: answer, keep serving, and let the parent log it
            conn.send(("error", "internal", f"{type(exc).__name__}: {exc}"))


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        with open("/proc/self/statm") as handle:
            held = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = held + memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (OSError, ValueError, ImportError):  # not Linux: no cap
        pass


def _run_job(extractor, job: dict[str, Any]) -> dict[str, Any]:
    threshold = job.get("threshold")
    blocks = extractor.predict(job["page"], threshold=threshold)
    out: dict[str, Any] = {
        "text": "\n\n".join(b.text for b in blocks if b.label),
        "threshold": extractor.threshold if threshold is None else threshold,
        "n_blocks": len(blocks),
        "n_content": sum(1 for b in blocks if b.label),
    }
    if job.get("blocks"):
        out["blocks"] = [{"index": b.index, "text": b.text, "tag": b.tag, "path": b.path,
                          "proba": round(b.proba, 6), "label": b.label} for b in blocks]
    return out


class _Worker:
    def __init__(self, context, config: ServiceConfig) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, config.model, config.worker_memory_mb),
                                       daemon=True, name="boilerplate-worker")
        self.process.start()
        child.close()
        self.pid = self.process.pid
        self.jobs = 0
        self.info: dict[str, Any] = {}

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise BoilerplateError(f"a worker did not load the model within {timeout:.0f} s")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError):
            status, payload = "failed", f"exit code {self.process.exitcode}"
        if status != "ready":
            self.kill()
            raise BoilerplateError(f"a worker could not start: {payload}")
        self.info = payload

    def call(self, job: dict[str, Any], deadline: float) -> tuple:
        """Send a job and wait for its answer; ``("timeout",)`` or ``("crashed",)`` on failure."""
        try:
            self.conn.send(job)
            if not self.conn.poll(deadline):
                return ("timeout",)
            return self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            return ("crashed",)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """Child processes that extract; each job gets a free one and a deadline."""

    START_TIMEOUT = 120.0

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self._context = multiprocessing.get_context("spawn")
        self._threads = concurrent.futures.ThreadPoolExecutor(max_workers=config.workers + 2,
                                                              thread_name_prefix="boilerplate-pool")
        self._free: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._pending = 0
        self._closed = False
        self._background: set[asyncio.Task] = set()
        self.manifest: dict[str, Any] = {}
        self.restarts = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        workers = [_Worker(self._context, self.config) for _ in range(self.config.workers)]
        try:
            await asyncio.gather(*(loop.run_in_executor(self._threads, w.wait_ready, self.START_TIMEOUT)
                                   for w in workers))
        except BaseException:
            for w in workers:
                w.kill()
            raise
        self.manifest = workers[0].info.get("manifest", {})
        for worker in workers:
            self._workers.append(worker)
            self._free.put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._threads, w.stop) for w in self._workers))
        self._threads.shutdown(wait=False, cancel_futures=True)

    def status(self) -> list[dict[str, Any]]:
        return [{"pid": w.pid, "jobs": w.jobs, "alive": w.process.is_alive()} for w in self._workers]

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job on a free worker within the deadline; raises ServiceError otherwise."""
        if self._pending >= self.config.max_pending:
            raise ServiceError(503, "overloaded", f"{self._pending} requests are waiting; retry later")
        self._pending += 1
        try:
            worker = await asyncio.wait_for(self._free.get(), self.config.queue_timeout)
        except TimeoutError:
            raise ServiceError(503, "overloaded", f"no worker was free within {self.config.queue_timeout:g} s") from None
        finally:
            self._pending -= 1
        # The dispatch settles the worker (back to the pool, or replaced) even if this request is cancelled.
        answer = await asyncio.shield(asyncio.ensure_future(self._dispatch(worker, job)))
        status = answer[0]
        if status == "ok":
            return answer[1]
        if status == "timeout":
            raise ServiceError(504, "deadline_exceeded",
                               f"the page took longer than {self.config.deadline:g} s; its worker was stopped")
        if status == "crashed":
            raise ServiceError(500, "worker_crashed", "the worker processing the page died; it was replaced")
        code, message = answer[1], answer[2]
        if code == "internal":
            log.error("extraction failed: %s", message)
            raise ServiceError(500, "internal", "extraction failed unexpectedly")
        if code == "out_of_memory":
            raise ServiceError(500, code, message)
        raise ServiceError(422, code, message)

    async def _dispatch(self, worker: _Worker, job: dict[str, Any]) -> tuple:
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self._threads, worker.call, job, self.config.deadline)
        worker.jobs += 1
        if answer[0] in ("timeout", "crashed"):
            log.warning("worker %d %s; replacing it", worker.pid, "overran the deadline" if answer[0] == "timeout" else "died")
            task = asyncio.ensure_future(self._replace(worker))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:
            self._free.put_nowait(worker)
        return answer

    async def _replace(self, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._threads, worker.kill)
        if self._closed:
            return
        fresh = _Worker(self._context, self.config)
        try:
            await loop.run_in_executor(self._threads, fresh.wait_ready, self.START_TIMEOUT)
        except BoilerplateError as exc:  # the model loaded before; keep the slot and say why
            log.error("could not replace a worker: %s", exc)
            return
        self.restarts += 1
        self._workers[self._workers.index(worker)] = fresh
        self._free.put_nowait(fresh)


# ---------------------------------------------------------------- HTTP

class PageIn(BaseModel):
    """A page as JSON."""

    model_config = ConfigDict(extra="forbid")
    html: str = Field(description="The page's HTML.")
    threshold: float | None = Field(default=None, ge=0.0, le=1.0, description="Decision threshold; default: the model's.")


class BatchIn(BaseModel):
    """Several pages in one request; each is extracted on its own (and may fail on its own)."""

    model_config = ConfigDict(extra="forbid")
    pages: list[PageIn] = Field(min_length=1)
    blocks: bool = Field(default=False, description="Also return every block with its P(content).")


class BlockOut(BaseModel):
    index: int
    text: str
    tag: str
    path: str
    proba: float = Field(description="P(content)")
    label: bool = Field(description="proba >= threshold, unless the block repeats an earlier kept block's words "
                                    "at another DOM path")


class ExtractOut(BaseModel):
    text: str = Field(description="The main text: content blocks joined by blank lines.")
    threshold: float
    n_blocks: int
    n_content: int


class PredictOut(ExtractOut):
    blocks: list[BlockOut]


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class BatchItemOut(BaseModel):
    index: int
    result: PredictOut | ExtractOut | None = None
    error: ErrorBody | None = None


class BatchOut(BaseModel):
    results: list[BatchItemOut]


_PAGE_BODY = {"requestBody": {"required": True, "content": {
    "text/html": {"schema": {"type": "string", "description": "The page, in any charset."}},
    "application/json": {"schema": PageIn.model_json_schema()},
}}}
_ERRORS = {status: {"model": ErrorOut, "description": text} for status, text in (
    (413, "Body larger than the limit"), (415, "Unsupported content type"), (422, "Invalid request"),
    (503, "No worker free in time"), (504, "The page overran the per-request deadline"))}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "code": code, "message": message}}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it passes ``limit`` bytes (whatever Content-Length says)."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise ServiceError(400, "bad_request", "Content-Length is not a number")
    chunks, size = [], 0
    too_large = declared is not None and int(declared) > limit
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_large = True
        if too_large:
            if size > limit + _DRAIN_BYTES:
                break
            continue
        chunks.append(chunk)
    if too_large:
        raise ServiceError(413, "body_too_large", f"the body exceeds {limit} bytes")
    return b"".join(chunks)


def _media_type(request: Request) -> tuple[str, str | None]:
    value = request.headers.get("content-type", "")
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.strip().partition("=")
        if key.lower() == "charset":
            charset = val.strip().strip('"') or None
    return media.strip().lower(), charset


async def _page_job(request: Request, config: ServiceConfig, threshold: float | None, blocks: bool) -> dict[str, Any]:
    body = await _read_body(request, config.max_body_bytes)
    media, charset = _media_type(request)
    if media == "application/json" or media.endswith("+json"):
        try:
            page = PageIn.model_validate_json(body)
        except ValidationError as exc:
            raise ServiceError(422, "invalid_json", _validation_message(exc)) from None
        return {"page": page.html, "threshold": page.threshold if page.threshold is not None else threshold,
                "blocks": blocks}
    if media not in _RAW_TYPES:
        raise ServiceError(415, "unsupported_media_type",
                           f"send the page as text/html (any charset) or as JSON, not {media}")
    page: str | bytes = body
    name = charset_name(charset) if charset else None
    if name:
        try:
            page = body.decode(name)
        except UnicodeDecodeError:
            page = body  # the label lies: let the page's own charset chain decide
    return {"page": page, "threshold": threshold, "blocks": blocks}


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{where}: {err.get('msg')}")
    return "; ".join(parts)


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The ASGI app; its worker pool starts and stops with the app's lifespan."""
    config = config or ServiceConfig()
    pool = WorkerPool(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        log.info("boilerplate service: %d worker(s) ready, model %s", config.workers,
                 pool.manifest.get("model_file"))
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="boilerplate", version=__version__, lifespan=lifespan,
                  summary="Main text of web pages: blocks classified as content or boilerplate.")
    app.state.pool = pool
    app.state.config = config

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:5]]
        return _error(422, "invalid_request", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    threshold_query = Query(default=None, ge=0.0, le=1.0, description="Decision threshold for a raw HTML body.")

    @app.post("/extract", response_model=ExtractOut, responses=_ERRORS, openapi_extra=_PAGE_BODY)
    async def extract(request: Request, threshold: float | None = threshold_query) -> JSONResponse:
        """The page's main text."""
        return JSONResponse(await pool.run(await _page_job(request, config, threshold, blocks=False)))

    @app.post("/predict", response_model=PredictOut, responses=_ERRORS, openapi_extra=_PAGE_BODY)
    async def predict(request: Request, threshold: float | None = threshold_query) -> JSONResponse:
        """The page's blocks with P(content) and label, and its main text."""
        return JSONResponse(await pool.run(await _page_job(request, config, threshold, blocks=True)))

    @app.post("/batch", response_model=BatchOut, responses=_ERRORS,
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": BatchIn.model_json_schema()}}}})
    async def batch(request: Request) -> JSONResponse:
        """Several pages; the results keep their order, and a page that fails fails alone."""
        body = await _read_body(request, config.max_body_bytes)
        media, _ = _media_type(request)
        if media != "application/json":
            raise ServiceError(415, "unsupported_media_type", "send the batch as JSON: {\"pages\": [{\"html\": ...}]}")
        try:
            data = BatchIn.model_validate_json(body)
        except ValidationError as exc:
            raise ServiceError(422, "invalid_json", _validation_message(exc)) from None
        if len(data.pages) > config.max_batch:
            raise ServiceError(422, "batch_too_large", f"{len(data.pages)} pages; at most {config.max_batch} per batch")

        async def one(i: int, page: PageIn) -> dict[str, Any]:
            try:
                result = await pool.run({"page": page.html, "threshold": page.threshold, "blocks": data.blocks})
                return {"index": i, "result": result}
            except ServiceError as exc:
                return {"index": i, "error": {"status": exc.status, "code": exc.code, "message": exc.message}}

        return JSONResponse({"results": list(await asyncio.gather(*(one(i, p) for i, p in enumerate(data.pages))))})

    @app.get("/health")
    async def health() -> JSONResponse:
        """Liveness and the workers' state."""
        workers = pool.status()
        alive = sum(w["alive"] for w in workers)
        return JSONResponse({"status": "ok" if alive else "unavailable", "workers": workers,
                             "restarts": pool.restarts, "model_sha256": pool.manifest.get("sha256")},
                            status_code=200 if alive else 503)

    @app.get("/model")
    async def model() -> JSONResponse:
        """The manifest of the model the workers loaded (versions, threshold, metrics, sha256)."""
        return JSONResponse(pool.manifest)

    return app


def serve(config: ServiceConfig | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          access_log: bool = True, log_level: str = "info") -> None:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    config = config or ServiceConfig()
    if config.model:  # a clear error now rather than from every worker
        from .persist import read_manifest

        read_manifest(config.model)
    uvicorn.run(create_app(config), host=host, port=port, access_log=access_log, log_level=log_level,
                limit_concurrency=config.max_pending + 64, timeout_keep_alive=5)


__all__ = ["ServiceConfig", "ServiceError", "WorkerPool", "create_app", "serve"]
