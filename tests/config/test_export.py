"""configs/schema.json is the schema's exact export; `get_value` reads one dotted key of an environment."""

import json

import pytest
import yaml

from ml.config.export import get_value, render_schema, render_value
from ml.config.loader import load_environment
from ml.errors import ConfigError
from tests.config.conftest import CONFIGS, ENVS


def test_committed_schema_json_is_not_stale():
    committed = (CONFIGS / "schema.json").read_text(encoding="utf-8")
    assert committed == render_schema(), (
        "configs/schema.json is stale: regenerate it with `mlops config schema --write` and commit it"
    )


def test_schema_export_is_deterministic_and_sorted():
    text = render_schema()
    assert text == render_schema()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json.loads(render_schema()))


@pytest.mark.parametrize("env", ENVS)
def test_editors_accept_every_environment_file(validator, env):
    data = yaml.safe_load((CONFIGS / env / "environment.yaml").read_text())
    assert [error.message for error in validator.iter_errors(data)] == []


def test_editors_see_the_kind_rules_too(validator):
    data = yaml.safe_load((CONFIGS / "registry" / "environment.yaml").read_text())
    data["training"] = {"seed": 7}
    assert any("is not of type 'null'" in error.message for error in validator.iter_errors(data))


@pytest.fixture(scope="module")
def prod():
    return load_environment("prod", CONFIGS)


def test_get_value_reads_dotted_keys(prod):
    assert get_value(prod, "aws.region") == "us-east-1"
    assert get_value(prod, "quality_gate.min_auc") == 0.75
    assert get_value(prod, "governance.require_prior_approval_in") == ["dev"]
    assert get_value(prod, "notifications.emails.0") == "mlops-team@example.org"


def test_unknown_key_lists_the_keys_at_that_level(prod):
    with pytest.raises(ConfigError) as error:
        get_value(prod, "aws.regoin")
    assert "unknown key 'aws.regoin'" in str(error.value)
    assert "keys there: account_id, region, artifact_bucket, kms_key_arn" in str(error.value)


def test_sections_an_environment_does_not_take_are_not_readable():
    local = load_environment("local", CONFIGS)
    with pytest.raises(ConfigError, match=r"no 'aws' under the top level"):
        get_value(local, "aws.region")
    registry = load_environment("registry", CONFIGS)
    with pytest.raises(ConfigError, match=r"no 'training' under the top level"):
        get_value(registry, "training.seed")


@pytest.mark.parametrize(
    ("value", "text"),
    [("us-east-1", "us-east-1"), (0.75, "0.75"), (True, "true"), (None, "null"), (["dev"], '["dev"]')],
)
def test_render_value_prints_strings_raw_and_the_rest_as_json(value, text):
    assert render_value(value) == text
