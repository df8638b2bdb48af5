import shutil

import pytest

from ml.orchestration.services import Workspace, build_services


@pytest.fixture
def workspace(tmp_path, prepared_dir):
    work = Workspace(tmp_path / "work")
    shutil.copytree(prepared_dir, work.data_dir)
    return work


@pytest.fixture
def services(config, workspace):
    return build_services(config, workspace)


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory, config, prepared_dir):
    """A workspace where v1 was trained on part1 and approved: the start of most inference tests."""
    from ml.orchestration.workflows import run_train

    work = Workspace(tmp_path_factory.mktemp("trained") / "work")
    shutil.copytree(prepared_dir, work.data_dir)
    services = build_services(config, work)
    run_train(config, services, work, [work.data_dir / "train-part1.csv"], created_by="trainer")
    services.registry.set_status(config.model_group, 1, "Approved", reason="tests", changed_by="reviewer")
    return work


@pytest.fixture
def approved_workspace(tmp_path, trained_once):
    """A private copy of `trained_once`, so each test may change it."""
    work = Workspace(tmp_path / "work")
    shutil.copytree(trained_once.root, work.root)
    return work
