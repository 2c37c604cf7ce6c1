"""Run the extraction on Apache Spark: a DataFrame of pages in, their main text out.

Each Python worker loads the model once (a per-process cache keyed by the model path) and
then extracts every page of every partition it is given (Spark reuses its Python workers
unless ``spark.python.worker.reuse`` is false; then it is once per task), in Arrow batches
(``DataFrame.mapInArrow``); the text is exactly what :func:`boilerplate.extract` gives in
one process. A page that fails gets a null text and an error string; it never stops the job.
A model that cannot be loaded does, with the :class:`~boilerplate.ModelError` that says why.

    pip install -e '.[spark]'         # pyspark, pandas, pyarrow (Spark needs Java 17+)

    from pyspark.sql import SparkSession
    from boilerplate.spark import extract_column

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    pages = spark.read.format("binaryFile").load("pages/*.html")      # path, content, …
    out = extract_column(pages, html_col="content", keep_html=False)  # + text, error
    out.select("path", "text", "error").write.parquet("extracted.parquet")

On a cluster, every executor needs the package in its Python (the model is inside it):
either ship a packed virtual environment (the cluster brings pyspark), or install it on the nodes::

    python -m venv env && env/bin/pip install . pyarrow 'pandas>=2,<3' venv-pack && env/bin/venv-pack -o env.tar.gz
    PYSPARK_PYTHON=./env/bin/python spark-submit --master yarn --deploy-mode cluster \\
        --archives env.tar.gz#env \\
        --conf spark.sql.execution.arrow.maxRecordsPerBatch=256 job.py

(a pure-Python dependency set can go with ``--py-files`` instead, but lxml, numpy and
scikit-learn are compiled, so the archive is the reliable way). Keep
``spark.sql.execution.arrow.maxRecordsPerBatch`` small (a few hundred): Spark's default
(10,000 rows a batch) holds 10,000 pages in a worker's memory at once. Pass your own model
with ``model=`` as a path readable on every executor, or ship the file with
``--files m.npz,m.json`` (and its context pass) and pass the bare file name: a path that
is not there is looked up among the files Spark shipped (``SparkFiles``).

:func:`extract_warc_paths` does the same from WARC files (read with ``warcio``): one task
per file by default, one output row per HTML page (2xx response with an HTML type).

pyspark is imported inside the functions: ``import boilerplate`` never needs it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from .extractor import Extractor

#: Rows per output Arrow batch: bounds what one worker holds beyond its input batch.
OUTPUT_BATCH_ROWS = 256

_cache: dict[str | None, Extractor] = {}
_cache_lock = threading.Lock()
_loads = 0


def model_loads() -> int:
    """How many models this process has loaded through :func:`worker_extractor`."""
    return _loads


def worker_extractor(model: str | None = None) -> Extractor:
    """The extractor for ``model`` (a path; ``None`` = the shipped one), loaded once per process."""
    global _loads
    extractor = _cache.get(model)
    if extractor is None:
        with _cache_lock:
            extractor = _cache.get(model)
            if extractor is None:
                from .extractor import default_extractor, load_extractor

                extractor = default_extractor() if model is None else load_extractor(_locate(model))
                _cache[model] = extractor
                _loads += 1
    return extractor


def _locate(model: str) -> str:
    """``model`` if it exists here, else the file of that name shipped with ``--files``."""
    if Path(model).is_file():
        return model
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(Path(model).name)
    except Exception:  # no Spark context in this process: keep the path, let loading say why
        return model
    return shipped if Path(shipped).is_file() else model


def extract_one(extractor: Extractor, page: Any, threshold: float | None) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, "ErrorType: message")`` when the page fails."""
    try:
        return extractor.extract(page, threshold=threshold), None
    except Exception as error:  # one bad record must not fail the task
        return None, f"{type(error).__name__}: {error}"


def _string_type(like: pa.DataType) -> pa.DataType:
    """Spark's Arrow string type: large when the session uses large variable-width types."""
    import pyarrow as pa

    return pa.large_string() if pa.types.is_large_string(like) or pa.types.is_large_binary(like) else pa.string()


