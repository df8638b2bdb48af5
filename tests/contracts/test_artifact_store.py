"""One contract for every ArtifactStore backend: files, and S3 (SSE-KMS) on a moto server."""

import hashlib
import re

import pytest

from ml.artifacts.codecs import content_key, get_content, put_content, ref_for_digest
from ml.artifacts.local import LocalArtifactStore
from ml.errors import ArtifactIntegrityError


def _build_local(tmp_path, request):
    return LocalArtifactStore(tmp_path / "artifacts")


def _build_sagemaker(tmp_path, request):
    from ml.artifacts.s3 import S3ArtifactStore

    moto = request.getfixturevalue("fresh_moto")
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="contract-artifacts")
    key = moto.client("kms").create_key(Description="contract suite")["KeyMetadata"]["Arn"]
    return S3ArtifactStore(s3, bucket="contract-artifacts", kms_key_arn=key)


BACKENDS = {"local": _build_local, "sagemaker": _build_sagemaker}


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


@pytest.mark.parametrize(
    "digest",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "",
        "a" * 63,
        "A" * 64,
        "a" * 64 + "\n",
        "a" * 65,
        "g" * 64,
        "a" * 62 + "/x",
    ],
)
def test_a_digest_that_is_not_sha256_never_becomes_a_key(store, digest):
    # A digest read back from a tampered registry row must not reach the store as a path.
    for use in (content_key, lambda d: ref_for_digest(store, d), lambda d: get_content(store, d)):
        with pytest.raises(
            ArtifactIntegrityError, match=re.escape(f"artifact digest {digest!r} is not a SHA-256")
        ):
            use(digest)


def test_content_key_of_a_digest_is_fanned_out_by_its_first_two_characters():
    digest = hashlib.sha256(b"x").hexdigest()

    assert content_key(digest) == f"sha256/{digest[:2]}/{digest}"
