"""Artifacts as files under one folder: atomic writes, digest-checked reads."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ml.artifacts import ArtifactRef
from ml.artifacts.codecs import verified
from ml.errors import ArtifactMissingError


class LocalArtifactStore:
    """An `ArtifactStore` on the local file system (the embedded backend's S3)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def put_bytes(self, key: str, data: bytes) -> ArtifactRef:
        path = self._path(key)
        digest = hashlib.sha256(data).hexdigest()
        if not (path.is_file() and _file_sha256(path) == digest):
            write_bytes_atomically(path, data)
        return ArtifactRef(key=key, sha256=digest, uri=path.as_uri(), size=len(data))

    def get_bytes(self, ref: ArtifactRef) -> bytes:
        path = self._path(ref.key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ArtifactMissingError(f"artifact {ref.uri} is missing from the store") from None
        return verified(ref, data, "restore it from a backup or retrain")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def uri_for(self, key: str) -> str:
        return self._path(key).as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"artifact key {key!r} points outside the store {self.root}")
        return path


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, read in blocks so large batches do not load into memory."""
    return _file_sha256(Path(path))
