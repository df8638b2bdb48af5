"""How the SageMaker registry keeps evidence and history in a model package's `CustomerMetadataProperties`.

SageMaker allows at most 50 entries, keys of 1-128 and values of 1-256 characters, only letters, digits,
spaces and `_.:/=+-@` (botocore's service model), so JSON cannot go in as is. Each document is compact
JSON, zlib-compressed, base64-encoded (an alphabet inside that set) and split into 256-character values
under `<prefix>:00`, `:01`, ... Budget: `ml:digest` and `ml:format` 2 entries; evidence ({metrics,
parameters, lineage, created_by, created_at}) at most 24 (about 4.5 kB compressed; larger evidence is
refused at registration); history at most 24.

History entries are [status, changed_by, changed_at, reason], reasons whole (ml.registry.MAX_REASON_LENGTH
bounds them). It keeps the registration entry and at most the 49 latest changes, fewer when they outgrow
24 entries (oldest changes after the registration entry go first; the latest change is never dropped).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from ml.errors import MlopsError
from ml.registry import ApprovalStatus, ModelCandidate, StatusChange

METADATA_FORMAT = "1"  # bump when the layout changes, so a reader can tell old packages apart
VALUE_LIMIT, EVIDENCE_ENTRIES, HISTORY_ENTRIES, HISTORY_LIMIT = 256, 24, 24, 50
KEY_DIGEST, KEY_FORMAT, EVIDENCE, HISTORY = "ml:digest", "ml:format", "ml:evidence", "ml:history"


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


def metadata_update(old: Mapping[str, str], history: Sequence[StatusChange]) -> dict[str, Any]:
    """Return update_model_package's metadata arguments that replace the history and keep the rest."""
    new = {k: v for k, v in old.items() if not k.startswith(f"{HISTORY}:")}
    new.update(pack_history(history))
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
    entries = unpack(metadata, HISTORY) or []
    return tuple(StatusChange(ApprovalStatus(s), by, at, why) for s, by, at, why in entries)


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
    """Encode the history within its budget, dropping the oldest changes after the registration entry."""
    entries = [[str(c.status), c.changed_by, c.changed_at, c.reason] for c in history]
    entries = entries[:1] + entries[1:][-(HISTORY_LIMIT - 1) :]
    packed = pack(HISTORY, entries)
    # The latest change always stays: it is the change being recorded, and approved_version ranks
    # versions by when they were last approved.
    while len(packed) > HISTORY_ENTRIES and len(entries) > 2:
        del entries[1]
        packed = pack(HISTORY, entries)
    if len(packed) > HISTORY_ENTRIES:
        raise MlopsError(
            f"the status change by {entries[-1][1][:64]!r} takes {len(packed)} metadata entries once "
            f"compressed; SageMaker has room for {HISTORY_ENTRIES}. Shorten changed_by or reason."
        )
    return packed
