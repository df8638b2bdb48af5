"""Statistical drift tests per feature, run beside Model Monitor's `baseline_drift_check` distance.

Model Monitor's distance answers "how far apart are the distributions?" with a fixed threshold; these tests
answer "is the difference more than sampling noise?" with a known false-alarm rate, and then ask whether
it is big enough to matter. Per feature (docs/monitoring-drift.md has the reasoning and the numbers):

- numeric: two-sample Kolmogorov-Smirnov test of the batch against the baseline sketch, combined with
  Mann-Whitney's rank-sum test: p = min(1, 2 * min(p_KS, p_MW)) (Bonferroni within the feature, so the
  feature still counts as one test of level alpha). KS sees any change of shape; Mann-Whitney is far
  more powerful for a shift of location, the most common drift, and stays exact under the many ties of
  integer data, where KS turns conservative (benchmarks/power.py: before/after in
  docs/monitoring-drift.md). The KS p-value is Smirnov's asymptotic one (scipy's
  `ks_2samp(method="asymp")`) with the effective sample size n*m/(n+m) of *both* samples, because the
  baseline is itself a sample; Mann-Whitney's variance also uses both sizes. Effect size: Wasserstein-1
  distance in baseline standard deviations.
- categorical: chi-squared test of homogeneity of the 2 x K table (baseline counts, batch counts), which
  also counts the baseline's own sampling noise; categories expected fewer than 5 times are pooled.
  Effect size: Jensen-Shannon distance (base 2, in [0, 1]), finite when a category is new.

- missing values: one-sided Fisher exact test that the batch's share of missing values is larger than
  the baseline's (the 2 x 2 table of present and missing counts of both). Exact, so valid for the few
  missing values of a small batch; one-sided, because fewer missing values is never a data-quality
  problem, which buys power at the same alpha. Effect size: batch missing share minus baseline missing
  share. Its failure is the feature's `completeness_check`.

A feature with fewer than `min_samples` present batch values is "not enough data" (its missing-values
test still runs: it counts rows, not present values). The p-values of the
tested features are adjusted together (Holm by default), and a feature fails only when its adjusted
p-value is at most `alpha` *and* its effect size reaches the floor.

Settings travel with the baseline as our extension `monitoring_config.drift_tests` of constraints.json
(written from `MonitoringConfig.drift_tests`), so a batch is judged by the rules its model was approved
with; a baseline without the key (e.g. SageMaker's analyzer) gets the schema's defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from pydantic import ValidationError
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2, false_discovery_control, fisher_exact, kstwo, kstwobign, norm

from ml.config.schema import DriftTestsConfig
from ml.errors import DataError
from ml.monitoring.distance import CDFHistogram

KS_TEST = "two-sample Kolmogorov-Smirnov"
KS_MW_TEST = "two-sample Kolmogorov-Smirnov + Mann-Whitney"
CHI2_TEST = "chi-squared homogeneity"
WASSERSTEIN = "Wasserstein-1 distance / baseline std"
JENSEN_SHANNON = "Jensen-Shannon distance (base 2)"
MISSING_TEST = "one-sided Fisher exact (missing share)"
MISSING_SHARE_RISE = "missing share, batch minus baseline"
PASS, FAIL, NOT_ENOUGH_DATA, DISABLED = "pass", "fail", "not enough data", "disabled"
MIN_EXPECTED = 5.0  # Cochran's rule for the chi-squared approximation
KS_EXACT_UP_TO = 10_000
SETTINGS_KEY = "drift_tests"
CORRECTION_NAMES = {"holm": "Holm", "benjamini-hochberg": "Benjamini-Hochberg"}


@dataclass(frozen=True)
class DriftTestOutcome:
    """One feature's test before the multiple-testing correction."""

    feature_name: str
    test: str
    kind: str  # "numeric", "categorical" or "missing": picks the effect-size floor
    sample_size: int
    baseline_size: float
    statistic: float
    degrees_of_freedom: int | None
    p_value: float
    effect_size: float
    effect_size_name: str
    rank_sum_z: float | None = None  # Mann-Whitney's z, numeric features only


@dataclass(frozen=True)
class DriftTestResult:
    """One feature's statistical drift test, as reported in `DataQualityReport.drift_tests`.

    `status` is "pass", "fail", "not enough data" (fewer than `min_samples` present batch values; the
    statistic, p-values and effect size are then None) or "disabled" (switched off for this feature).
    """

    feature_name: str
    test: str
    status: str
    sample_size: int
    baseline_size: float
    min_samples: int
    statistic: float | None
    degrees_of_freedom: int | None
    p_value: float | None
    adjusted_p_value: float | None
    correction: str
    alpha: float
    effect_size: float | None
    effect_size_name: str
    effect_size_floor: float
    rank_sum_z: float | None = None


