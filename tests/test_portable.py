"""The portable model format: trees as plain arrays, equal to scikit-learn, never unpickled."""

from __future__ import annotations

import ast
import io
import json
import pickle
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import boilerplate.portable
from boilerplate.errors import ModelError
from boilerplate.extractor import (
    DEFAULT_MODEL_NAME, PORTABLE_MODEL_NAME, default_model_path, load_extractor,
)
from boilerplate.features import FEATURE_NAMES
from boilerplate.model import BlockClassifier
from boilerplate.persist import export_portable, is_export_of, load_model, manifest_path, save_model, sha256_file
from boilerplate.portable import PortableClassifier, to_portable

N_FEATURES = len(FEATURE_NAMES)


@pytest.fixture(scope="module")
def deep_classifier() -> BlockClassifier:
    """Deep trees; without missing values in training, NaN follows each split's larger child (both ways)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 20)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=1500) > 0).astype(int)
    with threadpool_limits(1):  # OpenMP threads only spin on a shared 2-core machine
        return BlockClassifier(max_iter=15, max_leaf_nodes=63, min_samples_leaf=3).fit(X, y)


@pytest.fixture(params=["compiled", "numpy"], autouse=True)
def walk(request, monkeypatch) -> str:
    """Every test runs with the compiled walk (``_trees.pyx``) and with the numpy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(boilerplate.portable, "_compiled_raw_scores", None)
    return request.param


def _inputs(rng: np.random.Generator, n_features: int = N_FEATURES) -> np.ndarray:
    X = rng.normal(size=(700, n_features)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:5] = np.inf
    X[5:10] = -np.inf
    return X


def test_raw_scores_bit_identical_and_probabilities_equal(deep_classifier, tiny_extractor):
    rng = np.random.default_rng(1)
    for classifier in (deep_classifier, tiny_extractor.classifier):
        portable = to_portable(classifier)
        X = _inputs(rng, classifier.n_features_in_)
        expected_raw = classifier.estimator_._raw_predict(X.astype(np.float64)).ravel()
        assert np.array_equal(portable.decision_function(X), expected_raw)
        assert np.allclose(portable.predict_proba(X), classifier.estimator_.predict_proba(X), rtol=0, atol=1e-12)
        assert np.array_equal(portable.predict(X), classifier.estimator_.predict(X))
    assert to_portable(deep_classifier).depth > 5


