"""The HTTP service against a real server: uvicorn on 127.0.0.1 in a child process, called over HTTP."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import make_page

from boilerplate.persist import save_model

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "load_test.py"
_spec = importlib.util.spec_from_file_location("load_test", _SCRIPT)
load_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_test)

MAX_BODY = 1_000_000

#: Put on the server's PYTHONPATH as ``sitecustomize``, so it runs in the server and in each
#: worker process it spawns: every read of a portable model file appends the reader's PID to
#: the file named by BOILERPLATE_TEST_MODEL_READS.
_MODEL_READS_HOOK = '''\
import os

from boilerplate.portable import PortableClassifier

_load = PortableClassifier.load.__func__


def _logged_load(cls, source):
    with open(os.environ["BOILERPLATE_TEST_MODEL_READS"], "a") as log:
        log.write(f"{os.getpid()}\\n")
    return _load(cls, source)


PortableClassifier.load = classmethod(_logged_load)
'''


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, tiny_extractor) -> Path:
    path = tmp_path_factory.mktemp("service") / "tiny.npz"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    return path


def _serve(model_file: Path, *args: str):
    process, url, log = load_test.start_server(workers=2, model=str(model_file), extra=list(args))
    return process, url, log


def _stop(process, url: str, log: str) -> list[int]:
    pids = [w["pid"] for w in httpx.get(f"{url}/health", timeout=10).json()["workers"]]
    load_test.stop_server(process)
    os.unlink(log)
    return pids


@pytest.fixture(scope="module")
def model_reads(tmp_path_factory) -> Path:
    """The file where the server's processes log each model read (one PID a line)."""
    return tmp_path_factory.mktemp("model-reads") / "reads.log"


@pytest.fixture(scope="module")
def server(model_file, model_reads):
    hook = model_reads.parent / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_MODEL_READS_HOOK)
    with pytest.MonkeyPatch.context() as env:  # the server and its workers inherit this environment
        env.setenv("PYTHONPATH", str(hook), prepend=os.pathsep)
        env.setenv("BOILERPLATE_TEST_MODEL_READS", str(model_reads))
        process, url, log = _serve(model_file, "--deadline", "20", "--max-body-bytes", str(MAX_BODY), "--max-batch", "8")
    yield url
    pids = _stop(process, url, log)
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a clean shutdown
    time.sleep(0.5)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "workers outlive the server"


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def _error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["status"] == status and body["message"]
    if code:
        assert body["code"] == code
    return body


# ---------------------------------------------------------------- answers

def test_health_lists_the_workers(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and len(health["workers"]) == 2
    assert len({w["pid"] for w in health["workers"]}) == 2 and all(w["alive"] for w in health["workers"])


def test_model_is_the_manifest(client, model_file):
    manifest = client.get("/model").json()
    assert manifest["model_file"] == model_file.name and manifest["file_format"] == "portable-npz"
    assert len(manifest["sha256"]) == 64


def test_openapi_schema_documents_the_endpoints(client):
    schema = client.get("/openapi.json").json()
    assert {"/extract", "/predict", "/batch", "/health", "/model"} <= set(schema["paths"])
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"text/html", "application/json"} <= set(body)
    assert "413" in schema["paths"]["/extract"]["post"]["responses"]


def test_extract_raw_html(client):
    page = make_page(2100)
    response = client.post("/extract", content=page.html, headers={"content-type": "text/html"})
    assert response.status_code == 200, response.text
    text = response.json()["text"]
    assert page.article.split("\n\n")[1] in text
    assert "All rights reserved" not in text


def test_predict_json_matches_the_library(client, tiny_extractor):
    page = make_page(2101)
    response = client.post("/predict", json={"html": page.html.decode(), "threshold": 0.3})
    assert response.status_code == 200, response.text
    payload = response.json()
    expected = tiny_extractor.predict(page.html, threshold=0.3)
    assert payload["threshold"] == 0.3 and payload["n_blocks"] == len(expected)
    assert [b["text"] for b in payload["blocks"]] == [b.text for b in expected]
    assert np.allclose([b["proba"] for b in payload["blocks"]], [b.proba for b in expected], atol=1e-6)
    assert [b["label"] for b in payload["blocks"]] == [b.label for b in expected]
    assert payload["text"] == tiny_extractor.extract(page.html, threshold=0.3)


