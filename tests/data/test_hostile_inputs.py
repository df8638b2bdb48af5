"""What a hostile but realistic user feeds the readers: each input refused with file and line (exit 3), or
read so that a value which is not a number is counted by the check and never scored."""

import gzip
import re

import numpy as np
import pandas as pd
import pytest

from ml.data.io import read_table
from ml.data.values import unparsed_rows
from ml.errors import DataError
from tests.data.hostile import HEADER, read_batch, strict_batch

GOOD = "b1,50,1,2,3\nb2,61,4,5,3\nb3,?,2,,1\n"

REFUSED = {
    "truncated row": (HEADER + "b1,50,1,2,3\nb2,61,4\n", r"line 3: has 3 field\(s\), expected 5"),
    "row with another delimiter": (HEADER + "b1,50,1,2,3\nb2;61;4;5;3\n", r"line 3: has 1 field\(s\)"),
    "row with a field too many": (HEADER + "b1,50,1,2,3,9\n", r"line 2: has 6 field\(s\)"),
    "whole file with semicolons": (HEADER.replace(",", ";") + "b1;50;1;2;3\n", "another delimiter"),
    "empty record id": (
        HEADER + "b1,50,1,2,3\n,61,4,5,3\n",
        "line 3: column 'record_id': the record id is empty",
    ),
    "blank record id": (HEADER + '"  ",61,4,5,3\n', "line 2: .*record id is empty"),
    "duplicate record id": (
        HEADER + "b1,50,1,2,3\nb2,50,1,2,3\nb1,61,4,5,3\n",
        "line 4: .*repeats the one on line 2",
    ),
    "record id too long": (HEADER + "b" * 300 + ",50,1,2,3\n", "longer than 256 characters"),
    "latin-1 bytes": (HEADER + "b1,50,1,2,3\nJos\xe9,61,4,5,3\n", r"line 3: byte offset 50: not UTF-8"),
    "NUL byte": (HEADER + "b1,50,1,2,3\nb\x002,61,4,5,3\n", r"line 3: byte offset 48: a NUL byte"),
    "megabyte field": (HEADER + "b1," + "9" * (1 << 20) + ",1,2,3\n", "longer than 65536 characters"),
    "duplicate header": ("record_id,Age,Age,Shape,Margin,Density\nb1,1,2,3,4,5\n", "appear more than once"),
    "empty header name": ("record_id,Age,,Shape,Margin,Density\nb1,1,2,3,4,5\n", "column 3 has no name"),
    "unknown header": (
        "record_id,Age,Shape,Margin,Density,Comment\nb1,50,1,2,3,ok\n",
        r"unknown column\(s\) \['Comment'\]",
    ),
    "no id column": ("Age,Shape,Margin,Density\n50,1,2,3\n", r"missing column\(s\) \['record_id'\]"),
    "blank line between rows": (
        HEADER + "b1,50,1,2,3\n\nb2,61,4,5,3\n",
        "line 3: empty line between data rows",
    ),
    "quoted field spanning lines": (HEADER + '"b\n1",50,1,2,3\n', "line 2: a quoted field spans lines 2-3"),
    "unclosed quote": (HEADER + '"b1,50,1,2,3\n', "line 2|not valid CSV|spans lines"),
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_a_malformed_batch_is_refused_naming_file_and_line(tmp_path, config, text):
    content, message = text
    path = tmp_path / "batch.csv"
    path.write_bytes(content.encode("latin-1") if "\xe9" in content else content.encode())

    reading = read_batch(path, config.dataset)

    assert reading.frame is None, "a malformed batch must never reach scoring"
    assert reading.error.startswith(str(path)), reading.error
    assert re.search(message, reading.error), reading.error


@pytest.mark.parametrize("blob", [gzip.compress(b"x" * 1000), bytes(range(256)) * 4], ids=["gzip", "bytes"])
def test_a_binary_file_is_refused(tmp_path, config, blob):
    path = tmp_path / "batch.csv"
    path.write_bytes(blob)

    reading = read_batch(path, config.dataset)

    assert reading.frame is None and reading.error.startswith(str(path))
    assert "not UTF-8" in reading.error or "NUL byte" in reading.error


NOT_NUMBERS = ["None", "NA", "null", "NaN", "nan", "inf", "-Infinity", "1e999", "1_000", "0x10", "٥٠", "5e"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_value_that_is_not_a_number_is_text_for_the_check_never_a_missing_value(tmp_path, config, value):
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + f"b1,50,1,2,3\nb2,{value},4,5,3\n", encoding="utf-8")

    reading = read_batch(path, config.dataset)

    assert reading.frame["Age"].loc[3] == value, "the check counts it as a data_type_check, shown as written"
    assert unparsed_rows(reading.frame, config.dataset.feature_names).tolist() == [False, True]


@pytest.mark.parametrize("value", ["None", "NA", "null", "nan", "inf", "1e999"])
def test_train_refuses_the_same_values_with_their_line(tmp_path, config, value):
    path = tmp_path / "train.csv"
    path.write_text(HEADER.replace("\n", ",Severity\n") + f"r1,50,1,2,3,0\nr2,{value},4,5,3,1\n")

    with pytest.raises(DataError, match=rf"train\.csv: line 3: column 'Age': '{value}' is not a number"):
        read_table(path, config.dataset, with_label=True)


def test_missing_markers_are_the_same_for_every_reader(tmp_path, config):
    batch = tmp_path / "batch.csv"
    batch.write_text(HEADER + GOOD)
    train = tmp_path / "train.csv"
    train.write_text(HEADER.replace("\n", ",Severity\n") + GOOD.replace("\n", ",1\n"))

    inferred = read_batch(batch, config.dataset).frame
    trained = read_table(train, config.dataset, with_label=True)

    assert inferred["Age"].isna().tolist() == trained["Age"].isna().tolist() == [False, False, True]
    assert inferred["Margin"].isna().tolist() == trained["Margin"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    "variant",
    [
        lambda text: "\ufeff" + text,
        lambda text: text.replace("\n", "\r\n"),
        lambda text: text + "\n\n",
        lambda text: text.rstrip("\n"),
        lambda text: text.replace(",50,", ", 50 ,").replace("b2,", '"b2",'),
    ],
    ids=["BOM", "CRLF", "trailing blank lines", "no final newline", "blanks and quotes"],
)
def test_harmless_variants_read_the_same(tmp_path, config, variant):
    plain, other = tmp_path / "plain.csv", tmp_path / "other.csv"
    plain.write_text(HEADER + GOOD, encoding="utf-8")
    other.write_text(variant(HEADER + GOOD), encoding="utf-8")

    expected = read_batch(plain, config.dataset)
    got = read_batch(other, config.dataset)

    assert expected.fast and got.error is None
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False)


