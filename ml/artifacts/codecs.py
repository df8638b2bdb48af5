"""Content addressing above the bytes-only store: keys are SHA-256 digests; values are encoded here once."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import replace
from typing import Any

from ml.artifacts import ArtifactRef, ArtifactStore
from ml.errors import ArtifactIntegrityError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: object) -> bool:
    """Whether `value` is a SHA-256 digest as this project writes them: 64 lowercase hex characters."""
    # fullmatch, not `^...$`: `$` also matches before a trailing newline.
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def content_key(digest: str) -> str:
    """The store key of content with this SHA-256 (fanned out so no folder grows huge).

    Raises:
        ArtifactIntegrityError: `digest` is not 64 lowercase hex characters.
    """
    # Digests come back from registry rows and run records; refusing anything else keeps a tampered
    # value (`../../etc`, an absolute path) from ever becoming a path or an object key.
    if not is_sha256(digest):
        raise ArtifactIntegrityError(
            f"artifact digest {digest!r} is not a SHA-256 (64 lowercase hex characters); "
            "the record that holds it was altered or written by another tool"
        )
    return f"sha256/{digest[:2]}/{digest}"


def verified(ref: ArtifactRef, data: bytes, remedy: str) -> bytes:
    """`data` when its SHA-256 is `ref.sha256`, as every store checks on reading.

    Raises:
        ArtifactIntegrityError: the digests differ; the message names the URI, both digests and `remedy`.
    """
    actual = hashlib.sha256(data).hexdigest()
    if actual != ref.sha256:
        raise ArtifactIntegrityError(
            f"artifact {ref.uri} is corrupt: expected sha256 {ref.sha256}, found {actual}; {remedy}"
        )
    return data


def put_content(store: ArtifactStore, data: bytes) -> ArtifactRef:
    """Store bytes under their own digest; storing the same bytes twice is a no-op."""
    return store.put_bytes(content_key(hashlib.sha256(data).hexdigest()), data)


def ref_for_digest(store: ArtifactStore, digest: str) -> ArtifactRef:
    """Rebuild the reference of content recorded elsewhere (registry, run record) by its digest."""
    key = content_key(digest)
    return ArtifactRef(key=key, sha256=digest, uri=store.uri_for(key), size=-1)


def get_content(store: ArtifactStore, digest: str) -> bytes:
    """Read content by digest; the store verifies the bytes still match it."""
    return store.get_bytes(ref_for_digest(store, digest))


def encode_json(value: Any) -> bytes:
    """Canonical JSON (sorted keys, UTF-8), so equal values give equal digests."""
    text = json.dumps(standard_json(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def standard_json(value: Any) -> Any:
    """`value` with every NaN or infinite float as null: Python writes them as NaN/Infinity, which is not
    JSON and which strict readers (jq, browsers' JSON.parse, Java) refuse."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: standard_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [standard_json(item) for item in value]
    return value


def get_json(store: ArtifactStore, digest: str) -> Any:
    return json.loads(get_content(store, digest))


def get_recorded_json(store: ArtifactStore, digest: str, uri: object) -> Any:
    """JSON a record names by digest and by the URI it was stored at (when it kept one): an S3 store reads
    it in the bucket that URI names (prod reads what dev trained); the digest is checked either way."""
    ref = ref_for_digest(store, digest)
    return json.loads(store.get_bytes(replace(ref, uri=uri) if isinstance(uri, str) and uri else ref))


def encode_files(kind: str, name: str, value: Any) -> dict[str, bytes]:
    """The files a pipeline output is persisted as; `kind` comes from `PipelineSpec.artifacts`.

    - model: a `ModelBundle` as `model.json`;
    - baseline: Model Monitor's `statistics.json` + `constraints.json`;
    - data_quality: Model Monitor's `constraint_violations.json` + the batch's `statistics.json`;
    - json: any value with `to_dict()`, as `<name>.json`.
    """
    if kind == "model":
        return {"model.json": value.to_bytes()}
    if kind == "baseline":
        return {
            "statistics.json": encode_json(value.statistics),
            "constraints.json": encode_json(value.constraints),
        }
    if kind == "data_quality":
        return {
            "constraint_violations.json": encode_json(value.to_violations_json()),
            "statistics.json": encode_json(value.statistics),
        }
    if kind == "json":
        return {f"{name}.json": encode_json(value.to_dict())}
    raise ValueError(f"unknown artifact kind {kind!r}; use model, baseline, data_quality or json")
