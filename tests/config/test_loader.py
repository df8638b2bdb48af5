from pathlib import Path

import pytest
import yaml

from ml.config.loader import load_environment
from ml.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write_env(tmp_path: Path, data: dict, name: str = "local") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "environment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


@pytest.fixture
def local_data() -> dict:
    return yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())


def test_embedded_environment_is_valid():
    config = load_environment("local", REPO / "configs")
    assert config.dataset.feature_names == ["Age", "Shape", "Margin", "Density"]
    assert config.dataset.label.name == "Severity"


def test_bi_rads_is_never_a_feature():
    config = load_environment("local", REPO / "configs")
    assert config.dataset.column("BI-RADS").role == "excluded"


def test_unknown_key_names_file_and_dotted_field(tmp_path, local_data):
    local_data["training"]["xgboost"]["max_dept"] = 4
    with pytest.raises(ConfigError) as error:
        load_environment("local", write_env(tmp_path, local_data))
    message = str(error.value)
    assert "local/environment.yaml" in message
    assert "training.xgboost.max_dept" in message
    assert "unknown key" in message


def test_unknown_top_level_key_is_refused(tmp_path, local_data):
    local_data["regoin"] = "us-east-1"
    with pytest.raises(ConfigError, match="regoin: unknown key"):
        load_environment("local", write_env(tmp_path, local_data))


def test_bad_value_names_field_and_problem(tmp_path, local_data):
    local_data["quality_gate"]["min_auc"] = 1.5
    with pytest.raises(ConfigError, match=r"quality_gate\.min_auc: .*less than or equal to 1"):
        load_environment("local", write_env(tmp_path, local_data))


def test_missing_required_field(tmp_path, local_data):
    del local_data["dataset"]
    with pytest.raises(ConfigError, match="dataset: required field is missing"):
        load_environment("local", write_env(tmp_path, local_data))


def test_categorical_column_needs_values(tmp_path, local_data):
    del local_data["dataset"]["columns"][2]["values"]
    with pytest.raises(ConfigError, match="'Shape': a categorical column needs 'values'"):
        load_environment("local", write_env(tmp_path, local_data))


def test_label_cannot_be_imputed(tmp_path, local_data):
    local_data["dataset"]["columns"][5]["on_missing"] = "impute"
    with pytest.raises(ConfigError, match="label cannot be imputed"):
        load_environment("local", write_env(tmp_path, local_data))


def test_split_fractions_must_sum_to_one(tmp_path, local_data):
    local_data["split"]["batch"] = 0.3
    with pytest.raises(ConfigError, match=r"split: .*must be 1.0"):
        load_environment("local", write_env(tmp_path, local_data))


def test_outlier_columns_must_be_numeric_features(tmp_path, local_data):
    local_data["split"]["outliers"]["shift"] = {"Shape": 1}
    with pytest.raises(ConfigError, match=r"split.outliers.shift: \['Shape'\] are not numeric features"):
        load_environment("local", write_env(tmp_path, local_data))


def test_malformed_yaml_names_line(tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "environment.yaml").write_text("name: local\nbackend: [local\n")
    with pytest.raises(ConfigError, match=r"environment.yaml: line \d+, column \d+: not valid YAML"):
        load_environment("local", tmp_path)


def test_merge_conflict_marker_is_refused(tmp_path, local_data):
    path = write_env(tmp_path, local_data)
    file = path / "local/environment.yaml"
    file.write_text("<<<<<<< HEAD\n" + file.read_text() + "=======\n>>>>>>> branch\n")
    with pytest.raises(ConfigError, match="merge conflict marker"):
        load_environment("local", path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere/environment\.yaml: file not found"):
        load_environment("nowhere", tmp_path)


def test_name_must_match_folder(tmp_path, local_data):
    local_data["name"] = "dev"
    with pytest.raises(ConfigError, match="name: is 'dev' but the file lives in folder 'local'"):
        load_environment("local", write_env(tmp_path, local_data))


def test_held_out_fractions_must_leave_a_train_split(tmp_path, local_data):
    local_data["training"]["test_fraction"] = 0.8
    with pytest.raises(ConfigError, match=r"training: .*keep it below 0.9"):
        load_environment("local", write_env(tmp_path, local_data))


def test_retrain_data_names_prepared_parts_or_csv_files(tmp_path, local_data):
    local_data["reactions"]["retrain_data"] = ["part1", "part3"]
    with pytest.raises(ConfigError, match=r"reactions.retrain_data: \['part3'\]: use part1, part2"):
        load_environment("local", write_env(tmp_path, local_data))
