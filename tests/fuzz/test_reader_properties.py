"""Properties of the batch readers over generated hostile CSV files (hypothesis).

- Only data errors: every file is read or refused with a DataError naming the file; nothing else escapes.
- One verdict: the fast path (pyarrow, falling back on doubt) and the strict reader agree on every file,
  refusal for refusal and value for value.
- What is read is what was written: for an accepted file, each row's id and features equal the fields it
  was written from, read by an oracle that restates the rules independently; line numbers are exact.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import event, given

from tests.data.hostile import read_batch, strict_batch
from tests.fuzz.batches import COLUMNS, FEATURES, Batch, batches, oracle_number


def read_both(batch: Batch, spec):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.csv"
        path.write_bytes(batch.data)
        return path, read_batch(path, spec, chunk_rows=4), strict_batch(path, spec, chunk_rows=4)


@given(batches())
def test_fast_and_strict_readers_agree_and_only_refuse_with_data_errors(config, batch):
    path, fast, strict = read_both(batch, config.dataset)

    event("refused" if strict.error else "read fast" if fast.fast else "read strictly")
    assert (fast.error is None) == (strict.error is None), (fast.error, strict.error)
    if strict.error:
        assert fast.error.startswith(str(path)) and strict.error.startswith(str(path))
        return
    pd.testing.assert_frame_equal(fast.frame, strict.frame, check_dtype=False)


@given(batches())
def test_every_accepted_row_holds_exactly_the_fields_it_was_written_from(config, batch):
    _, _, reading = read_both(batch, config.dataset)
    if reading.error or not batch.careful or batch.header != COLUMNS or reading.frame.empty:
        return
    event("accepted")
    frame = reading.frame
    rows = list(batch.rows)
    while rows and rows[-1] in ([], [""]):  # written as blank lines at the end, which are not rows
        rows.pop()
    assert len(frame) == len(rows), "no row is dropped, padded or split"
    assert list(frame.index) == list(range(2, 2 + len(frame))), "rows are numbered by their file line"
    for line, fields in zip(frame.index, rows, strict=True):
        assert frame.at[line, "record_id"] == fields[0].strip(" \t")
        for name, field in zip(FEATURES, fields[1:], strict=True):
            expected, got = oracle_number(field), frame.at[line, name]
            if expected is None:
                assert isinstance(got, float) and np.isnan(got), (name, field, got)
            elif isinstance(expected, float):
                assert got == expected, (name, field, got)
            else:
                assert isinstance(got, str), (name, field, got)  # counted by the check, never scored
