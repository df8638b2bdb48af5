import json
from dataclasses import dataclass

import pytest

from ml.artifacts.codecs import get_json
from ml.artifacts.local import LocalArtifactStore
from ml.notify.log import LogNotifier
from ml.orchestration.local import LocalRunner
from ml.spec import PipelineSpec, Step


@dataclass(frozen=True)
class Total:
    value: int

    def to_dict(self):
        return {"value": self.value}


@dataclass(frozen=True)
class Decision:
    passed: bool
    reasons: tuple[str, ...]


def add(a, b):
    return Total(a + b)


def at_least(total, minimum):
    return Decision(total.value >= minimum, (f"{total.value} vs {minimum}",))


def explode(total):
    raise RuntimeError("step crashed")


def spec(final=None):
    steps = [
        Step("add", add, ("a", "b"), ("total",)),
        Step(
            "gate",
            at_least,
            ("total", "minimum"),
            ("decision",),
            kind="condition",
            rejection_event="gate_rejected",
        ),
    ]
    if final:
        steps.append(Step("final", final, ("total",), ("result",)))
    return PipelineSpec(
        "toy", tuple(steps), ("a", "b", "minimum"), {"total": "json"}, failure_event="train_failed"
    )


@pytest.fixture
def runner(tmp_path):
    store = LocalArtifactStore(tmp_path / "artifacts")
    notifier = LogNotifier(tmp_path / "events.jsonl", echo=False)
    return LocalRunner(store, notifier, tmp_path / "runs")


def test_successful_run_persists_artifacts_and_a_record(runner):
    result = runner.run(spec(), {"a": 2, "b": 3, "minimum": 1}, {"in.csv": "abc"})
    assert result.status == "succeeded"
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["status"] == "succeeded"
    assert record["inputs"] == {"in.csv": "abc"}
    assert [s["name"] for s in record["steps"]] == ["add", "gate"]
    assert all(s["seconds"] >= 0 for s in record["steps"])
    digest = record["outputs"]["total"]["total.json"]
    assert get_json(runner.artifacts, digest) == {"value": 5}
    assert json.loads((result.run_dir / "outputs/total/total.json").read_text()) == {"value": 5}


def test_failed_condition_stops_the_run_and_notifies(runner):
    result = runner.run(spec(final=explode), {"a": 0, "b": 0, "minimum": 1}, {})
    assert result.status == "rejected"
    assert result.record.stopped_at == "gate"
    assert [s["name"] for s in result.record.steps] == ["add", "gate"]
    events = runner.notifier.read_events()
    assert [e["kind"] for e in events] == ["gate_rejected"]
    assert "0 vs 1" in events[0]["message"]


def test_a_raising_step_is_recorded_and_notified(runner):
    result = runner.run(spec(final=explode), {"a": 1, "b": 1, "minimum": 1}, {})
    assert result.status == "failed"
    assert isinstance(result.exception, RuntimeError)
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["error"] == "final: RuntimeError: step crashed"
    assert record["steps"][-1]["status"] == "failed"
    assert "Traceback" in record["steps"][-1]["traceback"]
    assert [e["kind"] for e in runner.notifier.read_events()] == ["train_failed"]


def test_missing_parameters_are_refused(runner):
    with pytest.raises(ValueError, match=r"needs parameters \['minimum'\]"):
        runner.run(spec(), {"a": 1, "b": 1}, {})


def test_progress_reports_each_step(runner):
    messages = []
    runner.progress = messages.append
    runner.run(spec(), {"a": 1, "b": 1, "minimum": 1}, {})
    assert any("[toy 1/2] add" in m for m in messages)
    assert any("gate done in" in m for m in messages)


@dataclass(frozen=True)
class Unencodable:
    value: int

    def to_dict(self):
        raise RuntimeError("cannot encode")


def test_a_failure_to_store_outputs_fails_the_run_and_notifies(runner):
    pipeline = PipelineSpec(
        "toy",
        (Step("make", Unencodable, ("a",), ("total",)),),
        ("a",),
        {"total": "json"},
        failure_event="train_failed",
    )
    result = runner.run(pipeline, {"a": 1}, {})
    assert result.status == "failed"
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["status"] == "failed"
    assert record["steps"][0]["error"] == "storing outputs: RuntimeError: cannot encode"
    assert [e["kind"] for e in runner.notifier.read_events()] == ["train_failed"]


def interrupt(total):
    raise KeyboardInterrupt


def test_an_interrupted_run_is_recorded_as_interrupted_not_running(runner):
    with pytest.raises(KeyboardInterrupt):
        runner.run(spec(final=interrupt), {"a": 1, "b": 2, "minimum": 0}, {}, "toy-run")

    record = json.loads((runner.runs_dir / "toy-run" / "run.json").read_text())
    assert (
        record["status"] == "interrupted"
        and record["error"] == "interrupted (KeyboardInterrupt) during final"
    )
    assert record["pid"] > 0


def test_numbers_that_are_not_json_are_written_as_null(runner):
    result = runner.run(spec(), {"a": 1, "b": 2, "minimum": 0}, {"input": "x"}, "nan-run")
    result.record.reasons = []
    result.record.steps[0]["seconds"] = float("nan")
    result.record.save(result.run_dir)

    assert (
        json.loads((result.run_dir / "run.json").read_text(), parse_constant=pytest.fail)["steps"][0][
            "seconds"
        ]
        is None
    )