def test_rows_are_indexed_by_their_file_line(tmp_path, config):
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + GOOD + GOOD.replace("b", "c"))

    fast = read_batch(path, config.dataset, chunk_rows=2)
    strict = strict_batch(path, config.dataset, chunk_rows=2)

    assert fast.fast and list(fast.frame.index) == list(strict.frame.index) == list(range(2, 8))
    pd.testing.assert_frame_equal(fast.frame, strict.frame, check_dtype=False)


def test_a_big_clean_batch_stays_on_the_fast_path(tmp_path, config):
    rows = [f"b{i},{20 + i % 60},{1 + i % 4},{1 + i % 5},{1 + i % 4}" for i in range(5000)]
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")

    reading = read_batch(path, config.dataset, chunk_rows=1000)

    assert reading.fast and len(reading.frame) == 5000
    assert reading.frame["Age"].dtype == np.float64


def parquet(tmp_path, table):
    import pyarrow.parquet as pq

    path = tmp_path / "batch.parquet"
    pq.write_table(table, path)
    return path


def test_parquet_with_text_features_is_refused_naming_the_column_and_type(tmp_path, config):
    import pyarrow as pa

    table = pa.table({"record_id": ["b1"], "Age": ["50"], "Shape": [1], "Margin": [1], "Density": [1]})

    reading = read_batch(parquet(tmp_path, table), config.dataset)

    assert "column 'Age' has Parquet type string; expected numbers" in reading.error


def test_parquet_nan_and_infinity_are_not_numbers_and_never_scored(tmp_path, config):
    import pyarrow as pa

    table = pa.table(
        {
            "record_id": pa.array([1, 2, 3], pa.int64()),
            "Age": [50.0, float("nan"), float("inf")],
            "Shape": [1, None, 2],
            "Margin": [1, 2, 3],
            "Density": [1, 2, 3],
        }
    )

    frame = read_batch(parquet(tmp_path, table), config.dataset).frame

    assert frame["record_id"].tolist() == ["1", "2", "3"]
    assert unparsed_rows(frame, config.dataset.feature_names).tolist() == [False, True, True]
    assert np.isnan(frame["Shape"].loc[2]), "a Parquet null is a missing value"


@pytest.mark.parametrize(
    ("ids", "message"),
    [([None, "b2"], "row 1: column 'record_id': the record id is empty"), (["b1", "b1"], "row 2: .*repeats")],
)
def test_parquet_ids_follow_the_same_rules(tmp_path, config, ids, message):
    import pyarrow as pa

    table = pa.table(
        {"record_id": ids, "Age": [50.0, 60.0], "Shape": [1, 2], "Margin": [1, 2], "Density": [1, 2]}
    )

    assert re.search(message, read_batch(parquet(tmp_path, table), config.dataset).error)


def test_a_file_that_is_not_parquet_is_refused(tmp_path, config):
    path = tmp_path / "batch.parquet"
    path.write_text(HEADER + GOOD)

    assert "not a readable Parquet file" in read_batch(path, config.dataset).error


def test_parquet_with_a_timestamp_id_is_refused(tmp_path, config):
    import pyarrow as pa

    table = pa.table(
        {
            "record_id": pa.array([0], pa.timestamp("s")),
            "Age": [50.0],
            "Shape": [1],
            "Margin": [1],
            "Density": [1],
        }
    )

    assert (
        "column 'record_id' has Parquet type timestamp"
        in read_batch(parquet(tmp_path, table), config.dataset).error
    )
