import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from ml.data.io import read_raw_source, read_table
from ml.data.prepare import apply_data_contract, inject_outliers, split_dataset, stratified_partition
from ml.data.workflow import prepare_sample_data, resolve_training_files
from ml.errors import DataError
from tests.conftest import REPO, with_changes


@pytest.fixture(scope="module")
def raw(config):
    return read_raw_source(REPO / config.dataset.source, config.dataset)


def counts_by(result):
    return {(c.column, c.reason): (c.rows, c.action) for c in result.counts}


def test_sample_defects_are_counted_per_reason(raw, config):
    result = apply_data_contract(raw, config.dataset, "sample")
    counts = counts_by(result)
    assert counts[("BI-RADS", "invalid")] == (1, "ignore")  # the 55 typo
    assert counts[("Density", "missing")] == (76, "impute")
    assert result.rows_dropped == 0


def test_drop_policy_drops_and_counts(config):
    spec = config.dataset.model_copy(
        update={
            "columns": [
                c.model_copy(update={"on_missing": "drop"}) if c.name == "Age" else c
                for c in config.dataset.columns
            ]
        }
    )
    frame = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "Age": [50.0, np.nan],
            "Shape": [1.0, 2.0],
            "Margin": [1.0, 1.0],
            "Density": [1.0, 1.0],
            "Severity": [0.0, 1.0],
        }
    )
    result = apply_data_contract(frame, spec, "f.csv")
    assert result.data["record_id"].tolist() == ["a"]
    assert counts_by(result)[("Age", "missing")] == (1, "drop")


def test_out_of_range_code_is_dropped_by_policy(config):
    frame = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "Age": [50.0, 60.0],
            "Shape": [1.0, 7.0],
            "Margin": [1.0, 1.0],
            "Density": [1.0, 1.0],
            "Severity": [0.0, 1.0],
        }
    )
    result = apply_data_contract(frame, config.dataset, "f.csv")
    assert result.data["record_id"].tolist() == ["a"]
    assert counts_by(result)[("Shape", "invalid")] == (1, "drop")


def test_fail_policy_names_source_record_and_column(config):
    frame = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "Age": [50.0, 60.0],
            "Shape": [1.0, 2.0],
            "Margin": [1.0, 1.0],
            "Density": [1.0, 1.0],
            "Severity": [0.0, 3.0],
        }
    )
    with pytest.raises(DataError, match=r"f\.csv: record b: column 'Severity' is invalid .*on_invalid: fail"):
        apply_data_contract(frame, config.dataset, "f.csv")


def test_stratified_partition_is_reproducible_disjoint_and_complete():
    labels = np.array([0] * 60 + [1] * 40)
    first = stratified_partition(labels, [0.5, 0.3, 0.2], seed=3)
    again = stratified_partition(labels, [0.5, 0.3, 0.2], seed=3)
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    joined = np.concatenate(first)
    assert sorted(joined.tolist()) == list(range(100))
    assert [labels[p].mean() for p in first] == pytest.approx([0.4, 0.4, 0.4], abs=0.02)


def test_split_keeps_bi_rads_out_and_labels_aside(raw, config):
    clean = apply_data_contract(raw, config.dataset, "sample").data
    splits = split_dataset(clean, config.dataset, config.split)
    assert "BI-RADS" not in splits.train_part1.columns
    assert list(splits.batch.columns) == ["record_id", "Age", "Shape", "Margin", "Density"]
    assert splits.batch_labels["record_id"].tolist() == splits.batch["record_id"].tolist()
    parts = (splits.train_part1, splits.train_part2, splits.batch, splits.evaluation)
    assert sum(len(part) for part in parts) == len(clean)


