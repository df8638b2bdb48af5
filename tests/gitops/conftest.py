"""A throwaway git repository with embedded-backend environments: dev and prod approve by pull request, lab
directly in the registry.

All three share one work dir, and so one registry: the stand-in for the central registry account. The
same commands run against SageMaker in the real deployment; the sync and policy logic is also run against
the SageMaker registry on moto in tests/registry.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ml.cli import cli
from tests.conftest import REPO


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


APPROVERS = [{"login": "rita", "name": "Dr. Rita Reviewer"}, {"login": "sam", "name": "Dr. Sam Second"}]


def make_env(configs: Path, name: str, mode: str = "pull_request", **governance) -> None:
    data = yaml.safe_load((REPO / "configs/local/environment.yaml").read_text())
    data.update(name=name, approvals={"mode": mode, "branch": "main"})
    data["governance"].update({"approvers": APPROVERS if mode == "pull_request" else [], **governance})
    (configs / name).mkdir(parents=True)
    (configs / name / "environment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def repo(tmp_path, prepared_dir) -> Path:
    return make_repo(tmp_path / "repo", prepared_dir)


def make_repo(root: Path, prepared_dir: Path) -> Path:
    shutil.copytree(REPO / "data", root / "data")
    make_env(root / "configs", "dev", separation_of_duties=True)
    make_env(root / "configs", "prod", separation_of_duties=True, require_prior_approval_in=["dev"])
    make_env(root / "configs", "lab", mode="direct", separation_of_duties=True)  # approves in the registry
    shutil.copytree(prepared_dir, root / "work" / "data")
    (root / ".gitignore").write_text("work/\n")  # the local registry is state, not part of the commit
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "environments")
    return root


def commit(repo: Path, message: str) -> str:
    """Commit everything; return the new commit's SHA."""
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch):
    """Tests decide themselves whether they run "in CI" and which pull request they stand for."""
    for name in ("GITHUB_ACTIONS", "MLOPS_PR_AUTHOR", "MLOPS_PR_APPROVING_REVIEWERS", "MLOPS_PR_NUMBER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mlops(repo):
    def run(*args: str):
        base = ["--config-dir", str(repo / "configs"), "--work-dir", str(repo / "work")]
        return CliRunner().invoke(
            cli,
            [*args[:1], *base, *args[1:]]
            if args[0] not in ("registry", "policy")
            else [args[0], args[1], *base, *args[2:]],
            prog_name="mlops",
        )

    return run


@pytest.fixture(scope="session")
def trained_work(tmp_path_factory, prepared_dir) -> Path:
    """A work dir holding two versions, both trained by tom: trained once, copied into each test's repo."""
    root = make_repo(tmp_path_factory.mktemp("trained") / "repo", prepared_dir)
    base = ["--config-dir", str(root / "configs"), "--work-dir", str(root / "work")]
    for data in ("part1", "part1+part2"):
        result = CliRunner().invoke(cli, ["train", *base, "--env", "dev", "--data", data, "--by", "tom"])
        assert result.exit_code == 0, result.output
    return root / "work"


@pytest.fixture
def trained(repo, trained_work):
    """Two versions, both trained by tom (the registry and artifacts the training wrote)."""
    shutil.rmtree(repo / "work")
    shutil.copytree(trained_work, repo / "work")
