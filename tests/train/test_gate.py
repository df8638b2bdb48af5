from ml.config.schema import QualityGate
from ml.train.evaluate import EvaluationMetrics
from ml.train.gate import apply_quality_gate


def metrics(auc: float) -> EvaluationMetrics:
    return EvaluationMetrics(auc, auc - 0.05, auc + 0.05, 0.8, 0.8, 0.8, 0.8, 0.8, 0.15, 0.5, 10, 2, 3, 9, 24)


def test_gate_passes_at_the_minimum():
    assert apply_quality_gate(metrics(0.75), QualityGate(min_auc=0.75)).passed


def test_gate_rejects_below_the_minimum_and_says_why():
    decision = apply_quality_gate(metrics(0.70), QualityGate(min_auc=0.75))
    assert not decision.passed
    assert decision.reasons == ("auc 0.700 < min_auc 0.750",)
