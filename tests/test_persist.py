"""Model files: save → load round trip, and refusal of anything not written by us."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pytest

from boilerplate.errors import ModelError
from boilerplate.extractor import load_extractor
from boilerplate.features import FEATURE_NAMES
from boilerplate.persist import load_model, manifest_path, save_model


@pytest.fixture()
def saved(tmp_path, tiny_extractor):
    path = tmp_path / "model.joblib"
    save_model(tiny_extractor.classifier, path, threshold=0.4, target="article", info={"note": "test"})
    return path


def test_round_trip_gives_identical_probabilities(saved, tiny_extractor):
    X = np.random.default_rng(0).normal(size=(50, len(FEATURE_NAMES))).astype(np.float32)
    loaded = load_extractor(saved)
    assert np.array_equal(loaded.classifier.content_proba(X), tiny_extractor.classifier.content_proba(X))
    assert loaded.threshold == 0.4 and loaded.target == "article"
    assert loaded.manifest["note"] == "test"


def test_manifest_records_versions_and_checksum(saved):
    manifest = json.loads(manifest_path(saved).read_text())
    assert manifest["feature_names"] == list(FEATURE_NAMES)
    assert len(manifest["sha256"]) == 64
    assert {"boilerplate", "scikit-learn", "joblib", "python"} <= set(manifest["versions"])
    assert not list(saved.parent.glob("*.tmp")), "no temporary files left behind"


def test_tampered_file_is_refused(saved):
    data = bytearray(saved.read_bytes())
    data[-10] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        load_model(saved)


def test_feature_version_mismatch_is_refused(saved):
    mpath = manifest_path(saved)
    manifest = json.loads(mpath.read_text())
    manifest["feature_version"] = -1
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="feature set"):
        load_model(saved)


def test_missing_manifest_is_refused(saved):
    manifest_path(saved).unlink()
    with pytest.raises(ModelError, match="manifest"):
        load_model(saved)


def test_corrupt_manifest_is_refused(saved):
    manifest_path(saved).write_text("{not json")
    with pytest.raises(ModelError, match="manifest"):
        load_model(saved)


class _Exploit:
    def __reduce__(self):
        import pathlib
        return (pathlib.Path.touch, (pathlib.Path(_Exploit.marker),))


def test_crafted_pickle_is_refused_without_running(saved, tmp_path):
    """A joblib file that would run code on load, placed beside a real manifest, is never unpickled."""
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    with open(saved, "wb") as handle:
        pickle.dump(_Exploit(), handle)
    with pytest.raises(ModelError):
        load_model(saved)
    assert not marker.exists()


def test_foreign_object_with_matching_checksum_is_refused(saved):
    """Even a file whose checksum matches must hold a BlockClassifier."""
    from boilerplate.persist import sha256_file

    joblib.dump({"not": "a model"}, saved)
    mpath = manifest_path(saved)
    manifest = json.loads(mpath.read_text())
    manifest["sha256"] = sha256_file(saved)
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="not a BlockClassifier"):
        load_model(saved)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "absent.joblib")
