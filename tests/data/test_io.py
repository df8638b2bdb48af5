import threading
from contextlib import closing

import pytest

from ml.data.io import BatchTypeError, iter_batch_chunks, read_ahead, read_raw_source, read_table
from ml.errors import DataError


def test_missing_file_names_the_path(tmp_path, config):
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        read_table(tmp_path / "nope.csv", config.dataset, with_label=True)


def test_empty_file(tmp_path, config):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: file is empty"):
        read_table(path, config.dataset, with_label=True)


def test_wrong_header_names_missing_columns_and_fix(tmp_path, config):
    path = tmp_path / "train.csv"
    path.write_text("record_id,age,Shape,Margin,Density,Severity\nr1,50,1,1,1,0\n")
    with pytest.raises(DataError) as error:
        read_table(path, config.dataset, with_label=True)
    assert "header is missing column(s) ['Age']" in str(error.value)
    assert "The first line must name the columns" in str(error.value)


def test_label_missing_from_header(tmp_path, config):
    path = tmp_path / "train.csv"
    path.write_text("record_id,Age,Shape,Margin,Density\nr1,50,1,1,1\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['Severity'\]"):
        read_table(path, config.dataset, with_label=True)


def test_non_numeric_value_names_line_column_and_value(tmp_path, config):
    path = tmp_path / "train.csv"
    path.write_text("record_id,Age,Shape,Margin,Density,Severity\nr1,50,1,1,1,0\nr2,fifty,1,1,1,0\n")
    with pytest.raises(DataError, match=r"train\.csv: line 3: column 'Age': 'fifty' is not a number"):
        read_table(path, config.dataset, with_label=True)


def test_missing_marker_and_blank_become_nan(tmp_path, config):
    path = tmp_path / "train.csv"
    path.write_text("record_id,Age,Shape,Margin,Density,Severity\nr1,?,1,,1,0\n")
    frame = read_table(path, config.dataset, with_label=True)
    assert frame["Age"].isna().all() and frame["Margin"].isna().all()
    assert frame["record_id"].tolist() == ["r1"]


def test_raw_source_with_wrong_column_count(tmp_path, config):
    path = tmp_path / "raw.data"
    path.write_text("5,67,3,5,3\n")
    with pytest.raises(DataError, match=r"line 1: has 5 field\(s\), expected 6"):
        read_raw_source(path, config.dataset)


def test_raw_source_gets_record_ids(tmp_path, config):
    path = tmp_path / "raw.data"
    path.write_text("5,67,3,5,3,1\n4,43,1,1,?,1\n")
    frame = read_raw_source(path, config.dataset)
    assert frame["record_id"].tolist() == ["r000001", "r000002"]
    assert frame["Density"].isna().tolist() == [False, True]


def test_short_row_names_its_line(tmp_path, config):
    path = tmp_path / "raw.data"
    path.write_text("5,67,3,5,3,1\n5,67,3,5,3\n")
    with pytest.raises(DataError, match=r"line 2: has 5 field\(s\), expected 6"):
        read_raw_source(path, config.dataset)


def test_csv_chunks_hold_about_chunk_rows_rows(tmp_path, config):
    path = tmp_path / "batch.csv"
    rows = [f"b{i:06d},{20 + i % 60},{1 + i % 4},{1 + i % 5},3" for i in range(20_000)]
    path.write_text("record_id,Age,Shape,Margin,Density\n" + "\n".join(rows) + "\n")

    sizes = [len(chunk) for chunk in iter_batch_chunks(path, config.dataset, chunk_rows=4000)]

    # Arrow cuts blocks of bytes; sized from the file's own bytes per row they hold close to 4000 rows.
    assert sum(sizes) == 20_000
    assert all(3600 <= size <= 4400 for size in sizes[:-1]), sizes


def test_read_ahead_yields_every_chunk_in_order():
    assert list(read_ahead(iter(range(50)))) == list(range(50))


def test_read_ahead_raises_the_readers_error_after_the_chunks_before_it():
    def chunks():
        yield 1
        yield 2
        raise BatchTypeError("batch.csv: bad value")

    seen = []
    with pytest.raises(BatchTypeError, match="bad value"):
        for chunk in read_ahead(chunks()):
            seen.append(chunk)
    assert seen == [1, 2]


def test_read_ahead_stops_reading_when_the_caller_stops():
    closed = threading.Event()

    def chunks():
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    with closing(read_ahead(chunks())) as ahead:
        assert next(ahead) == 0
    assert closed.is_set()
    assert not any(thread.name == "read-ahead" for thread in threading.enumerate())
