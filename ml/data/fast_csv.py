"""The fast path for a CSV batch: pyarrow's streaming reader, trusted only where it agrees with the rules.

pyarrow parses the clean files `mlops infer` is mostly given in C++ (no GIL), but it is more lenient than
the contract: it reads `nan`, `inf` and `1e999` as numbers, skips blank lines, joins a quoted field spanning
lines, keeps NUL bytes and very long fields. So every chunk is checked for those, and the whole file for
line structure; at the first doubt it raises `BatchTypeError` and the caller reads the file again with the
strict reader (`iter_csv_chunks`), which gives the verdict and names the line. Whatever the fast path
yields, the strict reader would have yielded the same (tests/fuzz checks it on generated files).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.csv_text import MAX_FIELD_CHARS
from ml.data.values import BLANKS, MAX_ID_CHARS, DuplicateIds
from ml.errors import DataError

_SCAN_BLOCK = 1 << 23
_MAX_BLOCK = 1 << 28  # Arrow takes an int32 block size; 256 MiB is ~10M rows of this contract


class BatchTypeError(DataError):
    """The fast reader met something it does not judge itself; the strict reader reads the file again."""


def fast_csv_chunks(
    path: Path, names: Sequence[str], spec: DatasetSpec, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """Typed chunks indexed by line number; `names` is the checked header."""
    import pyarrow as pa
    from pyarrow import csv

    features = [name for name in names if name in spec.feature_names]
    types = {name: pa.float64() if name in features else pa.string() for name in names}
    convert = csv.ConvertOptions(
        column_types=types, null_values=[spec.missing_marker, ""], strings_can_be_null=True
    )
    # Arrow cuts a CSV into blocks of bytes, not rows: the first 64 KiB give the bytes per row.
    block = min(_MAX_BLOCK, max(1 << 16, chunk_rows * _bytes_per_row(path)))
    read = csv.ReadOptions(column_names=list(names), skip_rows=1, block_size=block)
    rows, duplicates = 0, DuplicateIds()
    try:
        for batch in csv.open_csv(path, read_options=read, convert_options=convert):
            _trust(batch, names, features, spec.id_column)
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(rows + 2, rows + 2 + len(frame))
            duplicates.add(batch.column(spec.id_column), rows + 2)
            rows += len(frame)
            yield frame
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise BatchTypeError(f"{path}: {exc}") from None
    if (rows and duplicates.first_repeat() is not None) or not _one_row_per_line(path, rows):
        raise BatchTypeError(f"{path}: the strict reader must say which line is wrong")


def _trust(batch, names: Sequence[str], features: list[str], id_column: str) -> None:
    """Raise BatchTypeError unless every value of the chunk means what the strict reader would read."""
    import pyarrow.compute as pc

    for name in features:
        column = batch.column(name)
        if column.null_count < len(column) and not pc.all(pc.is_finite(column)).as_py():
            raise BatchTypeError(f"column {name!r}: a value that is not a finite number")
    ids = batch.column(id_column)
    if ids.null_count or (len(ids) and pc.min(pc.utf8_length(ids)).as_py() == 0):
        raise BatchTypeError("an empty record id")
    if not pc.all(pc.equal(ids, pc.utf8_trim(ids, characters=BLANKS))).as_py():
        raise BatchTypeError("a record id with surrounding blanks")
    for name in names:
        if name not in features:
            longest = pc.max(pc.utf8_length(batch.column(name))).as_py() or 0
            if longest > (MAX_ID_CHARS if name == id_column else MAX_FIELD_CHARS):
                raise BatchTypeError(f"column {name!r}: a field too long")


def _one_row_per_line(path: Path, rows: int) -> bool:
    """Whether the file is the header and `rows` lines, each shorter than the field cap, without NUL bytes.

    Trailing line ends are allowed (the strict reader allows blank lines at the end only).
    """
    newlines, line_start, offset, tail = 0, 0, 0, b""
    with path.open("rb") as handle:
        while block := handle.read(_SCAN_BLOCK):
            data = np.frombuffer(block, dtype=np.uint8)
            if (data == 0).any():
                return False
            ends = np.flatnonzero(data == 10) + offset
            if ends.size:
                gaps = np.diff(ends, prepend=line_start)
                if gaps.max() > MAX_FIELD_CHARS:
                    return False
                newlines += ends.size
                line_start = int(ends[-1]) + 1
            offset += len(block)
            tail = (tail + block)[-64:]
    if offset - line_start > MAX_FIELD_CHARS:
        return False
    body = tail.rstrip(b"\r\n")
    trailing = tail[len(body) :].count(b"\n")
    if len(body) == 0 and offset > len(tail):  # 64 line ends in a row at the end: let the strict reader judge
        return False
    return newlines - trailing == rows


def _bytes_per_row(path: Path) -> int:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    lines = head.count(b"\n")
    # No line end in 64 KiB is not a batch of this contract; a small guess keeps the blocks small too.
    return max(8, -(-len(head) // lines)) if lines else 64