def drift_test_settings(constraints: Mapping) -> DriftTestsConfig:
    """`monitoring_config.drift_tests` of a constraints.json, or the schema's defaults when absent."""
    block = constraints.get("monitoring_config", {}).get(SETTINGS_KEY)
    if block is None:
        return DriftTestsConfig()
    try:
        return DriftTestsConfig.model_validate(block)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise DataError(
            f"constraints.json: monitoring_config.{SETTINGS_KEY}.{field}: {problem['msg']}"
        ) from None


def ks_test(name: str, histogram: CDFHistogram, baseline_std: float) -> DriftTestOutcome:
    """Two-sample KS test of the batch values counted in `histogram` against its baseline sketch."""
    n, m = histogram.baseline.total, histogram.count
    if m == 0:
        return DriftTestOutcome(
            name, KS_TEST, "numeric", 0, n, math.nan, None, math.nan, math.nan, WASSERSTEIN
        )
    statistic = histogram.ks_statistic()
    p_value = ks_p_value(statistic, n * m / (n + m))
    effect = histogram.wasserstein() / (baseline_std if baseline_std > 0 else 1.0)
    return DriftTestOutcome(name, KS_TEST, "numeric", m, n, statistic, None, p_value, effect, WASSERSTEIN)


def numeric_test(name: str, histogram: CDFHistogram, baseline_std: float) -> DriftTestOutcome:
    """KS and Mann-Whitney of the batch against the baseline sketch, one p-value: 2 * the smaller one."""
    ks = ks_test(name, histogram, baseline_std)
    if ks.sample_size == 0:
        return ks
    z = histogram.rank_sum_z()
    p_value = min(1.0, 2 * min(ks.p_value, float(2 * norm.sf(abs(z)))))
    return replace(ks, test=KS_MW_TEST, p_value=p_value, rank_sum_z=z)


def ks_p_value(statistic: float, effective_size: float) -> float:
    """Two-sided KS p-value for an effective sample size n*m/(n+m), as scipy's `ks_2samp(method="asymp")`."""
    if effective_size <= KS_EXACT_UP_TO:
        return float(kstwo.sf(statistic, max(1, round(effective_size))))
    # scipy's finite-n distribution takes ~60 ms at n = 10^5; Kolmogorov's limit is within 1.5% from here on.
    return float(kstwobign.sf(statistic * math.sqrt(effective_size)))


def chi_squared_test(
    name: str, baseline: Mapping[str, float], batch: Mapping[str, float]
) -> DriftTestOutcome:
    """Chi-squared test that the batch's category counts come from the baseline's distribution."""
    keys = sorted(set(baseline) | set(batch))
    table = np.array([[baseline.get(key, 0) for key in keys], [batch.get(key, 0) for key in keys]], float)
    n, m = table.sum(axis=1)
    if m == 0 or n == 0:
        nothing = (math.nan, None, math.nan, math.nan, JENSEN_SHANNON)
        return DriftTestOutcome(name, CHI2_TEST, "categorical", int(m), n, *nothing)
    pooled = _pool_sparse_categories(table)
    expected = np.outer(pooled.sum(axis=1), pooled.sum(axis=0)) / pooled.sum()
    statistic = float(((pooled - expected) ** 2 / expected).sum())
    dof = pooled.shape[1] - 1
    p_value = float(chi2.sf(statistic, dof)) if dof > 0 else 1.0
    effect = float(jensenshannon(table[0], table[1], base=2))
    return DriftTestOutcome(
        name, CHI2_TEST, "categorical", int(m), n, statistic, dof, p_value, effect, JENSEN_SHANNON
    )


def missing_values_test(name: str, baseline: tuple[float, float], batch: tuple[int, int]) -> DriftTestOutcome:
    """One-sided Fisher exact test that the batch has a larger share of missing values than the baseline.

    Args:
        name: the feature.
        baseline: (present, missing) counts of the baseline (statistics.json `common`).
        batch: (present, missing) counts of the batch.
    """
    (base_present, base_missing), (present, missing) = baseline, batch
    base_rows, rows = base_present + base_missing, present + missing
    odds = p_value = rise = math.nan
    if rows and base_rows:
        table = [[missing, present], [round(base_missing), round(base_present)]]
        odds, p_value = (float(x) for x in fisher_exact(table, alternative="greater"))
        rise = missing / rows - base_missing / base_rows
    return DriftTestOutcome(
        name, MISSING_TEST, "missing", rows, base_rows, odds, None, p_value, rise, MISSING_SHARE_RISE
    )


def _pool_sparse_categories(table: np.ndarray) -> np.ndarray:
    """Merge the categories expected fewer than MIN_EXPECTED times into one, then into the smallest other."""
    share = table.sum(axis=1).min() / table.sum()
    sparse = table.sum(axis=0) * share < MIN_EXPECTED
    if not sparse.any():
        return table
    dense = table[:, ~sparse].copy()
    rare = table[:, sparse].sum(axis=1)
    if dense.shape[1] and rare.sum() * share < MIN_EXPECTED:
        dense[:, np.argmin(dense.sum(axis=0))] += rare
        return dense
    return np.column_stack([dense, rare])


