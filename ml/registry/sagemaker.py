"""`ModelRegistry` over SageMaker model package groups: one group per model, one package per version.

Mapping (docs/aws-registry.md has the rest):
- version = `ModelPackageVersion`, status = `ModelApprovalStatus`, artifact URI = the container's
  `ModelDataUrl`. `ModelPackageDescription` is `sha256:<digest>`: SageMaker cannot change it after creation
  and returns it in listings, so the idempotency check costs no describe calls.
- A baseline in lineage (`baseline_uri` with s3:// `statistics.json`/`constraints.json`) also becomes the
  `ModelDataQuality` of `ModelMetrics` and `DriftCheckBaselines`.
- Evidence and history live in `CustomerMetadataProperties`, encoded by ml/registry/sagemaker_metadata.py.
  `ApprovalDescription` holds the latest reason.
- Approvals are per environment: each decision in the history names its environment, a version's status in
  an environment is its latest decision there, and `ModelApprovalStatus` is Approved while any environment
  approves it (moto does not implement ModelLifeCycle, and the history is where the decisions already are).
- The sync lock is a queue of ticket packages in the group `<group>-sync-lock` (sagemaker_lock.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from ml.artifacts.codecs import is_sha256
from ml.errors import ConfigError, ModelNotFoundError
from ml.registry import (
    ApprovalStatus,
    ChainHead,
    Decision,
    ModelCandidate,
    ModelVersion,
    StatusChange,
    check_candidate,
    check_model_group,
    check_status_change,
    check_transition,
    check_version,
    combined_status,
    environment_status,
    latest_approved,
    utc_now,
)
from ml.registry.audit import head_after, seal
from ml.registry.sagemaker_metadata import (
    KEY_DIGEST,
    metadata_update,
    read_evidence,
    read_head,
    read_history,
    registration_metadata,
)

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
        environment: str,
        image_uri: str | Callable[[], str],
        registry_account_id: str | None = None,
        content_type: str = "text/csv",
    ) -> None:
        if registry_account_id is not None and not re.fullmatch(r"\d{12}", registry_account_id):
            raise ConfigError(f"registry_account_id {registry_account_id!r}: expected 12 digits")
        self.environment = environment
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
        check_candidate(candidate)
        group = candidate.model_group
        if not candidate.artifact_uri.startswith("s3://"):
            raise ConfigError(
                f"{group}: artifact {candidate.artifact_uri!r} is not in S3; the sagemaker registry needs "
                "the sagemaker artifact store (backend: sagemaker) so SageMaker can load the model"
            )
        existing = [s for s in self._summaries(group) if s.get("ModelPackageDescription") == _sha(candidate)]
        if existing:
            return self._read(group, min(existing, key=_version)["ModelPackageArn"])
        metadata = registration_metadata(candidate, utc_now())
        self._ensure_group(group)
        with self._not_found(f"model package group {self.group_ref(group)} does not exist"):
            arn = self._client.create_model_package(**self._package_request(candidate, metadata))
        return self._read(group, arn["ModelPackageArn"])

    def get(self, model_group: str, version: int) -> ModelVersion:
        """Return one version, or raise ModelNotFoundError naming what exists."""
        check_model_group(model_group)
        check_version(version)
        return self._read(model_group, self._require_arn(model_group, version))

    def list_versions(self, model_group: str) -> list[ModelVersion]:
        """Return every version of the group, oldest first (one describe call per version)."""
        check_model_group(model_group)
        return [self._to_model_version(model_group, d) for d in self._describe_all(model_group)]

    def set_status(
        self,
        model_group: str,
        version: int,
        status: ApprovalStatus,
        *,
        reason: str,
        changed_by: str,
        decision: Decision | None = None,
    ) -> ModelVersion:
        """Move a version to `status` in this environment and chain the decision: one update call."""
        target = check_status_change(model_group, version, status, reason=reason, changed_by=changed_by)
        packages = self._describe_all(model_group)
        described = next((d for d in packages if d["ModelPackageVersion"] == version), None)
        if described is None:
            self._require_arn(model_group, version)  # raises ModelNotFoundError naming what exists
        current = self._to_model_version(model_group, described)
        check_transition(model_group, version, current.status, target)
        if current.status == target and current.registry_status == combined_status(current.history):
            return current
        change = StatusChange(target, changed_by, utc_now(), reason, self.environment, decision or Decision())
        sealed = seal(model_group, version, change, _stored_head(packages))
        history = (*current.history, sealed)
        old = described.get("CustomerMetadataProperties") or {}
        metadata = metadata_update(old, history, head_after(model_group, version, sealed))
        arn = described["ModelPackageArn"]
        with self._not_found(f"{model_group}: model package {arn} does not exist"):
            self._client.update_model_package(
                ModelPackageArn=arn,
                ModelApprovalStatus=str(combined_status(history)),
                # The field's pattern is `.*`, which stops at a newline, so a multi-line reason is flattened;
                # MAX_REASON_LENGTH is the field's limit, so the flattened reason always fits.
                ApprovalDescription=" ".join(reason.split()),
                **metadata,
            )
        return self._read(model_group, arn)

    def approved_version(self, model_group: str) -> ModelVersion | None:
        """Return the version this environment approved most recently (a describe per Approved package)."""
        check_model_group(model_group)
        approved = self._summaries(model_group, ModelApprovalStatus=ApprovalStatus.APPROVED.value)
        return latest_approved(self._read(model_group, s["ModelPackageArn"]) for s in approved)

    def audit_head(self, model_group: str) -> ChainHead | None:
        """Return the newest chain head any package of the group holds."""
        check_model_group(model_group)
        return _stored_head(self._describe_all(model_group))

    def sync_lock(self, model_group: str, commit: str) -> Any:
        """Hold the group's ticket lock (ml/registry/sagemaker_lock.py) while the body runs."""
        from ml.registry.sagemaker_lock import ticket_lock

        check_model_group(model_group)
        return ticket_lock(self, model_group, commit)

    def _describe_all(self, model_group: str) -> list[dict[str, Any]]:
        """describe_model_package for every package of the group, oldest first."""
        summaries = sorted(self._summaries(model_group), key=_version)
        return [self._describe(model_group, s["ModelPackageArn"]) for s in summaries]

    def _to_model_version(self, model_group: str, described: Mapping[str, Any]) -> ModelVersion:
        return _to_model_version(model_group, described, self.environment)

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
        return self._to_model_version(model_group, self._describe(model_group, arn))

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


