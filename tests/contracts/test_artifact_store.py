"""One contract for every ArtifactStore backend (a later issue adds "sagemaker": S3 on a moto server)."""

import hashlib

import pytest

from ml.artifacts.codecs import get_content, put_content
from ml.artifacts.local import LocalArtifactStore
from ml.errors import ArtifactIntegrityError


def _build_local(tmp_path, request):
    return LocalArtifactStore(tmp_path / "artifacts")


BACKENDS = {"local": _build_local}


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path):
    return BACKENDS[request.param](tmp_path, request)


def test_put_then_get_round_trips(store):
    ref = store.put_bytes("a/b.bin", b"hello")
    assert ref.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert ref.size == 5
    assert store.get_bytes(ref) == b"hello"
    assert store.exists("a/b.bin")


def test_put_is_idempotent(store):
    first = store.put_bytes("k", b"same")
    assert store.put_bytes("k", b"same") == first


def test_missing_object_raises_integrity_error(store):
    ref = store.put_bytes("k", b"x")
    other = type(ref)(key="missing", sha256=ref.sha256, uri=store.uri_for("missing"), size=1)
    with pytest.raises(ArtifactIntegrityError, match="missing"):
        store.get_bytes(other)


def test_changed_bytes_are_detected(store):
    ref = store.put_bytes("k", b"original")
    store.put_bytes("k", b"tampered")
    with pytest.raises(ArtifactIntegrityError, match="corrupt"):
        store.get_bytes(ref)


def test_content_addressing_keys_by_digest(store):
    ref = put_content(store, b"model bytes")
    assert ref.key.endswith(ref.sha256)
    assert get_content(store, ref.sha256) == b"model bytes"


def test_exists_is_false_for_unknown_keys(store):
    assert not store.exists("never/written")
