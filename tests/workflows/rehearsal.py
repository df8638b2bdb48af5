"""Rehearse a workflow's `run:` steps on this machine: the same scripts, the environment variables the
workflow would set, a scratch git repository standing in for the checkout, and AWS on moto_server.

`uses:` steps are not run: actions/checkout is replaced by the scratch repository, configure-aws-credentials
by fake credentials pointing at moto, and the comment/issue scripts are tested on their own
(test_pull_request_js.py). Every `${{ }}` a rehearsed step needs must be given a value, so a new
expression breaks the rehearsal instead of passing unseen.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO
from tests.workflows.workflows import Workflow

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ROUTING = Path(__file__).parent / "moto_routing"


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class Rehearsal:
    """One job's rehearsal: where it runs, what the `${{ }}` expressions are, and what steps produced."""

    root: Path
    expressions: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)

    def resolve(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression not in self.expressions:
                raise KeyError(f"the rehearsal gives no value for ${{{{ {expression} }}}}")
            return self.expressions[expression]

        return EXPRESSION.sub(value, str(text))

    def run_job(
        self, workflow: Workflow, job: str, *, skip: dict[str, str] | None = None
    ) -> list[StepResult]:
        """Run every `run:` step of `job` in order, except those named in `skip` (name -> why)."""
        skip = dict(skip or {})
        spec = workflow.jobs[job]
        declared = {**(workflow.data.get("env") or {}), **(spec.get("env") or {})}
        job_env = {k: self.resolve(v) for k, v in declared.items()}
        for index, step in enumerate(spec.get("steps", [])):
            if "run" not in step:
                continue
            name = step.get("name", f"step {index}")
            if skip.pop(name, None) is not None:
                continue
            result = self.run_step(step, job_env, name)
            if step.get("id"):
                for key, value in result.outputs.items():
                    self.expressions[f"steps.{step['id']}.outputs.{key}"] = value
            if result.returncode != 0:
                return self.results
        assert not skip, f"{workflow.name}/{job} has no steps named {sorted(skip)}"
        return self.results

    def run_step(self, step: dict, job_env: dict[str, str], name: str) -> StepResult:
        return self.run_script(
            step["run"],
            {**job_env, **{k: self.resolve(v) for k, v in (step.get("env") or {}).items()}},
            self.root / self.resolve(step.get("working-directory", ".")),
            name,
        )

    def run_script(self, script: str, env: dict[str, str], cwd: Path, name: str) -> StepResult:
        """Run a script as GitHub's bash shell does (`bash --noprofile --norc -eo pipefail`)."""
        assert "${{" not in script, f"{name}: a `${{{{ }}}}` expression inside a run: script"
        runner_temp = self.root / ".runner-temp"
        runner_temp.mkdir(exist_ok=True)
        output_file = runner_temp / f"output-{len(self.results)}"
        output_file.write_text("")
        variables = {
            **base_environment(),
            **self.environment,
            **env,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(runner_temp / "summary.md"),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_WORKSPACE": str(self.root),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env=variables,
            capture_output=True,
            text=True,
            timeout=600,
        )
        result = StepResult(name, done.returncode, done.stdout, done.stderr, read_outputs(output_file))
        self.results.append(result)
        return result


def base_environment() -> dict[str, str]:
    """A runner's environment: PATH, HOME, GITHUB_ACTIONS=true, and AWS only on moto.

    AWS_* variables pass only when they point at a moto server on loopback (the moto_server fixture sets
    them); otherwise no credentials are passed, so a rehearsal can never reach a real AWS account.
    """
    on_moto = os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:")
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")} if on_moto else {}
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        **aws,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PATH": f"{REPO / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": f"{ROUTING}:{REPO}",
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        # moto does not implement iam:SimulatePrincipalPolicy, the SDK's role check before an upsert
        **({"SAGEMAKER_VALIDATE_ROLE": "false"} if on_moto else {}),
    }


def read_outputs(path: Path) -> dict[str, str]:
    """`name=value` lines of a $GITHUB_OUTPUT file (the heredoc form is not used by our workflows)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs}
