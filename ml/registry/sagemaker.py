"""`ModelRegistry` over SageMaker model package groups: one group per model, one package per version.

Mapping (docs/aws-registry.md has the rest):
- version = `ModelPackageVersion`, status = `ModelApprovalStatus`, artifact URI = the container's
  `ModelDataUrl`. `ModelPackageDescription` is `sha256:<digest>`: SageMaker cannot change it after creation
  and returns it in listings, so the idempotency check costs no describe calls.
- A baseline in lineage (`baseline_uri` with s3:// `statistics.json`/`constraints.json`) also becomes the
  `ModelDataQuality` of `ModelMetrics` and `DriftCheckBaselines`.
- Evidence and history live in `CustomerMetadataProperties`: at most 50 entries, keys of 1-128 and values
  of 1-256 characters, only letters, digits, spaces and `_.:/=+-@` (botocore's service model), so JSON
  cannot go in as is. Each document is compact JSON, zlib-compressed, base64-encoded (an alphabet inside
  that set) and split into 256-character values under `<prefix>:00`, `:01`, ... Budget: `ml:digest` and
  `ml:format` 2 entries; evidence ({metrics, parameters, lineage, created_by, created_at}) at most 24
  (about 4.5 kB compressed; larger evidence is refused at registration); history at most 24.
- History entries are [status, changed_by, changed_at, reason], reasons cut to 512 characters. It keeps the
  registration entry and at most the 49 latest changes, fewer when they outgrow 24 entries (oldest changes
  after the registration entry go first). `ApprovalDescription` holds the latest reason.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ml.errors import ConfigError, MlopsError, ModelNotFoundError
from ml.registry import ApprovalStatus, ModelCandidate, ModelVersion, StatusChange, check_transition

METADATA_FORMAT = "1"  # bump when the layout changes, so a reader can tell old packages apart
VALUE_LIMIT, EVIDENCE_ENTRIES, HISTORY_ENTRIES = 256, 24, 24
HISTORY_LIMIT, REASON_LIMIT, APPROVAL_DESCRIPTION_LIMIT = 50, 512, 1024
KEY_DIGEST, KEY_FORMAT, EVIDENCE, HISTORY = "ml:digest", "ml:format", "ml:evidence", "ml:history"

# SageMaker reports a missing group or package as ValidationException, telling it apart only by message.
_NOT_FOUND = re.compile(r"does not exist|not found|cannot be found", re.IGNORECASE)
_NOT_FOUND_CODES = {"ResourceNotFound", "ResourceNotFoundException"}
_LIST_HINT = "Run `mlops registry list` to see the registered versions."


class SageMakerModelRegistry:
    """`ModelRegistry` over SageMaker model package groups, in this account or a central registry account."""

    def __init__(
        self,
        client: Any,
        *,
        image_uri: str | Callable[[], str],
        registry_account_id: str | None = None,
        content_type: str = "text/csv",
    ) -> None:
        if registry_account_id is not None and not re.fullmatch(r"\d{12}", registry_account_id):
            raise ConfigError(f"registry_account_id {registry_account_id!r}: expected 12 digits")
        self._client = client
        self._image_uri = image_uri
        self._registry_account_id = registry_account_id
        self._content_type = content_type

    def group_ref(self, model_group: str) -> str:
        """Return the group's name in this account, or its ARN when it lives in the registry account."""
        if self._registry_account_id is None:
            return model_group
        meta = self._client.meta
        return (
            f"arn:{meta.partition}:sagemaker:{meta.region_name}:{self._registry_account_id}:"
            f"model-package-group/{model_group}"
        )

    def register(self, candidate: ModelCandidate) -> ModelVersion:
        """Create a pending package, or return the one already holding this artifact digest."""
        group = candidate.model_group
        if not candidate.artifact_uri.startswith("s3://"):
            raise ConfigError(
                f"{group}: artifact {candidate.artifact_uri!r} is not in S3; the sagemaker registry needs "
                "the sagemaker artifact store (backend: sagemaker) so SageMaker can load the model"
            )
        existing = [s for s in self._summaries(group) if s.get("ModelPackageDescription") == _sha(candidate)]
        if existing:
            return self._read(group, min(existing, key=_version)["ModelPackageArn"])
        metadata = _registration_metadata(candidate, _utc_now())
        self._ensure_group(group)
        with self._not_found(f"model package group {self.group_ref(group)} does not exist"):
            arn = self._client.create_model_package(**self._package_request(candidate, metadata))
        return self._read(group, arn["ModelPackageArn"])

    def get(self, model_group: str, version: int) -> ModelVersion:
        """Return one version, or raise ModelNotFoundError naming what exists."""
        return self._read(model_group, self._require_arn(model_group, version))

    def list_versions(self, model_group: str) -> list[ModelVersion]:
        """Return every version of the group, oldest first (one describe call per version)."""
        summaries = sorted(self._summaries(model_group), key=_version)
        return [self._read(model_group, s["ModelPackageArn"]) for s in summaries]

    def set_status(
        self, model_group: str, version: int, status: ApprovalStatus, *, reason: str, changed_by: str
    ) -> ModelVersion:
        """Move a version to `status` and append who/when/why to its history; the same status is a no-op."""
        target = ApprovalStatus(status)
        arn = self._require_arn(model_group, version)
        described = self._describe(model_group, arn)
        current = _to_model_version(model_group, described)
        check_transition(model_group, version, current.status, target)
        if current.status == target:
            return current
        history = (*current.history, StatusChange(target, changed_by, _utc_now(), reason))
        metadata = _metadata_update(described.get("CustomerMetadataProperties") or {}, history)
        with self._not_found(f"{model_group}: model package {arn} does not exist"):
            self._client.update_model_package(
                ModelPackageArn=arn,
                ModelApprovalStatus=str(target),
                # The field's pattern is `.*`, which stops at a newline, so a multi-line reason is flattened.
                ApprovalDescription=" ".join(reason.split())[:APPROVAL_DESCRIPTION_LIMIT],
                **metadata,
            )
        return self._read(model_group, arn)

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the highest-numbered Approved version, or None."""
        approved = self._summaries(model_group, ModelApprovalStatus=ApprovalStatus.APPROVED.value)
        if not approved:
            return None
        return self._read(model_group, max(approved, key=_version)["ModelPackageArn"])

    def _package_request(self, candidate: ModelCandidate, metadata: dict[str, str]) -> dict[str, Any]:
        """Return the create_model_package arguments for a candidate."""
        # A callable defers the lookup (it imports the SageMaker SDK) until something is registered.
        image = self._image_uri() if callable(self._image_uri) else self._image_uri
        container = {"Image": image, "ModelDataUrl": candidate.artifact_uri}
        request: dict[str, Any] = {
            "ModelPackageGroupName": self.group_ref(candidate.model_group),
            "ModelPackageDescription": _sha(candidate),
            "ModelApprovalStatus": ApprovalStatus.PENDING.value,
            "InferenceSpecification": {
                "Containers": [container],
                "SupportedContentTypes": [self._content_type],
                "SupportedResponseMIMETypes": [self._content_type],
            },
            "CustomerMetadataProperties": metadata,
        }
        quality = _data_quality(candidate.lineage)
        if quality:
            request["ModelMetrics"] = {"ModelDataQuality": quality}
            request["DriftCheckBaselines"] = {"ModelDataQuality": quality}
        return request

    def _ensure_group(self, model_group: str) -> None:
        """Create the group on first registration, but only in this account: the registry's is Terraform's."""
        if self._registry_account_id is not None or self._group_exists(model_group):
            return
        try:
            self._client.create_model_package_group(
                ModelPackageGroupName=model_group,
                ModelPackageGroupDescription=f"{model_group}: versions registered by `mlops`",
            )
        except ClientError as error:
            # Another process registering the group's first version created it in between: that is fine.
            if "already exists" not in _message(error):
                raise

    def _group_exists(self, model_group: str) -> bool:
        """Whether the group exists in this account."""
        try:
            self._client.describe_model_package_group(ModelPackageGroupName=model_group)
        except ClientError as error:
            if _is_not_found(error):
                return False
            raise
        return True

    def _summaries(self, model_group: str, **filters: str) -> list[dict[str, Any]]:
        """Return the group's package summaries (empty for an unknown group)."""
        paginator = self._client.get_paginator("list_model_packages")
        pages = paginator.paginate(ModelPackageGroupName=self.group_ref(model_group), **filters)
        try:
            return [s for page in pages for s in page["ModelPackageSummaryList"]]
        except ClientError as error:
            if _is_not_found(error):
                return []
            raise

    def _require_arn(self, model_group: str, version: int) -> str:
        """Return the ARN of one version, or raise ModelNotFoundError listing the versions that exist."""
        summaries = self._summaries(model_group)
        for summary in summaries:
            if _version(summary) == version:
                return summary["ModelPackageArn"]
        existing = ", ".join(str(v) for v in sorted(_version(s) for s in summaries))
        have = f"existing versions: {existing}" if existing else "the group has no versions"
        raise ModelNotFoundError(f"{model_group} has no version {version} ({have}). {_LIST_HINT}")

    def _describe(self, model_group: str, arn: str) -> dict[str, Any]:
        """Return describe_model_package for a package ARN."""
        with self._not_found(f"{model_group}: model package {arn} does not exist"):
            return self._client.describe_model_package(ModelPackageName=arn)

    def _read(self, model_group: str, arn: str) -> ModelVersion:
        """Return the version stored in one package."""
        return _to_model_version(model_group, self._describe(model_group, arn))

    @contextmanager
    def _not_found(self, message: str) -> Iterator[None]:
        """Turn SageMaker's not-found answers into ModelNotFoundError; other errors pass unchanged."""
        try:
            yield
        except ClientError as error:
            if not _is_not_found(error):
                raise
            hint = " Terraform's registry stack creates the group; its policy must name this role."
            hint = hint if self._registry_account_id else ""
            raise ModelNotFoundError(f"{message} (AWS: {_message(error)}).{hint}") from error


