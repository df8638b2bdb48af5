"""Every option AWS documents for a data-quality baseline works with its meaning or is refused by name.

AWS, "Schema for Constraints (constraints.json file)", table "Monitoring Constraints"; the older
`enable_comparisons` spelling from the SDK's test data (tests/monitoring/fixtures/analyzer/sdk-test-data).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ml.config.loader import load_environment
from ml.errors import ConfigError, DataError
from ml.monitoring.baseline import DataBaseline, build_baseline, monitoring_rules
from ml.monitoring.quality import check_data_quality
from tests.conftest import REPO

SDK_CONSTRAINTS = Path(__file__).parent / "fixtures/analyzer/sdk-test-data/constraints.json"


def _sample(seed: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Age": rng.normal(55, 14, rows).round().clip(18, 95),
            "Shape": rng.choice([1, 2, 3, 4], rows, p=[0.25, 0.2, 0.1, 0.45]),
            "Margin": rng.choice([1, 2, 3, 4, 5], rows, p=[0.35, 0.05, 0.15, 0.3, 0.15]),
            "Density": rng.choice([1, 2, 3, 4], rows, p=[0.02, 0.06, 0.88, 0.04]),
        }
    )


@pytest.fixture(scope="module")
def baseline(spec, monitoring) -> DataBaseline:
    return build_baseline(_sample(1, 600), spec, monitoring)


def with_distribution(baseline: DataBaseline, **settings) -> DataBaseline:
    constraints = json.loads(json.dumps(baseline.constraints))
    block = constraints["monitoring_config"]["distribution_constraints"]
    block.update({key: value for key, value in settings.items() if value is not None})
    for key in [key for key, value in settings.items() if value is None]:
        del block[key]
    return DataBaseline(baseline.statistics, constraints)


def drift_types(report) -> set[tuple[str, str]]:
    kinds = ("baseline_drift_check", "drift_test_check")
    return {
        (v.feature_name, v.constraint_check_type)
        for v in report.violations
        if v.constraint_check_type in kinds
    }


def write_config(tmp_path: Path, **monitoring) -> Path:
    data = yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())
    data["monitoring"].update(monitoring)
    (tmp_path / "local").mkdir()
    (tmp_path / "local/environment.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_chi_squared_in_the_config_is_a_config_error_saying_why(tmp_path):
    folder = write_config(tmp_path, categorical_drift_method="ChiSquared")
    with pytest.raises(
        ConfigError, match=r"monitoring.categorical_drift_method: .*ChiSquared is not supported"
    ):
        load_environment("local", folder)


def test_chi_squared_in_a_baseline_is_refused_by_name(baseline):
    with pytest.raises(
        DataError, match=r"categorical_drift_method: 'ChiSquared': ChiSquared is not supported"
    ):
        monitoring_rules(with_distribution(baseline, categorical_drift_method="ChiSquared").constraints)


def test_both_spellings_of_the_comparison_method_mean_the_same(baseline, spec, tmp_path):
    batch = _sample(2, 300).assign(Age=lambda frame: frame["Age"] + 6)
    for documented, name in (("linf_simple", "Simple"), ("linf_robust", "Robust")):
        spelled = check_data_quality([batch], with_distribution(baseline, comparison_method=documented), spec)
        named = check_data_quality([batch], with_distribution(baseline, comparison_method=name), spec)
        assert spelled.drift == named.drift
    config = load_environment("local", write_config(tmp_path, comparison_method="linf_simple"))
    assert config.monitoring.comparison_method == "Simple"


def test_enable_comparisons_false_switches_every_drift_check_off(baseline, spec):
    shifted = _sample(3, 300).assign(Age=lambda frame: frame["Age"] + 20, Shape=1)
    older = with_distribution(baseline, perform_comparison=None, enable_comparisons=False)

    report = check_data_quality([shifted], older, spec)

    assert drift_types(report) == set() and report.drift == {} and report.drift_tests == {}
    enabled = check_data_quality([shifted], with_distribution(older, enable_comparisons=True), spec)
    assert {name for name, _ in drift_types(enabled)} == {"Age", "Shape"}


def test_enable_comparisons_contradicting_perform_comparison_is_refused(baseline):
    both = with_distribution(baseline, perform_comparison="Enabled", enable_comparisons=False)
    with pytest.raises(DataError, match=r"enable_comparisons \(False\) contradicts perform_comparison"):
        monitoring_rules(both.constraints)


def test_an_undocumented_key_is_refused_by_name():
    constraints = json.loads(SDK_CONSTRAINTS.read_text())
    with pytest.raises(
        DataError, match=r"distribution_constraints.min_domain_mass: not a setting AWS documents"
    ):
        monitoring_rules(constraints)
    del constraints["monitoring_config"]["distribution_constraints"]["min_domain_mass"]
    rules = monitoring_rules(constraints)
    assert rules.perform_comparison and rules.comparison_threshold == 1.0


def test_absent_thresholds_take_the_documented_defaults():
    rules = monitoring_rules({"monitoring_config": {}})
    assert (rules.datatype_check_threshold, rules.domain_content_threshold) == (0.1, 0.1)
    assert (rules.comparison_threshold, rules.comparison_method, rules.perform_comparison) == (
        0.1,
        "Robust",
        True,
    )


def test_the_categorical_threshold_is_separate_from_the_numeric_one(baseline, spec, tmp_path):
    batch = _sample(4, 400)
    batch.loc[: int(0.2 * len(batch)), "Shape"] = 1  # a move of about 20 points to one code
    strict = with_distribution(baseline, categorical_comparison_threshold=0.01)
    loose = with_distribution(baseline, categorical_comparison_threshold=0.9)

    assert ("Shape", "baseline_drift_check") in drift_types(check_data_quality([batch], strict, spec))
    assert ("Shape", "baseline_drift_check") not in drift_types(check_data_quality([batch], loose, spec))
    config = load_environment("local", write_config(tmp_path, categorical_comparison_threshold=0.2))
    written = build_baseline(_sample(5, 200), config.dataset, config.monitoring).constraints
    block = written["monitoring_config"]["distribution_constraints"]
    assert (block["comparison_threshold"], block["categorical_comparison_threshold"]) == (0.1, 0.2)


def test_the_documented_settings_are_the_configured_ones():
    """docs/monitoring-drift.md shows the monitoring settings every environment file holds."""
    text = (REPO / "docs/monitoring-drift.md").read_text()
    documented = [block.split("```")[0] for block in text.split("```yaml\n")[1:]]
    blocks = [yaml.safe_load(block)["monitoring"] for block in documented if block.startswith("monitoring:")]
    assert len(blocks) == 2
    tests, model_monitor = blocks
    tests["drift_tests"].pop("features")  # an example of overrides; the files have none
    for env in ("local", "dev", "prod"):
        configured = yaml.safe_load((REPO / f"configs/{env}/environment.yaml").read_text())["monitoring"]
        assert {key: configured[key] for key in model_monitor} == model_monitor, env
        assert {key: configured["drift_tests"][key] for key in tests["drift_tests"]} == tests[
            "drift_tests"
        ], env