def _stored_head(packages: list[dict[str, Any]]) -> ChainHead | None:
    """The newest chain head among the packages' metadata."""
    heads = [read_head(p.get("CustomerMetadataProperties") or {}) for p in packages]
    return max((h for h in heads if h is not None), key=lambda h: h.sequence, default=None)


def _to_model_version(model_group: str, described: Mapping[str, Any], environment: str) -> ModelVersion:
    """Build the value type, as `environment` sees it, from describe_model_package."""
    metadata = described.get("CustomerMetadataProperties") or {}
    evidence = read_evidence(metadata)
    history = read_history(metadata)
    container = described["InferenceSpecification"]["Containers"][0]
    digest = metadata.get(KEY_DIGEST) or described.get("ModelPackageDescription", "").removeprefix("sha256:")
    return ModelVersion(
        model_group=model_group,
        version=described["ModelPackageVersion"],
        status=environment_status(history, environment),
        artifact_digest=digest,
        artifact_uri=container.get("ModelDataUrl", ""),
        metrics=evidence.get("metrics", {}),
        parameters=evidence.get("parameters", {}),
        lineage=evidence.get("lineage", {}),
        created_by=evidence.get("created_by", ""),
        created_at=evidence.get("created_at") or described["CreationTime"].isoformat(),
        history=history,
        environment=environment,
        registry_status=ApprovalStatus(described["ModelApprovalStatus"]),
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
        if is_sha256(digests.get(name)):
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
