import pytest

from ml.spec import PipelineSpec, Step


def identity(x):
    return x


def test_reading_an_input_before_it_is_written_is_refused():
    with pytest.raises(ValueError, match=r"step b reads \['later'\] before any step writes it"):
        PipelineSpec(
            "p", (Step("b", identity, ("later",), ("out",)), Step("a", identity, ("x",), ("later",))), ("x",)
        )


def test_artifacts_must_be_step_outputs():
    with pytest.raises(ValueError, match=r"artifacts \['nope'\]"):
        PipelineSpec("p", (Step("a", identity, ("x",), ("y",)),), ("x",), artifacts={"nope": "json"})


def test_train_pipeline_graph_is_the_declared_chain():
    from ml.train.pipeline import TRAIN_PIPELINE

    assert TRAIN_PIPELINE.step_graph() == {
        "split": [],
        "fit_preprocessor": ["split"],
        "train": ["fit_preprocessor", "split"],
        "cross_validate": [],  # reads the training data only
        "evaluate": ["split", "train"],
        "evaluate_locked": ["train"],
        "quality_gate": ["evaluate"],
        "baseline": ["quality_gate"],
        "register": ["baseline", "cross_validate", "evaluate", "evaluate_locked", "quality_gate", "train"],
    }


def test_every_inference_step_is_part_of_the_graph():
    # the reference implementation declared a preprocessing step and never added it to its pipeline
    from ml.inference.pipeline import INFERENCE_PIPELINE

    graph = INFERENCE_PIPELINE.step_graph()
    assert list(graph) == [
        "resolve_model",
        "load_model",
        "check_and_score",
        "data_quality_gate",
        "publish_predictions",
    ]
    assert graph["check_and_score"] == ["load_model", "resolve_model"]
    assert graph["data_quality_gate"] == ["check_and_score"]
    assert graph["publish_predictions"] == ["check_and_score", "data_quality_gate"]