def test_threshold_as_query_parameter(client, tiny_extractor):
    body = make_page(2102).html
    def content(query: str) -> int:
        return client.post(f"/predict{query}", content=body, headers={"content-type": "text/html"}).json()["n_content"]

    everything = client.post("/predict?threshold=0", content=body, headers={"content-type": "text/html"}).json()
    labels = [b["label"] for b in everything["blocks"]]
    assert labels == [b.label for b in tiny_extractor.predict(body, threshold=0)]
    # at 0 every block passes the threshold, and only the rule after it that drops blocks
    # outside the main container drops any: without that rule every block is kept
    assert all(b.label for b in replace(tiny_extractor, keep_scattered=True).predict(body, threshold=0))
    assert len(labels) == everything["n_blocks"] and 0 < everything["n_content"] < everything["n_blocks"]
    assert content("?threshold=1") <= content("") < everything["n_content"]


def test_charset_from_content_type_and_from_the_page(client):
    html = "<html><body><p>Un café crème, s'il vous plaît, et une tarte.</p></body></html>"
    labelled = client.post("/predict?threshold=0", content=html.encode("cp1252"),
                           headers={"content-type": "text/html; charset=windows-1252"})
    assert "café crème" in labelled.json()["text"]
    lying = client.post("/predict?threshold=0", content=html.encode("utf-8"),
                        headers={"content-type": "text/html; charset=base64"})
    assert lying.status_code == 200 and "café crème" in lying.json()["text"]


def test_empty_page_is_an_empty_result(client):
    response = client.post("/predict", content=b"", headers={"content-type": "text/html"})
    assert response.status_code == 200
    assert response.json() == {"text": "", "threshold": 0.5, "n_blocks": 0, "n_content": 0, "blocks": []}


def test_batch_keeps_order_and_fails_per_page(model_file, tiny_extractor):
    """A page that overruns the deadline fails alone, in its own entry; the pages before and after it get their results."""
    # 6 MB of inline tags: about 3 s of work here, six times the deadline; the other pages take
    # milliseconds, so a loaded machine has room (a 0.25 s deadline would be too close for them)
    slow = "<b>a</b>" * 750_000
    pages = [{"html": make_page(2103).html.decode()}, {"html": ""}, {"html": slow},
             {"html": "<p>one two three four</p>", "threshold": 0}, {"html": make_page(2104).html.decode()}]
    process, url, log = _serve(model_file, "--deadline", "0.5")
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            response = c.post("/batch", json={"pages": pages, "blocks": True})
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
            assert "result" not in results[2] and results[2]["error"]["message"]
            assert {k: results[2]["error"][k] for k in ("status", "code")} == {"status": 504, "code": "deadline_exceeded"}
            for page, entry in zip(pages, results):
                if entry["index"] != 2:
                    assert "error" not in entry, entry
                    assert entry["result"]["text"] == tiny_extractor.extract(page["html"], threshold=page.get("threshold"))
            assert results[0]["result"]["n_blocks"] > 3 and results[1]["result"]["n_blocks"] == 0
            assert results[3]["result"]["text"] == "one two three four"
            assert results[4]["result"]["text"] != results[0]["result"]["text"]
            deadline = time.monotonic() + 120  # the stopped worker is replaced before the server stops
            while c.get("/health").json()["restarts"] < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        _stop(process, url, log)


# ---------------------------------------------------------------- refusals

def test_body_over_the_limit_is_413(client):
    _error(client.post("/extract", content=b"x" * (MAX_BODY + 1), headers={"content-type": "text/html"}), 413,
           "body_too_large")


