"""A pipeline is data: named steps with named inputs and outputs. Runners and builders only interpret it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

StepKind = Literal["compute", "condition"]


@dataclass(frozen=True)
class Step:
    """One step: `func(*inputs) -> outputs`. A `condition` step returns an object with `passed` and `reasons`;
    when it does not pass, the pipeline stops there (SageMaker: a ConditionStep with a FailStep)."""

    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    kind: StepKind = "compute"
    rejection_event: str | None = None


@dataclass(frozen=True)
class PipelineSpec:
    """An ordered list of steps; `artifacts` names the outputs that are persisted and how they are encoded."""

    name: str
    steps: tuple[Step, ...]
    parameters: tuple[str, ...]
    artifacts: Mapping[str, str] = field(default_factory=dict)
    failure_event: str | None = None

    def __post_init__(self) -> None:
        available = {*self.parameters, "run_id"}
        for step in self.steps:
            unknown = [name for name in step.inputs if name not in available]
            if unknown:
                raise ValueError(
                    f"pipeline {self.name}: step {step.name} reads {unknown} before any step writes it"
                )
            available.update(step.outputs)
            available.update(f"{output}.refs" for output in step.outputs if output in self.artifacts)
        missing = set(self.artifacts) - available
        if missing:
            raise ValueError(f"pipeline {self.name}: artifacts {sorted(missing)} are not outputs of any step")

    def step_graph(self) -> dict[str, list[str]]:
        """Each step with the steps it waits for: its data producers, and the last condition before it
        (a failed condition stops everything after it). Builders' graphs are compared with this."""
        producer = {output: step.name for step in self.steps for output in step.outputs}
        graph, condition = {}, None
        for step in self.steps:
            names = [i.removesuffix(".refs") for i in step.inputs]
            waits = {producer[n] for n in names if n in producer}
            graph[step.name] = sorted(waits | ({condition} if condition else set()))
            if step.kind == "condition":
                condition = step.name
        return graph