def _registration_metadata(candidate: ModelCandidate, created_at: str) -> dict[str, str]:
    """Return the customer metadata of a new version: digest, evidence and the registration entry."""
    evidence = {
        "metrics": dict(candidate.metrics),
        "parameters": dict(candidate.parameters),
        "lineage": dict(candidate.lineage),
        "created_by": candidate.created_by,
        "created_at": created_at,
    }
    packed = _pack(EVIDENCE, evidence)
    if len(packed) > EVIDENCE_ENTRIES:
        raise MlopsError(
            f"{candidate.model_group}: the evidence of artifact {candidate.artifact_digest} takes "
            f"{len(packed)} metadata entries once compressed; SageMaker has room for {EVIDENCE_ENTRIES}. "
            "Store large evidence as an artifact and put its URI and digest in lineage instead."
        )
    registered = StatusChange(ApprovalStatus.PENDING, candidate.created_by, created_at, "registered")
    fixed = {KEY_DIGEST: candidate.artifact_digest, KEY_FORMAT: METADATA_FORMAT}
    return {**fixed, **packed, **_pack_history((registered,))}


def _metadata_update(old: Mapping[str, str], history: Sequence[StatusChange]) -> dict[str, Any]:
    """Return update_model_package's metadata arguments that replace the history and keep the rest."""
    new = {k: v for k, v in old.items() if not k.startswith(f"{HISTORY}:")}
    new.update(_pack_history(history))
    # The API reference does not say whether the map is merged or replaced (moto replaces it), so the whole
    # map is sent and keys of a longer old history are removed explicitly: the result is the same either way.
    stale = sorted(set(old) - set(new))
    return {
        "CustomerMetadataProperties": new,
        **({"CustomerMetadataPropertiesToRemove": stale} if stale else {}),
    }


