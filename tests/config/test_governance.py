"""governance.approvers and approvals.branch: who may approve, and which branch the sync applies."""

import pytest

from ml.config.schema import EnvironmentConfig
from tests.conftest import with_changes


@pytest.mark.parametrize(
    ("approvers", "message"),
    [
        ([{"login": "rita", "name": "R"}, {"login": "Rita", "name": "R2"}], "listed more than once"),
        ([{"login": "-rita", "name": "R"}], "login"),
        ([{"login": "rita", "name": ""}], "name"),
        ([{"login": "rita"}], "name"),
    ],
)
def test_bad_approvers_are_refused_naming_the_field(config: EnvironmentConfig, approvers, message) -> None:
    with pytest.raises(ValueError, match=message):
        with_changes(config, governance={"approvers": approvers})


def test_approver_logins_compare_without_case(config: EnvironmentConfig) -> None:
    changed = with_changes(config, governance={"approvers": [{"login": "Rita-R", "name": "Dr. R"}]})
    assert changed.governance.approver_logins() == ("rita-r",)
    assert changed.approvals.branch == "main"
