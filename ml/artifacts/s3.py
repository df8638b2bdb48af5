"""Artifacts as S3 objects: SSE-KMS with the environment's key on every put, digest-checked reads."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from ml.artifacts import ArtifactRef
from ml.artifacts.codecs import verified
from ml.errors import ArtifactMissingError

SHA256_METADATA = "sha256"  # x-amz-meta-sha256: lets a put skip an identical object without reading it
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


class S3ArtifactStore:
    """An `ArtifactStore` on one S3 bucket (under `prefix`), every object encrypted with `kms_key_arn`.

    A put is a single PutObject, so readers never see a partial object (S3 writes are atomic per object).
    """

    def __init__(self, client: Any, *, bucket: str, kms_key_arn: str, prefix: str = "artifacts") -> None:
        self._client = client
        self.bucket = bucket
        self.kms_key_arn = kms_key_arn
        self.prefix = prefix.strip("/")

    def put_bytes(self, key: str, data: bytes) -> ArtifactRef:
        digest = hashlib.sha256(data).hexdigest()
        object_key = self._object_key(key)
        if self._stored_digest(object_key) != digest:
            self._client.put_object(
                Bucket=self.bucket,
                Key=object_key,
                Body=data,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.kms_key_arn,
                BucketKeyEnabled=True,
                Metadata={SHA256_METADATA: digest},
            )
        return ArtifactRef(key=key, sha256=digest, uri=self.uri_for(key), size=len(data))

    def get_bytes(self, ref: ArtifactRef) -> bytes:
        """The bytes where `ref.uri` says they are, in whichever bucket (prod reads what dev trained).

        No key id is sent: S3 decrypts an SSE-KMS object with the key that encrypted it, when the caller's
        role may use that key. The digest is checked wherever the bytes came from.
        """
        bucket, object_key = self._location(ref)
        try:
            data = self._client.get_object(Bucket=bucket, Key=object_key)["Body"].read()
        except ClientError as error:
            if _code(error) in _MISSING:
                raise ArtifactMissingError(f"artifact {ref.uri} is missing from the store") from None
            raise
        return verified(ref, data, "restore an earlier object version (the bucket is versioned) or retrain")

    def exists(self, key: str) -> bool:
        return self._stored_digest(self._object_key(key)) is not None

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"

    def _stored_digest(self, object_key: str) -> str | None:
        """The digest recorded with the object ("" when it has none), or None when there is no object."""
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise
        return head.get("Metadata", {}).get(SHA256_METADATA, "")

    def _location(self, ref: ArtifactRef) -> tuple[str, str]:
        """(bucket, object key) of `ref`: its s3:// URI, else its key in this store."""
        bucket, _, object_key = ref.uri.removeprefix("s3://").partition("/")
        if ref.uri.startswith("s3://") and bucket and object_key:
            return bucket, object_key
        return self.bucket, self._object_key(ref.key)

    def _object_key(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(
                f"artifact key {key!r} is not a relative path inside the store s3://{self.bucket}"
            )
        return f"{self.prefix}/{key}" if self.prefix else key


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