def _pack(prefix: str, document: Any) -> dict[str, str]:
    """Encode a JSON document as compressed base64 split into metadata values under `<prefix>:NN`."""
    compact = json.dumps(document, separators=(",", ":")).encode()
    text = base64.b64encode(zlib.compress(compact, 9)).decode("ascii")
    chunks = [text[i : i + VALUE_LIMIT] for i in range(0, len(text), VALUE_LIMIT)]
    return {f"{prefix}:{i:02d}": chunk for i, chunk in enumerate(chunks)}


def _unpack(metadata: Mapping[str, str], prefix: str) -> Any:
    """Decode what `_pack` stored under `prefix`, or None when the package has none (not ours)."""
    keys = sorted(k for k in metadata if k.startswith(f"{prefix}:"))
    if not keys:
        return None
    text = "".join(metadata[k] for k in keys)
    return json.loads(zlib.decompress(base64.b64decode(text)))


def _pack_history(history: Sequence[StatusChange]) -> dict[str, str]:
    """Encode the history within its budget, dropping the oldest changes after the registration entry."""
    entries = [[str(c.status), c.changed_by, c.changed_at, c.reason[:REASON_LIMIT]] for c in history]
    entries = entries[:1] + entries[1:][-(HISTORY_LIMIT - 1) :]
    packed = _pack(HISTORY, entries)
    while len(packed) > HISTORY_ENTRIES and len(entries) > 1:
        del entries[1]
        packed = _pack(HISTORY, entries)
    return packed


