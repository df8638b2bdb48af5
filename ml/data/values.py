"""What a field means under the data contract: one number, missing and id rule for every reader.

- missing: the empty field or the contract's `missing_marker` (surrounding blanks ignored); nothing else.
  `None`, `NA`, `null`, `NaN` are not missing markers: they are values that are not numbers.
- a number: a plain decimal such as `42`, `-3.5`, `.5`, `1e3` that is finite. `inf`, `nan`, `1e999` (which
  overflows), `1_000`, `0x10`, digits of other scripts are not numbers.
- a record id: present, not blank, at most `MAX_ID_CHARS` characters, unique in the file; surrounding blanks
  are not part of it (as for numbers), so ` r1` and `r1` are the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.data.csv_text import shown
from ml.errors import DataError

NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
MAX_ID_CHARS = 256
BLANKS = " \t"  # surrounding blanks of a field, ignored by every reader (Arrow trims the same two)


@dataclass(frozen=True)
class ParsedColumn:
    """A text column read as numbers: values (NaN where missing or bad) and which fields were which."""

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray


def parse_column(text: pd.Series, missing_marker: str) -> ParsedColumn:
    """Apply the number and missing rules to a column of strings (None counts as an empty field)."""
    stripped = text.fillna("").astype(str).str.strip(BLANKS)
    missing = ((stripped == "") | (stripped == missing_marker)).to_numpy()
    number = stripped.str.fullmatch(NUMBER_PATTERN).to_numpy(dtype=bool) & ~missing
    values = np.full(len(text), np.nan)
    if number.any():
        values[number] = stripped.to_numpy(dtype=object)[number].astype(float)  # Python's float()
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
    values[~finite] = np.nan
    return ParsedColumn(values, missing, ~missing & ~finite)


def checked_column(text: pd.Series, parsed: ParsedColumn) -> pd.Series:
    """The column as the data-quality check reads it: numbers, NaN for missing, the text of a bad value."""
    if not parsed.bad.any():
        return pd.Series(parsed.values, index=text.index, name=text.name)
    column = pd.Series(parsed.values, index=text.index, name=text.name, dtype=object)
    column[parsed.bad] = [shown(value)[1:-1] for value in text[parsed.bad]]
    return column


def unparsed_rows(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Which rows hold a value that is not a number in one of `columns` (from `checked_column`)."""
    bad = pd.Series(False, index=frame.index)
    for name in columns:
        if name in frame.columns and frame[name].dtype == object:
            bad |= frame[name].map(lambda value: isinstance(value, str))
    return bad


def to_numbers(raw: pd.DataFrame, path: Path | str, missing_marker: str) -> pd.DataFrame:
    """String columns to floats; a value that is neither a number nor missing refuses the file (exit 3).

    Row labels of `raw` are the file's line numbers (as `iter_string_chunks` gives them).
    """
    numbers = {}
    for column in raw.columns:
        parsed = parse_column(raw[column], missing_marker)
        if parsed.bad.any():
            row = int(np.flatnonzero(parsed.bad)[0])
            raise DataError(
                f"{path}: line {raw.index[row]}: column {column!r}: {shown(raw[column].iloc[row])} is not a "
                f"number ({int(parsed.bad.sum())} such value(s) in this column); fix the value or write "
                f"{missing_marker!r} for a missing one"
            )
        numbers[column] = parsed.values
    return pd.DataFrame(numbers, index=raw.index)


def check_arrow_ids(ids, path: Path | str, column: str, first_number: int, where: str = "row") -> None:
    """`check_ids` for an Arrow string array (already without surrounding blanks), in C++."""
    import pyarrow.compute as pc

    lengths = pc.utf8_length(ids)
    if ids.null_count or (len(ids) and pc.min(lengths).as_py() == 0):
        first = pc.indices_nonzero(pc.fill_null(pc.equal(lengths, 0), True))[0].as_py()
        raise DataError(
            f"{path}: {where} {first_number + first}: column {column!r}: the record id is empty; every row "
            "needs its own id to be scored"
        )
    if len(ids) and pc.max(lengths).as_py() > MAX_ID_CHARS:
        first = pc.indices_nonzero(pc.greater(lengths, MAX_ID_CHARS))[0].as_py()
        raise DataError(
            f"{path}: {where} {first_number + first}: column {column!r}: the record id is longer than "
            f"{MAX_ID_CHARS} characters; use a shorter id"
        )