def test_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(MAX_BODY // 65_536 + 2):
            yield b"y" * 65_536
    _error(client.post("/extract", content=chunks(), headers={"content-type": "text/html"}), 413, "body_too_large")


def test_body_at_the_limit_is_accepted(client):
    page = b"<p>" + b"word " * ((MAX_BODY - 7) // 5) + b"</p>"
    page = page[:MAX_BODY]
    assert len(page) <= MAX_BODY
    assert client.post("/extract", content=page, headers={"content-type": "text/html"}).status_code == 200


@pytest.mark.parametrize("body,code", [
    (b'{"threshold": 0.5}', "invalid_json"),             # no html
    (b'{"html": 3}', "invalid_json"),                    # not a string
    (b'{"html": "<p>x</p>", "threshold": 2}', "invalid_json"),
    (b'{"html": "<p>x</p>", "extra": 1}', "invalid_json"),
    (b'{"html": ', "invalid_json"),                      # truncated
    (b'\xff\xfe not json', "invalid_json"),
    (b'[]', "invalid_json"),
])
def test_bad_json_is_422(client, body, code):
    _error(client.post("/predict", content=body, headers={"content-type": "application/json"}), 422, code)


def test_bad_query_threshold_is_422(client):
    _error(client.post("/extract?threshold=x", content=b"<p>a</p>", headers={"content-type": "text/html"}), 422,
           "invalid_request")


def test_unsupported_media_type_is_415(client):
    _error(client.post("/extract", content=b"\x89PNG", headers={"content-type": "image/png"}), 415,
           "unsupported_media_type")
    _error(client.post("/batch", content=b"<p>x</p>", headers={"content-type": "text/html"}), 415)


def test_batch_limits_are_422(client):
    _error(client.post("/batch", json={"pages": [{"html": "<p>x</p>"}] * 9}), 422, "batch_too_large")
    _error(client.post("/batch", json={"pages": []}), 422, "invalid_json")


def test_unknown_path_and_method_are_json(client):
    _error(client.get("/nope"), 404, "not_found")
    _error(client.get("/extract"), 405, "method_not_allowed")


_HTTP_FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_HTTP_FUZZ
@given(path=st.sampled_from(["/extract", "/predict", "/batch"]), body=st.binary(max_size=3000),
       media=st.sampled_from(["text/html", "application/json", "text/plain; charset=utf-16", "text/html; charset=bogus",
                              "application/octet-stream", "multipart/form-data", "", "application/json; charset=latin-1"]))
def test_fuzz_any_body_gets_a_clear_answer(client, path, body, media):
    headers = {"content-type": media} if media else {}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code in (200, 413, 415, 422), response.text
    if response.status_code != 200:
        _error(response, response.status_code)


# ---------------------------------------------------------------- under load and past the deadline

def test_model_loads_once_per_worker(client, model_reads):
    """Each worker reads the model file once, when it starts, however many pages it then extracts."""
    def reads(pids) -> dict[int, int]:
        counts = Counter(int(pid) for pid in model_reads.read_text().split())
        return {pid: counts[pid] for pid in pids}

    before = {w["pid"]: w["jobs"] for w in client.get("/health").json()["workers"]}
    assert reads(before) == {pid: 1 for pid in before}
    for i in range(20):
        assert client.post("/extract", content=make_page(3000 + i).html).status_code == 200
    after = {w["pid"]: w["jobs"] for w in client.get("/health").json()["workers"]}
    assert set(after) == set(before), "the same processes served every request"
    assert sum(after.values()) - sum(before.values()) == 20
    assert all(after[pid] > before[pid] for pid in after), "every worker served some of the pages"
    assert reads(after) == {pid: 1 for pid in after}, "a worker read the model again"


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc")
def test_workers_cap_their_address_space(client):
    for worker in client.get("/health").json()["workers"]:
        limits = Path(f"/proc/{worker['pid']}/limits").read_text()
        line = next(l for l in limits.splitlines() if l.startswith("Max address space"))
        soft = line.split()[3]
        assert soft != "unlimited" and int(soft) < 8 * 1024**3, line


def test_load_from_a_second_process_has_no_errors(server, tmp_path):
    """scripts/load_test.py in its own process: 400 requests at concurrency 16, zero errors."""
    pages = []
    for i in range(5):
        path = tmp_path / f"page{i}.html"
        path.write_bytes(make_page(4000 + i).html)
        pages += ["--page", str(path)]
    result = subprocess.run([sys.executable, str(_SCRIPT), "--url", server, "--requests", "400", "--concurrency", "16",
                             "--max-seconds", "240", "--json", *pages], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout)
    print(f"\nload test: {figures}")
    assert figures["errors"] == 0 and figures["ok"] == 400
    assert figures["rps"] > 0 and 0 < figures["p50_ms"] <= figures["p99_ms"]


def test_load_test_refuses_other_hosts():
    with pytest.raises(SystemExit, match="loopback"):
        load_test._check_loopback("http://192.0.2.1:8000")


def test_a_pathological_page_is_cut_at_the_deadline(model_file):
    """A page that needs many seconds gets 504 at the deadline; its worker is replaced, the rest go on."""
    process, url, log = _serve(model_file, "--deadline", "0.05", "--max-body-bytes", "5000000")
    try:  # 4.5 MB of linked paragraphs: about 0.2 s of work here with the test model, four times the deadline
        slow = ("<div><p>" + "lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 2 + "</p><a href=x>link</a></div>") * 30_000
        with httpx.Client(base_url=url, timeout=60) as c:
            before = {w["pid"] for w in c.get("/health").json()["workers"]}
            start = time.perf_counter()
            response = c.post("/extract", content=slow.encode(), headers={"content-type": "text/html"})
            elapsed = time.perf_counter() - start
            _error(response, 504, "deadline_exceeded")
            assert elapsed < 10, f"answered after {elapsed:.1f} s"
            assert c.post("/extract", content=make_page(5).html).status_code == 200  # the other worker serves
            deadline = time.monotonic() + 120
            health = c.get("/health").json()
            while health["restarts"] < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
                health = c.get("/health").json()
            assert health["restarts"] == 1 and len(health["workers"]) == 2
            assert {w["pid"] for w in health["workers"]} != before
            assert all(w["alive"] for w in health["workers"])
    finally:
        _stop(process, url, log)