def _to_model_version(model_group: str, described: Mapping[str, Any]) -> ModelVersion:
    """Build the value type from describe_model_package."""
    metadata = described.get("CustomerMetadataProperties") or {}
    evidence = _unpack(metadata, EVIDENCE) or {}
    history = _unpack(metadata, HISTORY) or []
    container = described["InferenceSpecification"]["Containers"][0]
    digest = metadata.get(KEY_DIGEST) or described.get("ModelPackageDescription", "").removeprefix("sha256:")
    return ModelVersion(
        model_group=model_group,
        version=described["ModelPackageVersion"],
        status=ApprovalStatus(described["ModelApprovalStatus"]),
        artifact_digest=digest,
        artifact_uri=container.get("ModelDataUrl", ""),
        metrics=evidence.get("metrics", {}),
        parameters=evidence.get("parameters", {}),
        lineage=evidence.get("lineage", {}),
        created_by=evidence.get("created_by", ""),
        created_at=evidence.get("created_at") or described["CreationTime"].isoformat(),
        history=tuple(StatusChange(ApprovalStatus(s), by, at, why) for s, by, at, why in history),
    )


def _data_quality(lineage: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return `ModelDataQuality` sources for a baseline stored in S3, or None when lineage has none."""
    uris, digests = lineage.get("baseline_uri"), lineage.get("baseline")
    if not isinstance(uris, Mapping):
        return None
    digests = digests if isinstance(digests, Mapping) else {}
    sources: dict[str, Any] = {}
    for field, name in (("Statistics", "statistics.json"), ("Constraints", "constraints.json")):
        uri = uris.get(name)
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            return None
        sources[field] = {"ContentType": "application/json", "S3Uri": uri}
        if isinstance(digests.get(name), str) and re.fullmatch(r"[0-9a-f]{64}", digests[name]):
            sources[field]["ContentDigest"] = f"sha256:{digests[name]}"
    return sources


def _is_not_found(error: ClientError) -> bool:
    """Whether a ClientError says the group or package does not exist."""
    code = error.response.get("Error", {}).get("Code", "")
    return code in _NOT_FOUND_CODES or (
        code == "ValidationException" and bool(_NOT_FOUND.search(_message(error)))
    )


def _message(error: ClientError) -> str:
    """Return the message AWS sent with an error."""
    return error.response.get("Error", {}).get("Message", "")


def _sha(candidate: ModelCandidate) -> str:
    """Return the package description that names the candidate's artifact."""
    return f"sha256:{candidate.artifact_digest}"


def _version(summary: Mapping[str, Any]) -> int:
    """Return a package summary's version number."""
    return int(summary["ModelPackageVersion"])


def _utc_now() -> str:
    """Return the current time as ISO-8601 in UTC."""
    return datetime.now(UTC).isoformat()
