"""How the SageMaker registry keeps evidence and history in a model package's `CustomerMetadataProperties`.

SageMaker allows at most 50 entries, keys of 1-128 and values of 1-256 characters, only letters, digits,
spaces and `_.:/=+-@` (botocore's service model), so JSON cannot go in as is. Each document is compact
JSON, zlib-compressed, base64-encoded (an alphabet inside that set) and split into 256-character values
under `<prefix>:00`, `:01`, ... Budget: `ml:digest`, `ml:format` and `ml:head` 3 entries; evidence
({metrics, parameters, lineage, created_by, created_at}) at most 24 (about 4.5 kB compressed; larger
evidence is refused at registration); history at most 23.

History entries (format 2) are [status, changed_by, changed_at, reason, environment, decision, sequence,
previous_hash]: the per-environment decisions of ml.registry and their place in the audit chain; the
decision holds only its fields that differ from the defaults. Format 1 packages hold [status, changed_by,
changed_at, reason] and read as decisions for every environment. `ml:head` is the group's chain head
(`N:HASH`) when this package received the newest decision. Chained decisions are never dropped: a version
whose history outgrows 23 entries refuses further decisions (register a new version); only unchained
entries of format 1 after the registration entry are dropped to make room.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ml.errors import MlopsError
from ml.registry import ApprovalStatus, ChainHead, Decision, ModelCandidate, StatusChange
from ml.registry.audit import format_head, parse_head, read_decision

METADATA_FORMAT = "2"  # bump when the layout changes, so a reader can tell old packages apart
VALUE_LIMIT, EVIDENCE_ENTRIES, HISTORY_ENTRIES = 256, 24, 23
KEY_DIGEST, KEY_FORMAT, KEY_HEAD = "ml:digest", "ml:format", "ml:head"
EVIDENCE, HISTORY = "ml:evidence", "ml:history"


def registration_metadata(candidate: ModelCandidate, created_at: str) -> dict[str, str]:
    """Return the customer metadata of a new version: digest, evidence and the registration entry."""
    evidence = {
        "metrics": dict(candidate.metrics),
        "parameters": dict(candidate.parameters),
        "lineage": dict(candidate.lineage),
        "created_by": candidate.created_by,
        "created_at": created_at,
    }
    packed = pack(EVIDENCE, evidence)
    if len(packed) > EVIDENCE_ENTRIES:
        raise MlopsError(
            f"{candidate.model_group}: the evidence of artifact {candidate.artifact_digest} takes "
            f"{len(packed)} metadata entries once compressed; SageMaker has room for {EVIDENCE_ENTRIES}. "
            "Store large evidence as an artifact and put its URI and digest in lineage instead."
        )
    registered = StatusChange(ApprovalStatus.PENDING, candidate.created_by, created_at, "registered")
    fixed = {KEY_DIGEST: candidate.artifact_digest, KEY_FORMAT: METADATA_FORMAT}
    return {**fixed, **packed, **pack_history((registered,))}


def metadata_update(
    old: Mapping[str, str], history: Sequence[StatusChange], head: ChainHead | None
) -> dict[str, Any]:
    """Return update_model_package's metadata arguments: the new history and chain head, the rest kept."""
    new = {k: v for k, v in old.items() if not k.startswith(f"{HISTORY}:") and k != KEY_HEAD}
    new.update(pack_history(history))
    new[KEY_FORMAT] = METADATA_FORMAT
    if head is not None:
        new[KEY_HEAD] = format_head(head)
    # The API reference does not say whether the map is merged or replaced (moto replaces it), so the whole
    # map is sent and keys of a longer old history are removed explicitly: the result is the same either way.
    stale = sorted(set(old) - set(new))
    return {
        "CustomerMetadataProperties": new,
        **({"CustomerMetadataPropertiesToRemove": stale} if stale else {}),
    }


def read_evidence(metadata: Mapping[str, str]) -> dict[str, Any]:
    """Return the evidence document, or an empty one for a package registered by another tool."""
    return unpack(metadata, EVIDENCE) or {}


def read_history(metadata: Mapping[str, str]) -> tuple[StatusChange, ...]:
    """Return the stored history, oldest first (empty for a package registered by another tool)."""
    return tuple(_read_change(entry) for entry in unpack(metadata, HISTORY) or [])


def read_head(metadata: Mapping[str, str]) -> ChainHead | None:
    """The chain head this package holds, or None (it did not receive the newest decision, or is older)."""
    text = metadata.get(KEY_HEAD)
    try:
        return parse_head(text) if text else None
    except ValueError:
        return ChainHead(-1, text or "")  # unreadable: verification reports it as a wrong head


def _read_change(entry: list[Any]) -> StatusChange:
    status, by, at, why, *rest = entry
    if not rest:  # format 1: decided for every environment, not chained
        return StatusChange(ApprovalStatus(status), by, at, why)
    environment, decision, sequence, previous = rest
    return StatusChange(
        ApprovalStatus(status), by, at, why, environment, read_decision(decision), sequence, previous
    )


def _write_change(change: StatusChange) -> list[Any]:
    defaults = asdict(Decision())
    decision = {k: v for k, v in asdict(change.decision).items() if v != defaults[k]}
    fields = [str(change.status), change.changed_by, change.changed_at, change.reason]
    return [*fields, change.environment, decision, change.sequence, change.previous_hash]


def pack(prefix: str, document: Any) -> dict[str, str]:
    """Encode a JSON document as compressed base64 split into metadata values under `<prefix>:NN`."""
    compact = json.dumps(document, separators=(",", ":")).encode()
    text = base64.b64encode(zlib.compress(compact, 9)).decode("ascii")
    chunks = [text[i : i + VALUE_LIMIT] for i in range(0, len(text), VALUE_LIMIT)]
    return {f"{prefix}:{i:02d}": chunk for i, chunk in enumerate(chunks)}


def unpack(metadata: Mapping[str, str], prefix: str) -> Any:
    """Decode what `pack` stored under `prefix`, or None when the package has none (not ours)."""
    keys = sorted(k for k in metadata if k.startswith(f"{prefix}:"))
    if not keys:
        return None
    text = "".join(metadata[k] for k in keys)
    return json.loads(zlib.decompress(base64.b64decode(text)))


def pack_history(history: Sequence[StatusChange]) -> dict[str, str]:
    """Encode the history within its budget, dropping only unchained format-1 changes (oldest first).

    Raises:
        MlopsError: the chained decisions alone outgrow the budget; nothing may be dropped from the chain.
    """
    changes = list(history)
    packed = pack(HISTORY, [_write_change(c) for c in changes])
    while len(packed) > HISTORY_ENTRIES:
        droppable = [i for i, c in enumerate(changes) if i > 0 and c.sequence == 0 and i < len(changes) - 1]
        if not droppable:
            raise MlopsError(
                f"the status change by {changes[-1].changed_by[:64]!r} brings the version's audit trail to "
                f"{len(packed)} metadata entries once compressed; SageMaker has room for {HISTORY_ENTRIES} "
                "and the audit chain drops nothing. Shorten changed_by or reason, or register a new version."
            )
        del changes[droppable[0]]
        packed = pack(HISTORY, [_write_change(c) for c in changes])
    return packed
