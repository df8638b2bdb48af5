"""The security and process rules every workflow must follow; each returns one line per violation."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.workflows.workflows import (
    COMMAND_INPUTS,
    WORKFLOWS,
    Workflow,
    mlops_calls,
    parse_workflow,
    scripts,
    steps,
)

PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)")
ROLE_ACTION = "aws-actions/configure-aws-credentials"
COMMENT_WRITES = ("upsertComment", "createComment", "updateComment", "create-pull-request")
ISSUE_WRITES = ("issues.create(", "issues.update(")
SETUP_ACTION = re.compile(r"^\./(?:[\w-]+/)?\.github/actions/setup$")
INPUT_TEST = re.compile(r"inputs\.([\w-]+) == '([\w-]+)'")
INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
# `mlops` commands that import the SageMaker SDK (the `aws` extra; `pipelines run` needs only boto3).
SDK_COMMANDS = {("pipelines", "definition"), ("pipelines", "upsert")}
# `mlops` commands that read git history (sync: `git merge-base --is-ancestor` with the previous sync).
HISTORY_COMMANDS = {("registry", "sync")}
TERRAFORM_ACTION = "hashicorp/setup-terraform@"
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+")
AWS_SECRET = re.compile(r"aws-access-key-id|aws-secret-access-key|secrets\.AWS_|AWS_SECRET_ACCESS_KEY", re.I)


def _permissions(job: dict) -> dict:
    return job.get("permissions") or {}


def _uses(job: dict) -> list[str]:
    return [step.get("uses", "") for step in job.get("steps", [])] + [job.get("uses", "")]


def _called(job: dict) -> Workflow | None:
    uses = job.get("uses", "")
    return parse_workflow(WORKFLOWS / uses.rsplit("/", 1)[1]) if uses.startswith("./.github/") else None


def _assumes_role(job: dict) -> bool:
    called = _called(job)
    if called is not None:
        return any(_assumes_role(inner) for inner in called.jobs.values())
    return any(u.startswith(ROLE_ACTION + "@") for u in _uses(job))


def _job_text(job: dict) -> str:
    called = _called(job)
    inner = [_job_text(j) for j in called.jobs.values()] if called else []
    texts = [
        str(step.get("with", {}).get("script", "")) + step.get("uses", "") for step in job.get("steps", [])
    ]
    return "\n".join(texts + inner)


def _commands(job: dict) -> set[tuple[str, ...]]:
    """The (group, command) of every `mlops` call in a job's run: steps and the commands it passes on."""
    texts = [step.get("run", "") for step in job.get("steps", [])]
    texts += [str((job.get("with") or {}).get(key, "")) for key in COMMAND_INPUTS]
    return {tuple(call[:2]) for text in texts for call in mlops_calls(text)}


def _effective_steps(job: dict) -> list[tuple[dict, Callable[[object], object]]]:
    """The steps that run for a job (a reusable call's: the called jobs'), each with a resolver that reads
    `${{ inputs.X }}` as the caller passes it (or the input's default)."""
    called = _called(job)
    if called is None:
        return [(step, lambda value: value) for step in job.get("steps", [])]
    declared = (called.triggers.get("workflow_call") or {}).get("inputs") or {}
    passed = job.get("with") or {}

    def resolve(value: object) -> object:
        found = INPUT_EXPRESSION.fullmatch(str(value))
        if not found:
            return value
        name = found.group(1)
        return passed.get(name, (declared.get(name) or {}).get("default"))

    return [(step, resolve) for inner in called.jobs.values() for step in inner.get("steps", [])]


def top_level_permissions(wf: Workflow) -> list[str]:
    allowed = ({}, {"contents": "read"})
    if "permissions" not in wf.data or wf.data["permissions"] not in allowed:
        return [f"{wf.name}: top-level permissions must be {{}} or contents: read"]
    return []


def id_token_only_where_a_role_is_assumed(wf: Workflow) -> list[str]:
    return [
        f"{wf.name}/{job_id}: id-token: write but the job assumes no role"
        for job_id, job in wf.jobs.items()
        if _permissions(job).get("id-token") == "write" and not _assumes_role(job)
    ]


