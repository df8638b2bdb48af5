"""The tamper-evident audit trail: every decision on a model group's versions, chained by SHA-256.

Each decision carries its place in the group's chain (`sequence`, 1, 2, ...) and the hash of the decision
before it (`previous_hash`; the first one carries GENESIS). A decision's hash covers every field it records,
so editing any entry breaks the link from the next one, deleting one leaves a gap, and deleting the newest
shows against the chain head the registry stores apart from the entries (`ModelRegistry.audit_head`).
Someone who can rewrite the whole registry can recompute every hash; the sync prints the head after each
run, so the workflow log anchors it outside the registry (`mlops registry audit --head N:HASH` compares).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from ml.errors import ArtifactIntegrityError, ConfigError
from ml.registry import ChainHead, Decision, ModelVersion, StatusChange

GENESIS = "0" * 64


class AuditChainError(ArtifactIntegrityError):
    """The registry's audit chain does not verify: an entry was changed, removed or added out of order."""


@dataclass(frozen=True)
class AuditEntry:
    """One decision with the version it concerns, in chain order."""

    model_group: str
    version: int
    change: StatusChange


@dataclass(frozen=True)
class AuditReport:
    """The chain of one model group, whether it verifies, and its head."""

    model_group: str
    entries: tuple[AuditEntry, ...]
    problems: tuple[str, ...]
    head: ChainHead | None

    @property
    def verified(self) -> bool:
        return not self.problems


def entry_hash(model_group: str, version: int, change: StatusChange) -> str:
    """The SHA-256 over every field a decision records, its predecessor's hash included."""
    document = [model_group, version, asdict(change)]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(model_group: str, version: int, change: StatusChange, head: ChainHead | None) -> StatusChange:
    """Place a new decision after `head`: its sequence number and its predecessor's hash."""
    sequence, previous = (head.sequence, head.entry_hash) if head else (0, GENESIS)
    return replace(change, sequence=sequence + 1, previous_hash=previous)


def head_after(model_group: str, version: int, sealed: StatusChange) -> ChainHead:
    """The chain head once `sealed` is the newest decision."""
    return ChainHead(sealed.sequence, entry_hash(model_group, version, sealed))


def chain_entries(versions: Iterable[ModelVersion]) -> list[AuditEntry]:
    """Every chained decision of the versions, in sequence order."""
    entries = [
        AuditEntry(v.model_group, v.version, change)
        for v in versions
        for change in v.history
        if change.sequence > 0
    ]
    return sorted(entries, key=lambda e: (e.change.sequence, e.version))


def verify_chain(model_group: str, versions: Sequence[ModelVersion], head: ChainHead | None) -> AuditReport:
    """Check the group's chain link by link and against the stored head; one problem per broken link."""
    entries = chain_entries(versions)
    problems: list[str] = []
    previous, previous_sequence = GENESIS, 0
    for entry in entries:
        sequence = entry.change.sequence
        where = f"entry #{sequence} (v{entry.version}, {entry.change.environment or 'all'})"
        if sequence != previous_sequence + 1:
            problems.append(
                f"{where}: follows entry #{previous_sequence}; entries were removed or duplicated"
            )
        elif entry.change.previous_hash != previous:
            problems.append(f"{where}: does not follow entry #{previous_sequence}, which was changed")
        previous, previous_sequence = entry_hash(model_group, entry.version, entry.change), sequence
    actual = ChainHead(previous_sequence, previous) if entries else None
    if head != actual:
        stored = f"#{head.sequence} {head.entry_hash[:16]}" if head else "none"
        found = f"#{actual.sequence} {actual.entry_hash[:16]}" if actual else "none"
        problems.append(
            f"the registry's chain head is {stored} but the entries end at {found}: "
            "the newest entries were changed or removed"
        )
    return AuditReport(model_group, tuple(entries), tuple(problems), actual if not problems else head)


def require_verified(report: AuditReport) -> None:
    """Raise AuditChainError listing every broken link."""
    if report.problems:
        raise AuditChainError(
            f"{report.model_group}: the audit chain does not verify:\n  "
            + "\n  ".join(report.problems)
            + "\nrun `mlops registry audit` for the history; restore the registry from a trusted record"
        )


def require_anchored(report: AuditReport, expected: str) -> None:
    """Raise unless the chain still holds the entry an earlier head (`N:HASH`, as the sync prints) names.

    Raises:
        ConfigError: `expected` is not `N:HASH`.
        AuditChainError: the chain is shorter, or its entry N hashes differently: it was rewritten.
    """
    try:
        anchor = parse_head(expected)
    except ValueError as exc:
        raise ConfigError(f"--head {exc}") from None
    entries = [e for e in report.entries if e.change.sequence == anchor.sequence]
    if not entries:
        raise AuditChainError(
            f"{report.model_group}: the chain has no entry #{anchor.sequence}, which --head names"
        )
    entry = entries[0]
    if entry_hash(report.model_group, entry.version, entry.change) != anchor.entry_hash:
        raise AuditChainError(
            f"{report.model_group}: entry #{anchor.sequence} is not the one --head anchors: rewritten"
        )


def read_decision(stored: dict) -> Decision:
    """A Decision from its stored dict (JSON has lists where the dataclass holds tuples)."""
    reviewers = tuple(stored.get("approving_reviewers", ()))
    return Decision(**{**stored, "approving_reviewers": reviewers})


def parse_head(text: str) -> ChainHead:
    """`N:HASH` (as the sync prints it) as a ChainHead; raises ValueError on anything else."""
    sequence, _, digest = text.partition(":")
    if not sequence.isdigit() or len(digest) != 64:
        raise ValueError(f"{text!r}: expected N:HASH, e.g. 7:{'ab' * 32}")
    return ChainHead(int(sequence), digest)


def format_head(head: ChainHead | None) -> str:
    return f"{head.sequence}:{head.entry_hash}" if head else "none"