def _extract_batches(batches: Iterable[pa.RecordBatch], *, html_col: str, output_col: str, error_col: str,
                     model: str | None, threshold: float | None, keep_html: bool,
                     worker_info: bool) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function: input columns (less ``html_col`` unless kept) + text + error.

    Module-level on purpose: Spark pickles it by reference, so the model cache above is
    the worker process's own and survives from one task to the next.
    """
    import pyarrow as pa

    extractor = worker_extractor(model)
    pid = os.getpid()
    for batch in batches:
        for start in range(0, batch.num_rows, OUTPUT_BATCH_ROWS):
            chunk = batch.slice(start, OUTPUT_BATCH_ROWS)
            html = chunk.column(html_col)
            results = [extract_one(extractor, page, threshold) for page in html.to_pylist()]
            text_type = _string_type(html.type)
            names = [name for name in chunk.schema.names if keep_html or name != html_col]
            arrays = [chunk.column(name) for name in names]
            names += [output_col, error_col]
            arrays += [pa.array([t for t, _ in results], text_type), pa.array([e for _, e in results], text_type)]
            if worker_info:
                names += ["worker_pid", "model_loads"]
                arrays += [pa.array([pid] * chunk.num_rows, pa.int64()),
                           pa.array([model_loads()] * chunk.num_rows, pa.int32())]
            yield pa.RecordBatch.from_arrays(arrays, names=names)


def extract_column(df: DataFrame, html_col: str = "html", output_col: str = "text", *, error_col: str = "error",
                   model: str | os.PathLike[str] | None = None, threshold: float | None = None,
                   keep_html: bool = True, worker_info: bool = False) -> DataFrame:
    """``df`` with ``output_col`` (the main text) and ``error_col`` added, row for row.

    ``html_col`` is a string or binary column (binary keeps the page's own charset
    handling). A row whose extraction fails, a null page among them, gets a null text and
    ``"ErrorType: message"``; the others a null error. ``model`` is a model file readable on
    the executors (default: the shipped model), ``threshold`` overrides its decision
    threshold. ``keep_html=False`` leaves the page column out of the result, so the pages
    are not sent back from the Python workers. ``worker_info=True`` adds ``worker_pid`` and
    ``model_loads`` (models that worker process had loaded when it made the row): loads
    stay at 1 per process however many partitions it serves.
    """
    from pyspark.sql.types import BinaryType, IntegerType, LongType, StringType, StructField, StructType

    if html_col not in df.columns:
        raise ValueError(f"no column {html_col!r} in {df.columns}")
    if not isinstance(df.schema[html_col].dataType, (StringType, BinaryType)):
        raise ValueError(f"column {html_col!r} is {df.schema[html_col].dataType.simpleString()}, not string or binary")
    added = [output_col, error_col] + (["worker_pid", "model_loads"] if worker_info else [])
    clashes = [name for name in added if name in df.columns and (keep_html or name != html_col)]
    if clashes or len(set(added)) != len(added):
        raise ValueError(f"output columns {added} clash with each other or with {df.columns}")
    fields = [field for field in df.schema.fields if keep_html or field.name != html_col]
    fields += [StructField(output_col, StringType(), True), StructField(error_col, StringType(), True)]
    if worker_info:
        fields += [StructField("worker_pid", LongType(), True), StructField("model_loads", IntegerType(), True)]
    func = functools.partial(_extract_batches, html_col=html_col, output_col=output_col, error_col=error_col,
                             model=None if model is None else os.fspath(model),
                             threshold=None if threshold is None else float(threshold),
                             keep_html=keep_html, worker_info=worker_info)
    return df.mapInArrow(func, StructType(fields))


# --- WARC files --------------------------------------------------------------------------

WARC_COLUMNS = "path string, offset long, url string, text string, error string"


def _warc_rows(path: str, extractor: Extractor, threshold: float | None) -> Iterator[tuple]:
    """``(path, offset, url, text, error)`` per HTML record of one WARC file (2xx responses
    with an HTML Content-Type, and HTML ``resource`` records).

    A record cut short (fewer bytes than its Content-Length) gets an error instead of the
    text of half a page; a file that cannot be opened or read, or whose last bytes are not
    a whole record, adds one row with its error and no URL.
    """
    try:
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type not in ("response", "resource"):
                    continue
                if record.http_headers is not None and not (record.http_headers.get_statuscode() or "").startswith("2"):
                    continue  # redirects, errors: not the page
                content_type = (record.http_headers.get_header("Content-Type") if record.http_headers
                                else record.rec_headers.get_header("Content-Type")) or ""
                if "html" not in content_type.lower():
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                try:
                    page = record.content_stream().read()
                except Exception as error:  # a broken content encoding: this record only
                    yield path, records.get_record_offset(), url, None, f"{type(error).__name__}: {error}"
                    continue
                missing = getattr(record.raw_stream, "limit", 0)
                offset = records.get_record_offset()  # reads the record to its end: after the content
                if missing:
                    yield path, offset, url, None, f"TruncatedRecord: {missing} bytes of the record are missing"
                    continue
                yield (path, offset, url, *extract_one(extractor, page, threshold))
            if records.offset < size:
                yield path, None, None, None, (f"TruncatedFile: the last {size - records.offset} bytes "
                                               f"(from offset {records.offset}) are not a whole record")
    except Exception as error:  # missing, unreadable or malformed file
        yield path, None, None, None, f"{type(error).__name__}: {error}"


def _extract_warc_batches(batches: Iterable[pa.RecordBatch], *, path_col: str, model: str | None,
                          threshold: float | None) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function of :func:`extract_warc_paths`."""
    import pyarrow as pa

    schema = pa.schema([("path", pa.string()), ("offset", pa.int64()), ("url", pa.string()),
                        ("text", pa.string()), ("error", pa.string())])
    extractor = worker_extractor(model)
    for batch in batches:
        for path in batch.column(path_col).to_pylist():
            if path is None:
                continue
            rows: list[tuple] = []
            for row in _warc_rows(path, extractor, threshold):
                rows.append(row)
                if len(rows) == OUTPUT_BATCH_ROWS:
                    yield pa.RecordBatch.from_arrays([pa.array(c, t.type) for c, t in zip(zip(*rows), schema)],
                                                     schema=schema)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_arrays([pa.array(c, t.type) for c, t in zip(zip(*rows), schema)],
                                                 schema=schema)