def test_an_ensemble_exports_as_one_model_with_halved_leaves():
    """Two members' mean raw score is one sum over both members' trees, each leaf halved."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 20)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] * X[:, 4] + 0.3 * rng.normal(size=1500) > 0).astype(int)
    with threadpool_limits(1):
        ensemble = BlockClassifier(max_iter=8, max_leaf_nodes=15, min_samples_leaf=3, n_members=2).fit(X, y)
    portable = to_portable(ensemble)
    assert portable.n_trees == 16
    X_new = rng.normal(size=(700, 20)).astype(np.float32)  # finite: BlockClassifier validates its input
    mean_raw = sum(m.decision_function(X_new) for m in ensemble.estimators_) / 2
    assert np.allclose(portable.decision_function(X_new), mean_raw, rtol=0, atol=1e-12)
    assert np.allclose(portable.predict_proba(X_new), ensemble.predict_proba(X_new), rtol=0, atol=1e-12)
    assert np.array_equal(portable.predict(X_new), ensemble.predict(X_new))
    restored = PortableClassifier.from_arrays(portable.arrays())
    assert np.array_equal(restored.decision_function(X_new), portable.decision_function(X_new))


def test_exact_at_the_thresholds(deep_classifier):
    """Rows sitting exactly on a split threshold (and one float32 step either side) go the same way."""
    portable = to_portable(deep_classifier)
    thresholds = portable.threshold[portable.feature >= 0]
    features = portable.feature[portable.feature >= 0]
    X = np.zeros((3 * len(thresholds), portable.n_features_in_), dtype=np.float32)
    on = thresholds.astype(np.float32)
    for k, values in enumerate((on, np.nextafter(on, np.float32(-np.inf)), np.nextafter(on, np.float32(np.inf)))):
        X[np.arange(len(values)) + k * len(values), features] = values
    assert np.array_equal(portable.decision_function(X), deep_classifier.estimator_._raw_predict(X.astype(np.float64)).ravel())


def test_many_rows_are_chunked_with_the_same_result(deep_classifier):
    portable = to_portable(deep_classifier)
    X = _inputs(np.random.default_rng(2), portable.n_features_in_)
    X = np.concatenate([X] * 4)  # > CHUNK_ROWS
    assert len(X) > boilerplate.portable.CHUNK_ROWS
    assert np.array_equal(portable.decision_function(X), deep_classifier.estimator_._raw_predict(X.astype(np.float64)).ravel())


def test_wrong_shape_is_refused(deep_classifier):
    with pytest.raises(ValueError, match="expects"):
        to_portable(deep_classifier).content_proba(np.zeros((3, 5), dtype=np.float32))


def test_save_load_round_trip_through_persist(tmp_path, tiny_extractor):
    path = tmp_path / "tiny.npz"
    manifest = save_model(tiny_extractor.classifier, path, threshold=0.4, target="article", info={"note": "x"})
    assert manifest["file_format"] == "portable-npz" and manifest["sha256"] == sha256_file(path)
    assert not list(tmp_path.glob("*.tmp")), "no temporary files left behind"
    classifier, loaded = load_model(path)
    assert isinstance(classifier, PortableClassifier) and loaded["note"] == "x"
    X = _inputs(np.random.default_rng(3))
    X = np.nan_to_num(X, nan=0.0, posinf=1e30, neginf=-1e30)
    assert np.allclose(classifier.content_proba(X), tiny_extractor.classifier.content_proba(X), rtol=0, atol=1e-12)
    extractor = load_extractor(path)
    page = "<html><body><nav><a href='/'>Home</a></nav><p>" + "A sentence about the river and the town. " * 8 + "</p></body></html>"
    assert extractor.threshold == 0.4
    ours = extractor.predict(page)
    theirs = tiny_extractor.predict(page, threshold=0.4)
    assert [b.label for b in ours] == [b.label for b in theirs]
    assert np.allclose([b.proba for b in ours], [b.proba for b in theirs], rtol=0, atol=1e-12)


def test_export_portable_keeps_the_record_and_names_its_source(tmp_path, tiny_extractor, deep_classifier):
    source = tmp_path / "m.joblib"
    save_model(tiny_extractor.classifier, source, threshold=0.55, target="article", info={"train_pages": 40})
    dest = tmp_path / "m.trees.npz"
    manifest = export_portable(source, dest)
    assert manifest["threshold"] == 0.55 and manifest["train_pages"] == 40
    assert manifest["exported_from"]["sha256"] == sha256_file(source)
    assert is_export_of(dest, source)
    save_model(deep_classifier, source, threshold=0.6, target="article")  # the source changes
    assert not is_export_of(dest, source)


def test_manifest_of_another_model_is_not_overwritten(tmp_path, tiny_extractor):
    save_model(tiny_extractor.classifier, tmp_path / "m.joblib", threshold=0.5, target="article")
    with pytest.raises(ModelError, match="belongs to m.joblib"):
        save_model(tiny_extractor.classifier, tmp_path / "m.npz", threshold=0.5, target="article")


def test_manifest_format_must_match_the_file(tmp_path, tiny_extractor):
    path = tmp_path / "m.npz"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    mpath = manifest_path(path)
    manifest = json.loads(mpath.read_text())
    manifest["file_format"] = "joblib"
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="joblib"):
        load_model(path)


class _Exploit:
    def __reduce__(self):
        import pathlib
        return (pathlib.Path.touch, (pathlib.Path(_Exploit.marker),))


def _forge(path: Path, data: bytes) -> None:
    """Replace a saved model file and make its manifest's checksum match, as an attacker with write access could."""
    path.write_bytes(data)
    mpath = manifest_path(path)
    manifest = json.loads(mpath.read_text())
    manifest["sha256"] = sha256_file(path)
    mpath.write_text(json.dumps(manifest))


def test_a_pickle_named_npz_is_never_unpickled_even_with_a_matching_manifest(tmp_path, tiny_extractor):
    path = tmp_path / "m.npz"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    _forge(path, pickle.dumps(_Exploit()))
    with pytest.raises(ModelError, match="not a portable model file"):
        load_model(path)
    assert not marker.exists()


def test_an_object_array_inside_the_npz_is_refused(tmp_path, tiny_extractor):
    path = tmp_path / "m.npz"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    arrays = to_portable(tiny_extractor.classifier).arrays()
    arrays["value"] = np.array([_Exploit()], dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _forge(path, buffer.getvalue())
    with pytest.raises(ModelError):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["cycle", "shared_child", "feature_range", "child_range", "missing_array",
                                    "extra_array", "version", "text_version", "text_nodes", "nonfinite", "truncated"])