def adjust_p_values(p_values: np.ndarray, correction: str) -> np.ndarray:
    """Holm's step-down (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values."""
    if p_values.size == 0:
        return p_values
    if correction == "benjamini-hochberg":
        return false_discovery_control(p_values, method="bh")
    order = np.argsort(p_values)
    scaled = (p_values.size - np.arange(p_values.size)) * p_values[order]
    adjusted = np.empty_like(p_values)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def evaluate_drift_tests(
    outcomes: list[DriftTestOutcome], settings: DriftTestsConfig
) -> list[DriftTestResult]:
    """Apply min samples, one multiple-testing correction over every test, and the effect-size floors.

    Returns:
        One result per outcome, in the same order. Distribution and missing-values tests of all features
        form one family, so the chance that a clean batch raises any of their alarms stays at `alpha`.
    """
    rules = [_rules(outcome, settings) for outcome in outcomes]
    tested = [
        i for i, (o, r) in enumerate(zip(outcomes, rules, strict=True)) if r[0] and o.sample_size >= r[1]
    ]
    adjusted = adjust_p_values(
        np.array([outcomes[i].p_value for i in tested], dtype=float), settings.correction
    )
    by_index = {i: float(p) for i, p in zip(tested, adjusted, strict=True)}
    return [
        _result(o, r, by_index.get(i), settings) for i, (o, r) in enumerate(zip(outcomes, rules, strict=True))
    ]


def _rules(outcome: DriftTestOutcome, settings: DriftTestsConfig) -> tuple[bool, int, float]:
    """(enabled, min_samples, effect_size_floor) of one feature, its overrides applied."""
    override = settings.features.get(outcome.feature_name)
    floor = {
        "numeric": settings.numeric_effect_size_floor,
        "categorical": settings.categorical_effect_size_floor,
        "missing": settings.missing_values_effect_size_floor,
    }[outcome.kind]
    if override is None:
        return True, settings.min_samples, floor
    min_samples = settings.min_samples if override.min_samples is None else override.min_samples
    # A feature's effect-size floor is in its distribution test's unit; the missing-values test keeps its own.
    if override.effect_size_floor is not None and outcome.kind != "missing":
        floor = override.effect_size_floor
    return override.enabled, min_samples, floor


def _result(
    outcome: DriftTestOutcome,
    rules: tuple[bool, int, float],
    adjusted: float | None,
    settings: DriftTestsConfig,
) -> DriftTestResult:
    enabled, min_samples, floor = rules
    if adjusted is None:
        status = NOT_ENOUGH_DATA if enabled else DISABLED
    elif adjusted <= settings.alpha and outcome.effect_size >= floor:
        status = FAIL
    else:
        status = PASS
    measured = adjusted is not None
    return DriftTestResult(
        feature_name=outcome.feature_name,
        test=outcome.test,
        status=status,
        sample_size=outcome.sample_size,
        baseline_size=outcome.baseline_size,
        min_samples=min_samples,
        statistic=outcome.statistic if measured else None,
        degrees_of_freedom=outcome.degrees_of_freedom if measured else None,
        p_value=outcome.p_value if measured else None,
        adjusted_p_value=adjusted,
        correction=settings.correction,
        alpha=settings.alpha,
        effect_size=outcome.effect_size if measured else None,
        effect_size_name=outcome.effect_size_name,
        effect_size_floor=floor,
        rank_sum_z=outcome.rank_sum_z if measured else None,
    )


def describe_failure(result: DriftTestResult) -> str:
    """Our text for a failed test: test, statistic, p-values, effect size (after the analyzer's sentence)."""
    if result.test == MISSING_TEST:
        statistic = f"odds ratio {result.statistic:.3g}"
    elif result.degrees_of_freedom is None:
        statistic = f"D = {result.statistic:.3f}"
        if result.rank_sum_z is not None:
            statistic += f", Mann-Whitney z = {result.rank_sum_z:.2f}"
    else:
        statistic = (
            f"chi-squared = {result.statistic:.2f} with {result.degrees_of_freedom} degrees of freedom"
        )
    adjusted = f"{CORRECTION_NAMES[result.correction]}-adjusted p-value {result.adjusted_p_value:.3g}"
    effect = f"effect size {result.effect_size:.3f} ({result.effect_size_name})"
    unit = "rows" if result.test == MISSING_TEST else "values"
    return (
        f"{result.feature_name}: statistical test ({result.test}) finds drift: {statistic}, "
        f"p-value {result.p_value:.3g}, {adjusted} <= alpha {result.alpha:g}; {effect} >= floor "
        f"{result.effect_size_floor:g}; {result.sample_size} batch {unit} against "
        f"{result.baseline_size:.0f} baseline {unit}"
    )