def writes_only_where_written(wf: Workflow) -> list[str]:
    problems = []
    for job_id, job in wf.jobs.items():
        text = _job_text(job)
        if _permissions(job).get("pull-requests") == "write" and not any(w in text for w in COMMENT_WRITES):
            problems.append(f"{wf.name}/{job_id}: pull-requests: write but it writes no comment")
        if _permissions(job).get("issues") == "write" and not any(w in text for w in ISSUE_WRITES):
            problems.append(f"{wf.name}/{job_id}: issues: write but it writes no issue")
    return problems


def actions_pinned_by_sha(wf: Workflow) -> list[str]:
    problems = []
    for number, line in enumerate(wf.text.splitlines(), 1):
        used = USES_LINE.match(line)
        if used and not used.group(1).startswith("./") and not PINNED.match(line):
            problems.append(
                f"{wf.name}:{number}: {used.group(1)} is not pinned to a full SHA with a # vX comment"
            )
    return problems


def no_aws_secrets(wf: Workflow) -> list[str]:
    problems = [f"{wf.name}: AWS keys or secrets" for _ in AWS_SECRET.finditer(wf.text)]
    for job_id, step in steps(wf):
        role = str(step.get("with", {}).get("role-to-assume", ""))
        if step.get("uses", "").startswith(ROLE_ACTION) and not re.fullmatch(
            r"\$\{\{ steps\.\w+\.outputs\.arn \}\}", role
        ):
            problems.append(f"{wf.name}/{job_id}: role-to-assume must be read with `mlops config get`")
    return problems


def no_pull_request_target(wf: Workflow) -> list[str]:
    return [
        f"{wf.name}: trigger {t} runs with secrets on fork code"
        for t in wf.triggers
        if t in ("pull_request_target", "workflow_run")
    ]


def checkout_without_credentials(wf: Workflow) -> list[str]:
    return [
        f"{wf.name}/{job_id}: actions/checkout without persist-credentials: false"
        for job_id, step in steps(wf)
        if step.get("uses", "").startswith("actions/checkout@")
        and (step.get("with") or {}).get("persist-credentials") is not False
    ]


def no_expressions_in_scripts(wf: Workflow) -> list[str]:
    return [
        f"{where}: `${{{{ }}}}` inside a script; pass it through env:"
        for where, text in scripts(wf)
        if "${{" in text
    ]


def opens_with_a_comment(wf: Workflow) -> list[str]:
    return (
        []
        if wf.text.startswith(f"# {wf.name} ")
        else [f"{wf.name}: must open with `# {wf.name} — what and when`"]
    )


def deploy_jobs_are_guarded(wf: Workflow) -> list[str]:
    """A job that applies or deploys runs in its GitHub environment, one at a time, never cancelled."""
    problems = []
    for job_id, job in wf.jobs.items():
        called = _called(job)
        if called is None or called.name != "reusable-terraform" or job["with"].get("mode") != "apply":
            continue
        env = job["with"]["environment"]
        if job.get("concurrency") != {"group": f"deploy-{env}", "cancel-in-progress": False}:
            problems.append(f"{wf.name}/{job_id}: needs concurrency deploy-{env} without cancel-in-progress")
        if called.jobs["apply"].get("environment") != "${{ inputs.environment }}":
            problems.append(f"{called.name}/apply: must run in environment ${{{{ inputs.environment }}}}")
    return problems


def pull_request_runs_cancel(wf: Workflow) -> list[str]:
    if "pull_request" not in wf.triggers or set(wf.triggers) - {"pull_request"}:
        return []
    if (wf.data.get("concurrency") or {}).get("cancel-in-progress") is not True:
        return [f"{wf.name}: pull-request checks must cancel superseded runs"]
    return []


def _jobs_lacking(
    wf: Workflow, commands: set[tuple[str, ...]], has: Callable[[dict, Callable[[object], object]], bool]
) -> list[str]:
    """Ids of the jobs running one of `commands` none of whose effective steps satisfies `has`."""
    return [
        job_id
        for job_id, job in wf.jobs.items()
        if _commands(job) & commands
        and not any(has(step, resolve) for step, resolve in _effective_steps(job))
    ]


