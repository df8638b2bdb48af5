"""Parquet batches under the same contract as CSV: names, types, ids and numbers checked before scoring.

Parquet has types but no lines: a column of the wrong type (text, dates, lists where numbers are declared)
refuses the file naming the column and its type; rows are numbered from 1 in messages. A float NaN or
infinity in a feature is a value that is not a number, exactly as the text `nan` in a CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ml.config.schema import DatasetSpec
from ml.data.csv_text import check_header
from ml.data.values import BLANKS, DuplicateIds, check_arrow_ids
from ml.errors import DataError


def iter_parquet_chunks(path: Path, spec: DatasetSpec, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks indexed by row number (from 1), typed and marked as `iter_batch_chunks` promises."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc}); check the file") from None
    allowed = [spec.id_column, *(c.name for c in spec.columns)]
    check_header(path, [str(name) for name in schema.names], allowed, [spec.id_column])
    _check_types(path, schema, spec)
    position = schema.names.index(spec.id_column)
    rows, duplicates = 0, DuplicateIds()
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            ids = pc.utf8_trim(batch.column(position).cast(pa.string()), characters=BLANKS)
            check_arrow_ids(ids, path, spec.id_column, rows + 1)
            duplicates.add(ids, rows + 1)
            frame = batch.set_column(position, spec.id_column, ids).to_pandas()
            frame.index = pd.RangeIndex(rows + 1, rows + 1 + len(frame))
            for name in spec.feature_names:
                if name in frame.columns:
                    frame[name] = _mark_non_finite(frame[name], batch.column(name))
            rows += len(frame)
            yield frame
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: row {rows + 1} onwards cannot be read ({exc}); it is damaged") from None
    if rows:
        duplicates.check(path, spec.id_column, where="row")


def _check_types(path: Path, schema, spec: DatasetSpec) -> None:
    import pyarrow as pa

    for item in schema:
        if item.name == spec.id_column:
            good = pa.types.is_string(item.type) or pa.types.is_large_string(item.type)
            good = good or pa.types.is_integer(item.type)
            expected = "text or whole numbers"
        elif item.name in spec.feature_names:
            good, expected = pa.types.is_integer(item.type) or pa.types.is_floating(item.type), "numbers"
        else:
            continue
        if not good:
            raise DataError(
                f"{path}: column {item.name!r} has Parquet type {item.type}; expected {expected}. "
                "Write the column with a numeric (or, for the id, text) type"
            )


def _mark_non_finite(column: pd.Series, values) -> pd.Series:
    """NaN and infinities as text (pandas would read NaN as missing); Arrow tells them from nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    finite = pc.is_finite(values.cast(pa.float64()))
    bad = pc.fill_null(pc.invert(finite), False).to_numpy(zero_copy_only=False)
    numbers = column.to_numpy(dtype="float64", na_value=np.nan)
    if not bad.any():
        return pd.Series(numbers, index=column.index, name=column.name)
    marked = pd.Series(numbers, index=column.index, name=column.name, dtype=object)
    marked[bad] = [str(v) for v in values.filter(pa.array(bad)).to_pylist()]
    return marked
