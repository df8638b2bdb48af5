"""The SageMaker registry's sync lock: a queue of ticket packages in the group `<group>-sync-lock`.

SageMaker offers no conditional write on a package, but it numbers a group's packages itself, one after the
other, and never hands a number out twice. So each sync creates a ticket (a package, `PendingManualApproval`)
and holds the lock once no lower-numbered ticket still counts (ml.registry.lease: not run out, holder alive
on this machine) — a ticket queue like ZooKeeper's sequential nodes. A ticket that no longer counts is
marked `Rejected`; a sync that finished marks its own `Approved`, and the newest finished ticket of an
environment says which commit it was last synced from. Tickets are never deleted, since the numbering must
stay monotonic. dev and prod register into the same central group, so this lock lives beside it, in the
registry account: the registry stack creates `<group>-sync-lock` with the same resource policy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ml.errors import ConfigError
from ml.registry import ApprovalStatus
from ml.registry.lease import LEASE_SECONDS, Lease, lease_counts, parse_holder, this_holder, wait_for_lease

if TYPE_CHECKING:
    from ml.registry.sagemaker import SageMakerModelRegistry

LOCK_SUFFIX = "-sync-lock"
_TICKET = re.compile(
    r"^mlops sync env=(?P<env>\S+) commit=(?P<commit>\S+) holder=(?P<holder>\S+) lease=(?P<lease>\d+)$"
)


def lock_group_name(model_group: str) -> str:
    """The group that holds the tickets: `<group>-sync-lock` (SageMaker group names end at 63 characters)."""
    name = f"{model_group}{LOCK_SUFFIX}"
    if len(name) > 63:
        raise ConfigError(
            f"model_group {model_group!r}: at most {63 - len(LOCK_SUFFIX)} characters leave room for its "
            f"sync lock group {name!r}; choose a shorter group name"
        )
    return name


@contextmanager
def ticket_lock(registry: SageMakerModelRegistry, model_group: str, commit: str) -> Iterator[Lease]:
    """Queue a ticket, wait for the lower ones, run the body, then close the ticket."""
    lock_group = lock_group_name(model_group)
    registry._ensure_group(lock_group)
    holder = this_holder().describe()
    description = (
        f"mlops sync env={registry.environment} commit={commit} holder={holder} lease={LEASE_SECONDS:.0f}"
    )
    with registry._not_found(f"sync lock group {registry.group_ref(lock_group)} does not exist"):
        arn = registry._client.create_model_package(
            ModelPackageGroupName=registry.group_ref(lock_group),
            ModelPackageDescription=description,
            ModelApprovalStatus=ApprovalStatus.PENDING.value,
        )["ModelPackageArn"]
    mine = int(arn.rsplit("/", 1)[1])
    lease = Lease(None)
    try:
        wait_for_lease(lambda: _holder_ahead(registry, lock_group, mine), model_group)
        lease.previous_commit = _last_synced_commit(registry, lock_group)
        yield lease
    finally:
        closed = ApprovalStatus.APPROVED if lease.finished else ApprovalStatus.REJECTED
        registry._client.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=closed.value,
            ApprovalDescription="sync finished" if lease.finished else "released without finishing",
        )


def _holder_ahead(registry: SageMakerModelRegistry, lock_group: str, mine: int) -> str | None:
    """The holder of a lower ticket that still counts, or None; lower ones that no longer count are closed."""
    pending = registry._summaries(lock_group, ModelApprovalStatus=ApprovalStatus.PENDING.value)
    for summary in sorted(pending, key=lambda s: int(s["ModelPackageVersion"])):
        if int(summary["ModelPackageVersion"]) >= mine:
            return None
        ticket = _TICKET.match(summary.get("ModelPackageDescription", ""))
        holder = parse_holder(ticket["holder"]) if ticket else None
        lease = float(ticket["lease"]) if ticket else 0.0
        if lease_counts(holder, summary["CreationTime"].timestamp() + lease, time.time()):
            return ticket["holder"] if ticket else summary["ModelPackageArn"]
        registry._client.update_model_package(
            ModelPackageArn=summary["ModelPackageArn"],
            ModelApprovalStatus=ApprovalStatus.REJECTED.value,
            ApprovalDescription="abandoned: its lease ran out or its process is gone",
        )
    return None


def _last_synced_commit(registry: SageMakerModelRegistry, lock_group: str) -> str | None:
    """The commit of the environment's newest finished ticket, or None."""
    finished = registry._summaries(lock_group, ModelApprovalStatus=ApprovalStatus.APPROVED.value)
    for summary in sorted(finished, key=lambda s: -int(s["ModelPackageVersion"])):
        ticket = _TICKET.match(summary.get("ModelPackageDescription", ""))
        if ticket and ticket["env"] == registry.environment:
            return ticket["commit"]
    return None
