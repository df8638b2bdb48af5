"""The artifact store seam: bytes in, bytes out, addressed by SHA-256 (see codecs.py for the CAS layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ArtifactRef:
    """Where an artifact lives and the SHA-256 its bytes must have."""

    key: str
    sha256: str
    uri: str
    size: int


class ArtifactStore(Protocol):
    """A bytes-only store; content addressing and integrity checks live in ml.artifacts.codecs."""

    def put_bytes(self, key: str, data: bytes) -> ArtifactRef:
        """Store `data` under `key` atomically (readers never see a partial object); idempotent."""
        ...

    def get_bytes(self, ref: ArtifactRef) -> bytes:
        """Return the bytes of `ref`.

        Raises:
            ArtifactIntegrityError: the object is missing or its SHA-256 differs from `ref.sha256`.
        """
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def uri_for(self, key: str) -> str:
        """The URI (file:// or s3://) an object under `key` has or would have."""
        ...


__all__ = ["ArtifactRef", "ArtifactStore"]