def _with(step: dict, key: str, default: object, resolve: Callable[[object], object]) -> str:
    return str(resolve((step.get("with") or {}).get(key, default))).lower()


def sdk_where_pipelines_are_built(wf: Workflow) -> list[str]:
    """A job running `mlops pipelines definition|upsert` sets up the `aws` extra (the SageMaker SDK)."""
    return [
        f"{wf.name}/{job_id}: runs mlops pipelines without the setup action's aws: true"
        for job_id in _jobs_lacking(
            wf,
            SDK_COMMANDS,
            lambda step, resolve: (
                bool(SETUP_ACTION.match(step.get("uses", "")))
                and _with(step, "aws", "false", resolve) == "true"
            ),
        )
    ]


def history_where_commands_read_it(wf: Workflow) -> list[str]:
    """A job running `mlops registry sync` checks out the whole history (a shallow clone has no ancestors)."""
    return [
        f"{wf.name}/{job_id}: runs mlops registry sync on a shallow clone (fetch-depth: 0)"
        for job_id in _jobs_lacking(
            wf,
            HISTORY_COMMANDS,
            lambda step, resolve: (
                step.get("uses", "").startswith("actions/checkout@")
                and _with(step, "fetch-depth", 1, resolve) == "0"
            ),
        )
    ]


def terraform_version_pinned(wf: Workflow) -> list[str]:
    """Every job sets up one exact Terraform version (tests and plans run what deploy applies with)."""
    return [
        f"{wf.name}/{job_id}: setup-terraform without an exact terraform_version"
        for job_id, step in steps(wf)
        if step.get("uses", "").startswith(TERRAFORM_ACTION)
        and not EXACT_VERSION.fullmatch(str((step.get("with") or {}).get("terraform_version", "")))
    ]


def _reads_plan_role(job: dict) -> bool:
    called = _called(job)
    if called is None:
        return any("ci.plan_role_arn" in step.get("run", "") for step in job.get("steps", []))
    passed = job.get("with") or {}
    return any(
        _reads_plan_role(inner)
        for inner in called.jobs.values()
        # a called job gated on a different mode (reusable-terraform: `inputs.mode == 'plan'`) never runs
        if all(passed.get(k, v) == v for k, v in INPUT_TEST.findall(str(inner.get("if", ""))))
    )


def plan_role_only_on_pull_request(wf: Workflow) -> list[str]:
    """The plan role trusts only the OIDC subject `repo:<repo>:pull_request`, which GitHub gives runs of
    the pull_request event (a job in no environment); a job another event can start cannot assume it."""
    if set(wf.triggers) <= {"workflow_call"}:
        return []  # judged through its callers
    problems = []
    for job_id, job in wf.jobs.items():
        only = re.findall(r"github\.event_name == '(\w+)'", str(job.get("if", "")))
        events = set(only[:1]) or set(wf.triggers)
        if _reads_plan_role(job) and events - {"pull_request"}:
            problems.append(
                f"{wf.name}/{job_id}: assumes the plan role on {sorted(events - {'pull_request'})}"
            )
    return problems


RULES: dict[str, Callable[[Workflow], list[str]]] = {
    rule.__name__: rule
    for rule in (
        top_level_permissions,
        id_token_only_where_a_role_is_assumed,
        writes_only_where_written,
        actions_pinned_by_sha,
        no_aws_secrets,
        no_pull_request_target,
        checkout_without_credentials,
        no_expressions_in_scripts,
        opens_with_a_comment,
        deploy_jobs_are_guarded,
        pull_request_runs_cancel,
        sdk_where_pipelines_are_built,
        history_where_commands_read_it,
        terraform_version_pinned,
        plan_role_only_on_pull_request,
    )
}


def violations(wf: Workflow) -> dict[str, list[str]]:
    return {name: found for name, rule in RULES.items() if (found := rule(wf))}
