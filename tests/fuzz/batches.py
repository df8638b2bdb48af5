"""Hypothesis strategies for hostile CSV batches, and an oracle that says what a batch's rows mean.

A generated batch keeps the fields it was written from, so a test can check the readers against a reading
done here, independently: the rules of docs/monitoring.md written out a second time, in plain Python.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from hypothesis import strategies as st

COLUMNS = ["record_id", "Age", "Shape", "Margin", "Density"]
FEATURES = COLUMNS[1:]
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# Values a hostile user would try, beside plain numbers and random text.
TRICKY_VALUES = [
    "",
    "?",
    " ? ",
    "None",
    "NA",
    "null",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "1e-400",
    "1_000",
    "0x10",
    "٥٠",
    "5e",
    "--5",
    "+5",
    ".5",
    "5.",
    " 5",
    "5 ",
    "\t5",
    "1,5",
    '"5"',
    "5;1",
    "5\n6",
    "5\r",
    "\x00",
    "é",
    "\ufeff5",
    "1" * 400,
    "00050",
    "-0",
    "3.0",
    "2.5",
]
TRICKY_IDS = ["", " ", "r1", " r1", "r1 ", '"r1"', "r,1", "r\n1", "é", "\x00", "x" * 300, "\ufeff", "r\r1"]


@dataclass(frozen=True)
class Batch:
    """A CSV batch as bytes, and the header and rows it was written from (None where no row exists)."""

    data: bytes
    header: list[str]
    rows: list[list[str]]
    careful: bool  # every field quoted where needed and no stray bytes: the rows are exactly `rows`


def _field(value: str) -> str:
    """How a careful writer would write the field (quoted when needed); careless ones are generated too."""
    if any(c in value for c in ',"\n\r') or value != value.strip(" \t"):
        return '"' + value.replace('"', '""') + '"'
    return value


numbers = st.one_of(
    st.integers(-5, 200).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
)
values = st.one_of(numbers, numbers, numbers, numbers, st.sampled_from(TRICKY_VALUES), st.text(max_size=6))
tricky_ids = st.one_of(
    st.sampled_from(TRICKY_IDS), st.text(max_size=4), st.integers(0, 3).map(lambda n: f"b{n}")
)


@st.composite
def batches(draw) -> Batch:
    """A header (mostly the contract's), 0-12 rows (mostly 5 fields), written carefully or carelessly."""
    header = list(COLUMNS)
    if draw(st.integers(0, 19)) == 0:
        header = draw(
            st.lists(st.sampled_from([*COLUMNS, "Age", "", "Comment", "BI-RADS"]), min_size=1, max_size=7)
        )
    rows = []
    for index in range(draw(st.integers(0, 12))):
        width = len(header) if draw(st.integers(0, 29)) else draw(st.integers(0, 7))
        record = f"b{index}" if draw(st.integers(0, 19)) else draw(tricky_ids)
        rows.append([record, *(draw(values) for _ in range(width - 1))][:width])
    quote = draw(st.integers(0, 4)) > 0
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    lines = [",".join(_field(v) if quote else v for v in fields) for fields in [header, *rows]]
    if draw(st.integers(0, 19)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "")
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    data = ("\ufeff" if draw(st.integers(0, 9)) == 0 else "").encode() + text.encode("utf-8")
    stray = draw(st.integers(0, 29)) == 0
    if stray:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return Batch(data, header, rows, quote and not stray)


def oracle_number(field: str, marker: str = "?") -> float | str | None:
    """None for a missing value, a float for a number, the field itself for anything else."""
    text = field.strip(" \t")
    if text in ("", marker):
        return None
    if NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    return field
