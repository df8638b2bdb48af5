"""S3-only behaviour: every put is SSE-KMS with the configured key, and keys stay inside the store.

The Protocol's behaviour is covered by tests/contracts/test_artifact_store.py and is not repeated here.
"""

from __future__ import annotations

import pytest

from ml.artifacts.s3 import S3ArtifactStore

BUCKET = "s3-store-tests"


@pytest.fixture
def store_and_key(fresh_moto):
    s3 = fresh_moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    key = fresh_moto.client("kms").create_key(Description="artifacts")["KeyMetadata"]["Arn"]
    return S3ArtifactStore(s3, bucket=BUCKET, kms_key_arn=key, prefix="artifacts"), key, s3


def test_every_object_is_encrypted_with_the_configured_key(store_and_key):
    store, key, s3 = store_and_key

    ref = store.put_bytes("sha256/ab/abc", b"model")

    head = s3.head_object(Bucket=BUCKET, Key="artifacts/sha256/ab/abc")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key)
    assert ref.uri == f"s3://{BUCKET}/artifacts/sha256/ab/abc"


def test_an_identical_put_writes_nothing_new(store_and_key):
    store, _, s3 = store_and_key
    store.put_bytes("k", b"same")
    first = s3.head_object(Bucket=BUCKET, Key="artifacts/k")["ETag"]
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})

    store.put_bytes("k", b"same")

    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="artifacts/k").get("Versions", [])
    assert len(versions) == 1 and versions[0]["ETag"] == first


@pytest.mark.parametrize("key", ["", "/etc/passwd", "a/../../b", "a//b", "./a"])
def test_a_key_outside_the_store_is_refused(store_and_key, key):
    store, _, _ = store_and_key

    with pytest.raises(ValueError, match="is not a relative path inside the store"):
        store.put_bytes(key, b"x")