def test_the_locked_evaluation_set_is_stratified_and_disjoint_from_every_other_file(raw, config):
    clean = apply_data_contract(raw, config.dataset, "sample").data
    splits = split_dataset(clean, config.dataset, config.split)
    locked = set(splits.evaluation["record_id"])
    for part in (splits.train_part1, splits.train_part2, splits.batch):
        assert locked.isdisjoint(part["record_id"])
    assert len(splits.evaluation) == pytest.approx(config.split.evaluation * len(clean), abs=2)
    assert splits.evaluation["Severity"].mean() == pytest.approx(clean["Severity"].mean(), abs=0.01)
    assert list(splits.evaluation.columns) == ["record_id", "Age", "Shape", "Margin", "Density", "Severity"]


def test_prepare_records_the_evaluation_sets_digest(tmp_path, config):
    summary = prepare_sample_data(config, REPO / config.dataset.source, tmp_path)
    report = json.loads((tmp_path / "prepare-report.json").read_text())
    digest = hashlib.sha256((tmp_path / "evaluation.csv").read_bytes()).hexdigest()
    assert summary.evaluation_sha256 == report["sha256"]["evaluation.csv"] == digest
    assert report["split"]["evaluation"] == config.split.evaluation


def test_outliers_inject_each_documented_problem(raw, config):
    clean = apply_data_contract(raw, config.dataset, "sample").data
    batch = split_dataset(clean, config.dataset, config.split).batch
    out = inject_outliers(batch, config.dataset, config.split.outliers, seed=1)
    assert (out["Age"] == 150).sum() == round(0.05 * len(batch))
    unknown = sum((out[c] == 9).sum() for c in ("Shape", "Margin", "Density"))
    assert unknown == round(0.05 * len(batch))
    unchanged = out["Age"] != 150
    assert (out.loc[unchanged, "Age"] - batch.loc[unchanged, "Age"]).dropna().eq(20).all()


def test_prepare_writes_files_and_is_repeatable(tmp_path, config):
    first = prepare_sample_data(config, REPO / config.dataset.source, tmp_path / "a")
    prepare_sample_data(config, REPO / config.dataset.source, tmp_path / "b")
    for name in first.row_counts:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not list((tmp_path / "a").glob(".*tmp"))
    part1 = read_table(tmp_path / "a" / "train-part1.csv", config.dataset, with_label=True)
    assert len(part1) == first.row_counts["train-part1.csv"]


def test_prepare_refuses_a_changed_source(tmp_path, config):
    source = tmp_path / "raw.data"
    source.write_text((REPO / config.dataset.source).read_text() + "5,67,3,5,3,1\n")
    with pytest.raises(DataError, match=r"sha256 is .* but dataset\.sha256"):
        prepare_sample_data(config, source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_prepare_failure_leaves_nothing_half_written(tmp_path, config):
    source = tmp_path / "raw.data"
    source.write_text("5,67,3,5,3,1\n5,67,3,5,3,abc\n")
    unpinned = with_changes(config, dataset={"sha256": None})
    with pytest.raises(DataError, match="line 2: column 'Severity': 'abc' is not a number"):
        prepare_sample_data(unpinned, source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_training_selector(tmp_path):
    assert resolve_training_files(("part1+part2",), tmp_path) == [
        tmp_path / "train-part1.csv",
        tmp_path / "train-part2.csv",
    ]
    with pytest.raises(DataError, match="'part3' is neither a prepared part"):
        resolve_training_files(("part3",), tmp_path)


def test_overlapping_fractions_are_refused():
    with pytest.raises(ValueError, match="add up to 1"):
        stratified_partition(np.array([0, 1] * 10), [-0.05, 0.15, 0.9], seed=1)


def test_a_failed_write_keeps_the_previous_set(tmp_path, config, monkeypatch):
    from ml.data import workflow

    first = prepare_sample_data(config, REPO / config.dataset.source, tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in first.row_counts}
    calls = []

    def failing(frame, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(frame, path)

    original = workflow.write_csv_atomically
    monkeypatch.setattr(workflow, "write_csv_atomically", failing)
    with pytest.raises(OSError, match="disk full"):
        prepare_sample_data(with_changes(config, split={"seed": 5}), REPO / config.dataset.source, tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in first.row_counts} == before
    assert not list(tmp_path.glob(".prepare-*"))
