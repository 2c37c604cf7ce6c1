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

:func:`extract_warc_paths` does the same from WARC files: one task per file by default,
and one row per entry that batch extraction (``boilerplate extract FILE -o out.jsonl``)
writes for that file, with the same ``id``, ``url``, ``text`` and error: the records are
selected and decoded by :func:`boilerplate.sources.warc_records` and extracted by
:func:`boilerplate.batch.extract_entry`, the code batch extraction runs.

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

    from .batch import Options
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

WARC_COLUMNS = "id string, path string, offset long, url string, text string, error string"


def _warc_rows(path: str, extractor: Extractor, options: Options) -> Iterator[tuple]:
    """``(id, path, offset, url, text, error)`` per record of one WARC file that batch
    extraction gives an entry, and the same entry: the records are read by
    :func:`boilerplate.sources.warc_records` and extracted by
    :func:`boilerplate.batch.extract_entry`, so ``id``, ``url``, ``text`` and ``error``
    (``"Type: message"`` for the entry's ``{"type", "message"}``) are what
    ``boilerplate extract FILE -o out.jsonl`` writes. ``offset`` is where the record
    starts in the file (``None`` for a file that cannot be opened).
    """
    from .batch import extract_entry
    from .sources import warc_records

    for record in warc_records(Path(path)):
        entry = extract_entry(extractor, record, options)
        error = entry.get("error")
        yield (entry["id"], path, record.offset, entry["url"], entry.get("text"),
               None if error is None else f"{error['type']}: {error['message']}")


def _extract_warc_batches(batches: Iterable[pa.RecordBatch], *, path_col: str, model: str | None,
                          threshold: float | None) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function of :func:`extract_warc_paths`."""
    import pyarrow as pa

    from .batch import Options

    schema = pa.schema([("id", pa.string()), ("path", pa.string()), ("offset", pa.int64()), ("url", pa.string()),
                        ("text", pa.string()), ("error", pa.string())])
    extractor = worker_extractor(model)
    options = Options(threshold=threshold)
    for batch in batches:
        for path in batch.column(path_col).to_pylist():
            if path is None:
                continue
            rows: list[tuple] = []
            for row in _warc_rows(path, extractor, options):
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
    a DataFrame with them in ``path_col``. The rows are the entries batch extraction
    writes for those files (:mod:`boilerplate.sources` selects and decodes the records,
    :func:`boilerplate.batch.extract_entry` extracts them): ``id`` (``<path>#<WARC-Record-ID>``,
    or ``<path>#offset:N`` for damage found at offset N, or the path for a file that
    cannot be opened), ``path`` (as given), ``offset`` (where the record starts in its
    file), ``url``, and ``text`` or ``error`` (``"Type: message"``). A record cut short,
    a damaged file (the rest of it is skipped) or a missing one gives an error row, never
    a failed task. A list is spread over ``num_partitions`` tasks (default: one per file).
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