def test_damaged_arrays_are_refused(tmp_path, tiny_extractor, damage):
    arrays = dict(to_portable(tiny_extractor.classifier).arrays())
    split = np.flatnonzero(arrays["feature"] >= 0)
    if damage == "cycle":
        arrays["left"] = arrays["left"].copy()
        arrays["left"][split[1]] = split[0]
    elif damage == "shared_child":
        arrays["right"] = arrays["right"].copy()
        arrays["right"][split[0]] = arrays["left"][split[0]]
    elif damage == "feature_range":
        arrays["feature"] = arrays["feature"].copy()
        arrays["feature"][split[0]] = N_FEATURES
    elif damage == "child_range":
        arrays["right"] = arrays["right"].copy()
        arrays["right"][split[0]] = 10**6
    elif damage == "missing_array":
        del arrays["threshold"]
    elif damage == "extra_array":
        arrays["code"] = np.array("import os")
    elif damage == "version":
        arrays["portable_version"] = np.array(99)
    elif damage == "text_version":
        arrays["portable_version"] = np.array("one")
    elif damage == "text_nodes":
        arrays["feature"] = np.array(["a"] * len(arrays["feature"]))
    elif damage == "nonfinite":
        arrays["value"] = arrays["value"].copy()
        arrays["value"][0] = np.nan
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()[:200] if damage == "truncated" else buffer.getvalue()
    with pytest.raises(ModelError):
        PortableClassifier.load(io.BytesIO(data))


def test_portable_module_needs_neither_pickle_nor_scikit_learn():
    tree = ast.parse(Path(boilerplate.portable.__file__).read_text("utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "json", "dataclasses", "typing", "numpy", "errors", "_trees", ""}, imported
    assert "allow_pickle=False" in Path(boilerplate.portable.__file__).read_text("utf-8")


# ---------------------------------------------------------------- the shipped model

MODELS = resources.files("boilerplate.models")


def test_shipped_portable_model_is_the_export_of_the_shipped_joblib():
    portable = Path(str(MODELS / PORTABLE_MODEL_NAME))
    source = Path(str(MODELS / DEFAULT_MODEL_NAME))
    assert portable.is_file(), "run `python scripts/export_portable.py` to write models/default.trees.npz"
    assert is_export_of(portable, source), (
        "models/default.trees.npz is stale: re-export it with `python scripts/export_portable.py`")
    assert default_model_path() == portable


def test_shipped_portable_model_predicts_as_the_joblib_one():
    page = (resources.files("boilerplate.registry") / "examples" / "article.html").read_bytes()
    portable = load_extractor(Path(str(MODELS / PORTABLE_MODEL_NAME)))
    pickled = load_extractor(Path(str(MODELS / DEFAULT_MODEL_NAME)))
    assert isinstance(portable.classifier, PortableClassifier)
    assert portable.threshold == pickled.threshold
    a, b = portable.predict(page), pickled.predict(page)
    assert [x.label for x in a] == [x.label for x in b]
    assert np.allclose([x.proba for x in a], [x.proba for x in b], rtol=0, atol=1e-12)


_WITHOUT_SKLEARN = """
import json, sys, types
sys.modules["sklearn"] = None  # any import of scikit-learn now fails
package = types.ModuleType("boilerplate")
package.__path__ = [sys.argv[1]]  # load the two modules below without the package's __init__
sys.modules["boilerplate"] = package
from boilerplate.portable import PortableClassifier
import numpy as np
model = PortableClassifier.load(sys.argv[2])
X = np.load(sys.argv[3])
print(json.dumps(model.content_proba(X).tolist()))
"""


def test_shipped_portable_model_predicts_without_scikit_learn(tmp_path):
    """What a scikit-learn upgrade cannot break: the file and the code that reads it use numpy alone."""
    portable = Path(str(MODELS / PORTABLE_MODEL_NAME))
    if not portable.is_file():
        pytest.fail("run `python scripts/export_portable.py` to write models/default.trees.npz")
    model, _ = load_model(portable)
    X = np.random.default_rng(4).normal(size=(200, model.n_features_in_)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    package = Path(boilerplate.portable.__file__).parent
    result = subprocess.run([sys.executable, "-c", _WITHOUT_SKLEARN, str(package), str(portable), str(tmp_path / "X.npy")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.array(json.loads(result.stdout)), model.content_proba(X))


def test_a_crash_while_writing_leaves_the_previous_model(tmp_path, tiny_extractor, monkeypatch):
    """Atomic writes: a process killed half-way through a save leaves the old file and manifest whole."""
    path = tmp_path / "m.npz"
    save_model(tiny_extractor.classifier, path, threshold=0.5, target="article")
    before, manifest_before = path.read_bytes(), manifest_path(path).read_text()

    def crash(self, handle):
        handle.write(b"half a model")
        raise KeyboardInterrupt  # as a kill would stop it

    monkeypatch.setattr(PortableClassifier, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(tiny_extractor.classifier, path, threshold=0.7, target="article")
    assert path.read_bytes() == before and manifest_path(path).read_text() == manifest_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]
    load_model(path)
