"""The strict CSV layer every reader shares: bytes, header and rows, before any value is interpreted.

One rule set for `train`, `infer` and `monitor quality` (see docs/monitoring.md, "How input files are
read"): UTF-8 with or without a BOM, no NUL bytes, a header of unique non-empty names, every row with exactly
as many fields as the header, no blank line between rows, no field spanning lines, no field longer than
`MAX_FIELD_CHARS`. A break of any of them refuses the whole file (DataError, exit 3) naming the file and the
line or byte offset: such a row cannot be trusted to say what it claims, so it is never scored. Because no
row spans lines, the data row at position i (from 0) is always on line i + 2 of a file with a header.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from ml.errors import DataError

BOM = codecs.BOM_UTF8
MAX_FIELD_CHARS = 1 << 16  # 64 Ki characters; no value of a tabular contract comes near it
SHOWN_CHARS = 40  # how much of an offending value a message quotes
_BLOCK = 1 << 20
csv.field_size_limit(MAX_FIELD_CHARS)  # process-wide, set once: the module's readers all obey the cap


def shown(value: object) -> str:
    """A value as a message quotes it: repr'd and cut short, so a megabyte field stays one line."""
    text = str(value)
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")


def check_encoding(path: Path) -> None:
    """Refuse a file that is not UTF-8 text (an optional BOM at the start is fine), naming the byte offset."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset, lines = 0, 1
    with _open_binary(path) as handle:
        while block := handle.read(_BLOCK):
            pending = len(decoder.getstate()[0])
            nul = block.find(b"\0")
            try:
                decoder.decode(block[:nul] if nul >= 0 else block)
            except UnicodeDecodeError as exc:
                at = offset - pending + exc.start
                line = lines + block[: max(0, at - offset)].count(b"\n")
                raise DataError(_encoding_message(path, at, line)) from None
            if nul >= 0:
                line = lines + block[:nul].count(b"\n")
                raise DataError(
                    f"{path}: line {line}: byte offset {offset + nul}: a NUL byte; this is a binary file, "
                    "not CSV text; export the data as UTF-8 CSV"
                )
            offset, lines = offset + len(block), lines + block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DataError(_encoding_message(path, offset - len(decoder.getstate()[0]), lines)) from None


def _encoding_message(path: Path, offset: int, line: int) -> str:
    return (
        f"{path}: line {line}: byte offset {offset}: not UTF-8 text; save the file as UTF-8 "
        "(with or without BOM) and try again"
    )


def read_header(path: Path) -> list[str]:
    """The names on the first line (after an optional BOM)."""
    rows = _rows(path)
    try:
        header = next(rows, None)
    finally:
        rows.close()
    if header is None or not header[1]:
        raise DataError(f"{path}: the first line is empty; it must name the columns")
    return [name.strip() for name in header[1]]


def check_header(path: Path, names: Sequence[str], allowed: Sequence[str], required: Sequence[str]) -> None:
    """Unique, non-empty, known names that include every required one; the message says the fix."""
    if len(names) == 1 and any(delimiter in names[0] for delimiter in ";\t|"):
        raise DataError(
            f"{path}: line 1: one column named {shown(names[0])}: the file uses another delimiter than ','; "
            "write it as comma-separated CSV"
        )
    for position, name in enumerate(names, start=1):
        if not name:
            raise DataError(f"{path}: line 1: column {position} has no name; name it or remove the column")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: line 1: column name(s) {repeated} appear more than once; keep one of each")
    unknown = [name for name in names if name not in allowed]
    missing = [name for name in required if name not in names]
    if missing:
        raise DataError(
            f"{path}: header is missing column(s) {missing}; found {list(names)}. "
            f"The first line must name the columns {list(required)} (order does not matter)"
        )
    if unknown:
        raise DataError(
            f"{path}: line 1: unknown column(s) {unknown}; the data contract knows {list(allowed)}. "
            "Remove them, or fix their spelling"
        )


def iter_string_chunks(path: Path, names: Sequence[str] | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The data rows as strings, `chunk_rows` at a time, indexed by their line number in the file.

    `names=None`: the first line is the header (check it first with `check_header`); otherwise the file
    has no header and these are its columns.
    """
    rows = _rows(path)
    if names is None:
        names = [name.strip() for name in next(rows)[1]]
    width, blank_at, yielded = len(names), None, False
    lines: list[int] = []
    batch: list[list[str]] = []
    for line, fields in rows:
        if not fields:
            blank_at = blank_at or line
            continue
        if blank_at is not None:
            raise DataError(f"{path}: line {blank_at}: empty line between data rows; remove it")
        if len(fields) != width:
            raise DataError(
                f"{path}: line {line}: has {len(fields)} field(s), expected {width} ({', '.join(names)}); "
                "a short or long row (truncated, or another delimiter) is never read; fix the row"
            )
        lines.append(line)
        batch.append(fields)
        if len(batch) >= chunk_rows:
            yield _frame(batch, names, lines)
            lines, batch, yielded = [], [], True
    if batch or not yielded:  # a header without rows still tells the caller its columns
        yield _frame(batch, names, lines)


def _frame(batch: list[list[str]], names: Sequence[str], lines: list[int]) -> pd.DataFrame:
    return pd.DataFrame(batch, columns=list(names), index=pd.Index(lines, dtype="int64"), dtype=object)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) per physical line; a field spanning lines or over the size cap refuses the file."""
    with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        line = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataError(f"{path}: line {reader.line_num}: {_csv_problem(exc)}") from None
            except UnicodeDecodeError:
                check_encoding(path)  # names the byte offset
                raise
            if reader.line_num != line + 1:
                raise DataError(
                    f"{path}: line {line + 1}: a quoted field spans lines {line + 1}-{reader.line_num}; "
                    "values of this contract fit on one line; fix the quoting"
                )
            line = reader.line_num
            yield line, fields


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {MAX_FIELD_CHARS} characters; no value of the contract is that long"
    return f"not valid CSV ({text}); check the delimiter and the quoting"


def _open_binary(path: Path):
    try:
        return path.open("rb")
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}); check the path and permissions") from None