def extract_warc_paths(spark: SparkSession, paths: Sequence[str] | DataFrame, *, path_col: str = "path",
                       model: str | os.PathLike[str] | None = None, threshold: float | None = None,
                       num_partitions: int | None = None) -> DataFrame:
    """Main text of every HTML page in WARC files (plain or gzipped; read with ``warcio``).

    ``paths`` is a list of file paths readable on every executor (a shared file system) or
    a DataFrame with them in ``path_col``. The result has ``path``, ``offset`` (of the
    record in its file), ``url``, ``text`` and ``error`` (see :func:`extract_column`); a
    file that cannot be read gives one row with its error. A list is spread over
    ``num_partitions`` tasks (default: one per file).
    """
    if isinstance(paths, (str, os.PathLike)):
        raise TypeError("paths: pass a list of paths, not one path")
    if isinstance(paths, Sequence):
        paths = [os.fspath(p) for p in paths]
        frame = spark.createDataFrame([(p,) for p in paths], f"{path_col} string")
        frame = frame.repartition(max(1, num_partitions or len(paths)))
    else:
        frame = paths if num_partitions is None else paths.repartition(num_partitions)
    func = functools.partial(_extract_warc_batches, path_col=path_col,
                             model=None if model is None else os.fspath(model),
                             threshold=None if threshold is None else float(threshold))
    return frame.select(path_col).mapInArrow(func, WARC_COLUMNS)