def clean_ids(ids: pd.Series) -> pd.Series:
    """Ids without their surrounding blanks (None stays None)."""
    return ids.str.strip(BLANKS)


def check_ids(ids: pd.Series, path: Path | str, column: str, where: str = "line") -> None:
    """Every id present, not blank, not too long (row labels of `ids` are line or row numbers)."""
    text = ids.fillna("").astype(str)
    blank = text == ""
    if blank.any():
        raise DataError(
            f"{path}: {where} {ids.index[int(np.flatnonzero(blank.to_numpy())[0])]}: column {column!r}: the "
            f"record id is empty ({int(blank.sum())} such row(s)); every row needs its own id to be scored"
        )
    long = text.str.len() > MAX_ID_CHARS
    if long.any():
        raise DataError(
            f"{path}: {where} {ids.index[int(np.flatnonzero(long.to_numpy())[0])]}: column {column!r}: the "
            f"record id is longer than {MAX_ID_CHARS} characters; use a shorter id"
        )


def check_unique(ids: pd.Series, path: Path | str, column: str) -> None:
    """No id twice in a file read whole; names the id and both line numbers."""
    repeated = ids.duplicated()
    if repeated.any():
        row = int(np.flatnonzero(repeated.to_numpy())[0])
        first = int(np.flatnonzero((ids == ids.iloc[row]).to_numpy())[0])
        raise DataError(
            f"{path}: line {ids.index[row]}: column {column!r}: record id {shown(ids.iloc[row])} repeats "
            f"line {ids.index[first]} ({int(repeated.sum())} repeated row(s)); every record must appear once"
        )


@dataclass
class DuplicateIds:
    """Finds repeated ids across a stream of chunks, exactly, in Arrow (C++, outside the GIL).

    Keeps every id (their bytes plus 4 per row: 14 MB per million ids of 10 characters) and the number of
    each chunk's first row; chunks are numbered consecutively (file lines, or Parquet rows).
    """

    arrays: list = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)

    def add(self, ids, first_number: int) -> None:
        """Add a chunk's ids: an Arrow string array, or a pandas Series of strings."""
        import pyarrow as pa

        if isinstance(ids, pd.Series):
            ids = pa.array(ids.to_numpy(dtype=object), type=pa.string())
        self.arrays.append(ids.cast(pa.string()))
        self.firsts.append(first_number)

    def first_repeat(self) -> tuple[int, int] | None:
        """(number of the first occurrence, number of its repeat) of some repeated id, or None."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._strictly_increasing():  # sorted ids are unique: 20x cheaper than hashing them all
            return None
        ids = pa.chunked_array(self.arrays, type=pa.string())
        if len(pc.unique(ids)) == len(ids):
            return None
        counts = pc.value_counts(ids)
        value = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")[0]
        hits = [
            first + int(position)
            for array, first in zip(self.arrays, self.firsts, strict=True)
            for position in pc.indices_nonzero(pc.equal(array, value)).to_numpy()[:2]
        ]
        return hits[0], hits[1]

    def _strictly_increasing(self) -> bool:
        import pyarrow.compute as pc

        previous = None
        for array in self.arrays:
            if len(array) == 0:
                continue
            if previous is not None and not pc.greater(array[0], previous).as_py():
                return False
            if len(array) > 1 and not pc.all(pc.greater(array[1:], array[:-1])).as_py():
                return False
            previous = array[-1]
        return True

    def check(self, path: Path | str, column: str, where: str = "line") -> None:
        repeat = self.first_repeat()
        if repeat is not None:
            raise DataError(
                f"{path}: {where} {repeat[1]}: column {column!r}: the record id repeats the one on {where} "
                f"{repeat[0]}; every record must appear once (a prediction is joined to its record by id)"
            )
