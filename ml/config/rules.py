"""Rules across environment files: pure functions over loaded configs, one `Problem` per broken rule.

One file can be valid on its own and still wrong with its neighbours: prod registering into a registry
account nobody declares, dev and prod sharing an account, prod requiring approvals from an environment
that does not exist. `validate_environments` is the only function here that reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ml.config.kinds import REGISTRY, SAGEMAKER, WORKLOAD
from ml.config.loader import ENVIRONMENT_FILE, display_path, read_environments
from ml.config.schema import EnvironmentConfig
from ml.errors import ConfigError

Configs = Mapping[str, EnvironmentConfig]


@dataclass(frozen=True)
class Problem:
    """A broken rule, located at one field of one environment file."""

    env: str
    field: str
    message: str

    def render(self, config_dir: Path) -> str:
        return f"{display_path(config_dir / self.env / ENVIRONMENT_FILE)}: {self.field}: {self.message}"


def check_environments(configs: Configs) -> list[Problem]:
    """Every cross-file problem of a set of valid environments."""
    return (
        check_registry_targets(configs)
        + check_distinct_accounts(configs)
        + check_prior_approvals(configs)
        + check_approval_cycles(configs)
    )


def check_registry_targets(configs: Configs) -> list[Problem]:
    """Each AWS workload registers into an account, region and group that a registry file declares."""
    registries = {c.aws.account_id: c for c in configs.values() if c.kind == REGISTRY}
    declared = ", ".join(f"configs/{c.name} has {account}" for account, c in sorted(registries.items()))
    problems = []
    for env, config in sorted(configs.items()):
        if config.kind != WORKLOAD or config.backend != SAGEMAKER:
            continue
        target = registries.get(config.registry.account_id)
        if target is None:
            problems.append(
                Problem(
                    env,
                    "registry.account_id",
                    f"{config.registry.account_id} is not the account of any kind: registry environment "
                    f"({declared or 'none exists'}); use its aws.account_id",
                )
            )
            continue
        problems += _registry_mismatches(env, config, target)
    return problems


def _registry_mismatches(env: str, config: EnvironmentConfig, target: EnvironmentConfig) -> list[Problem]:
    expected = {"registry.region": target.aws.region, "registry.model_package_group": target.model_group}
    actual = {
        "registry.region": config.registry.region,
        "registry.model_package_group": config.registry.model_package_group,
    }
    return [
        Problem(
            env, field, f"is {actual[field]!r} but configs/{target.name} declares {value!r}; use {value!r}"
        )
        for field, value in expected.items()
        if actual[field] != value
    ]


def check_distinct_accounts(configs: Configs) -> list[Problem]:
    """No two AWS environments share an account: an account is the blast radius of one environment."""
    owners: dict[str, str] = {}
    problems = []
    for env, config in sorted(configs.items()):
        if config.aws is None:
            continue
        account = config.aws.account_id
        if account in owners:
            problems.append(
                Problem(
                    env,
                    "aws.account_id",
                    f"{account} is also configs/{owners[account]}'s account; every environment needs its own",
                )
            )
        owners.setdefault(account, env)
    return problems


def check_prior_approvals(configs: Configs) -> list[Problem]:
    """`governance.require_prior_approval_in` names workloads that promote into this one."""
    problems = []
    for env, config in sorted(configs.items()):
        if config.kind != WORKLOAD:
            continue
        for prior in config.governance.require_prior_approval_in:
            problems += _promotion_problems(env, config, prior, configs)
    return problems


def _promotion_problems(env: str, config: EnvironmentConfig, prior: str, configs: Configs) -> list[Problem]:
    field = "governance.require_prior_approval_in"
    workloads = sorted(name for name, c in configs.items() if c.kind == WORKLOAD and name != env)
    source = configs.get(prior)
    if source is None or source.kind != WORKLOAD:
        return [Problem(env, field, f"{prior!r} is not a workload environment; use one of {workloads}")]
    problems = []
    # The same version (same digest) is approved in both, so both must name the same group and contract.
    if source.model_group != config.model_group:
        problems.append(
            Problem(
                env, "model_group", f"must equal configs/{prior}'s {source.model_group!r} (promoted from it)"
            )
        )
    if source.dataset != config.dataset:
        problems.append(
            Problem(
                env, "dataset", f"differs from configs/{prior}'s; a promoted version needs the same contract"
            )
        )
    if source.aws and config.aws and source.aws.region != config.aws.region:
        problems.append(
            Problem(env, "aws.region", f"is {config.aws.region} but configs/{prior} is {source.aws.region}")
        )
    return problems


def check_approval_cycles(configs: Configs) -> list[Problem]:
    """Prior approvals must not go round in a circle, or no environment could ever approve first."""
    problems = []
    for env in sorted(configs):
        seen, frontier = set(), list(configs[env].governance.require_prior_approval_in)
        while frontier:
            name = frontier.pop()
            if name == env:
                problems.append(
                    Problem(
                        env,
                        "governance.require_prior_approval_in",
                        "approvals wait for each other in a cycle",
                    )
                )
                break
            if name in configs and name not in seen:
                seen.add(name)
                frontier += configs[name].governance.require_prior_approval_in
    return problems


@dataclass(frozen=True)
class ValidationReport:
    """Per environment its problem lines (empty: ok), and whether the cross-file rules ran."""

    problems: dict[str, list[str]]
    rules_checked: bool

    @property
    def failing(self) -> list[str]:
        return [env for env, lines in self.problems.items() if lines]


def validate_environments(config_dir: Path) -> ValidationReport:
    """Load every environment file and apply the cross-file rules.

    Cross-file rules run only when every file loads, so one broken file cannot cause false alarms in others.

    Raises:
        ConfigError: `config_dir` holds no environment file.
    """
    configs, errors = read_environments(config_dir)
    if not configs and not errors:
        raise ConfigError(f"{display_path(config_dir)}: no <env>/{ENVIRONMENT_FILE} found; pass --config-dir")
    problems = {env: errors.get(env, []) for env in sorted({*configs, *errors})}
    if not errors:
        for problem in check_environments(configs):
            problems[problem.env].append(problem.render(config_dir))
    return ValidationReport(problems, rules_checked=not errors)
