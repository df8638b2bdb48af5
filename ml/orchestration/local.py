"""Run a PipelineSpec in process: resolve inputs by name, persist declared artifacts, keep a run record."""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ml.artifacts import ArtifactRef, ArtifactStore
from ml.artifacts.codecs import encode_files, put_content, standard_json
from ml.artifacts.local import write_bytes_atomically
from ml.notify import EventKind, Notifier, RunEvent
from ml.spec import PipelineSpec, Step

# "interrupted": stopped by a signal or Ctrl-C (recorded on the way out). A run killed outright (SIGKILL,
# power loss) stays "running" in its file; `run_status` tells it apart by its process.
RunStatus = Literal["running", "succeeded", "failed", "rejected", "interrupted"]


def new_run_id(pipeline: str) -> str:
    """Sortable by start time and unique across processes."""
    return f"{pipeline}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunRecord:
    """The persistent account of one run: inputs with digests, per-step timings, outputs, error."""

    run_id: str
    pipeline: str
    status: RunStatus
    started_at: str
    inputs: dict[str, str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    finished_at: str | None = None
    stopped_at: str | None = None
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    def save(self, run_dir: Path) -> None:
        text = json.dumps(standard_json(asdict(self)), indent=2, allow_nan=False)
        write_bytes_atomically(run_dir / "run.json", (text + "\n").encode())


@dataclass(frozen=True)
class RunResult:
    """What a caller needs after a run: the record, every output value, and the persisted artifacts."""

    record: RunRecord
    values: Mapping[str, Any]
    artifacts: Mapping[str, Mapping[str, ArtifactRef]]
    run_dir: Path
    exception: BaseException | None = None

    @property
    def status(self) -> RunStatus:
        return self.record.status


class LocalRunner:
    """Executes steps in declared order; emits RunEvents on failure and on a failed condition."""

    def __init__(
        self,
        artifacts: ArtifactStore,
        notifier: Notifier,
        runs_dir: Path,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.artifacts = artifacts
        self.notifier = notifier
        self.runs_dir = runs_dir
        self.progress = progress

    def run(
        self,
        spec: PipelineSpec,
        parameters: Mapping[str, Any],
        input_digests: Mapping[str, str],
        run_id: str = "",
    ) -> RunResult:
        """Run every step; a raising step or a failed condition ends the run (recorded, never re-raised)."""
        run_id = run_id or new_run_id(spec.name)
        missing = [name for name in spec.parameters if name not in parameters]
        if missing:
            raise ValueError(f"pipeline {spec.name} needs parameters {missing}")
        record = RunRecord(run_id, spec.name, "running", _now(), dict(input_digests))
        run_dir = self.runs_dir / run_id
        values: dict[str, Any] = {**parameters, "run_id": run_id}
        stored: dict[str, dict[str, ArtifactRef]] = {}
        record.save(run_dir)
        try:
            return self._run_steps(spec, values, record, run_dir, stored)
        except BaseException as exc:  # Ctrl-C or a termination signal: say so in the record, then stop
            record.status, record.finished_at = "interrupted", _now()
            during = record.steps[-1]["name"] if record.steps else "start"
            record.error = f"interrupted ({type(exc).__name__}) during {during}"
            record.save(run_dir)
            raise

    def _run_steps(self, spec, values, record, run_dir, stored) -> RunResult:
        for index, step in enumerate(spec.steps, start=1):
            self.progress(f"[{spec.name} {index}/{len(spec.steps)}] {step.name} ...")
            outcome = self._run_step(step, values, record)
            if outcome is None:
                outcome = self._persist_or_error(spec, step, values, record, run_dir, stored)
            if isinstance(outcome, BaseException):
                return self._finish(spec, record, run_dir, values, stored, "failed", step, outcome)
            if step.kind == "condition" and not values[step.outputs[0]].passed:
                record.reasons = list(values[step.outputs[0]].reasons)
                return self._finish(spec, record, run_dir, values, stored, "rejected", step, None)
            record.save(run_dir)
        return self._finish(spec, record, run_dir, values, stored, "succeeded", None, None)

    def _run_step(self, step: Step, values: dict[str, Any], record: RunRecord) -> BaseException | None:
        started = time.perf_counter()
        entry: dict[str, Any] = {"name": step.name, "started_at": _now()}
        record.steps.append(entry)
        try:
            result = step.func(*(values[name] for name in step.inputs))
        except Exception as exc:
            entry.update(status="failed", seconds=round(time.perf_counter() - started, 4))
            entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["traceback"] = traceback.format_exc(limit=8)
            return exc
        outputs = result if len(step.outputs) > 1 else (result,)
        values.update(zip(step.outputs, outputs, strict=True))
        entry.update(status="succeeded", seconds=round(time.perf_counter() - started, 4))
        self.progress(f"    {step.name} done in {entry['seconds']:.2f}s")
        return None

    def _persist_or_error(self, spec, step, values, record, run_dir, stored) -> BaseException | None:
        """Persist the step's declared artifacts; a failure to store them fails the step like a crash."""
        try:
            stored.update(self._persist(spec, step, values, record, run_dir))
        except Exception as exc:  # an unwritable disk or an unencodable output ends the run, recorded
            record.steps[-1].update(status="failed", error=f"storing outputs: {type(exc).__name__}: {exc}")
            return exc
        return None

    def _persist(
        self, spec: PipelineSpec, step: Step, values: dict[str, Any], record: RunRecord, run_dir: Path
    ) -> dict[str, dict[str, ArtifactRef]]:
        stored = {}
        for output in step.outputs:
            if output not in spec.artifacts:
                continue
            files = encode_files(spec.artifacts[output], output, values[output])
            refs = {filename: put_content(self.artifacts, data) for filename, data in files.items()}
            for filename, data in files.items():
                # A readable copy next to the run record; the store keeps the digest-addressed original.
                write_bytes_atomically(run_dir / "outputs" / output / filename, data)
            record.outputs[output] = {filename: ref.sha256 for filename, ref in refs.items()}
            values[f"{output}.refs"] = refs
            stored[output] = refs
        return stored

    def _finish(self, spec, record, run_dir, values, stored, status, step, exception) -> RunResult:
        record.status = status
        record.finished_at = _now()
        record.stopped_at = step.name if step else None
        if exception is not None:
            record.error = f"{step.name}: {type(exception).__name__}: {exception}"
        record.save(run_dir)
        event = _event_for(spec, record, step)
        if event is not None:
            self.notifier.notify(event)
        return RunResult(record, values, stored, run_dir, exception)


def _event_for(spec: PipelineSpec, record: RunRecord, step: Step | None) -> RunEvent | None:
    if record.status == "failed" and spec.failure_event:
        kind, message = EventKind(spec.failure_event), record.error or "failed"
    elif record.status == "rejected" and step is not None and step.rejection_event:
        kind, message = EventKind(step.rejection_event), f"{step.name}: " + "; ".join(record.reasons)
    else:
        return None
    details = {"stopped_at": record.stopped_at, "run_record": record.run_id, "outputs": record.outputs}
    return RunEvent(kind, spec.name, record.run_id, message, details)


def run_status(run_dir: Path) -> str:
    """A run's status from its record; "killed" for a "running" run whose process is gone."""
    from ml.orchestration.outputs import process_alive

    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    status = str(record.get("status", "unknown"))
    if (
        status == "running"
        and "pid" in record
        and not process_alive(int(record["pid"]), record.get("host", ""))
    ):
        return "killed"
    return status


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
