"""Bad values in an environment file: each error names the file, the dotted field and what to write."""

import pytest

from ml.config.loader import load_environment
from ml.errors import ConfigError
from tests.config.conftest import edit_env


def load_prod_with(config_dir, section: str, **values) -> str:
    edit_env(config_dir, "prod", lambda d: d[section].update(values))
    with pytest.raises(ConfigError) as error:
        load_environment("prod", config_dir)
    return str(error.value)


def test_account_id_must_have_12_digits(config_dir):
    message = load_prod_with(config_dir, "aws", account_id="2222")
    assert "prod/environment.yaml: aws.account_id: expected 12 digits, got '2222'" in message


def test_unquoted_account_id_is_refused_with_advice(config_dir):
    message = load_prod_with(config_dir, "registry", account_id=333333333333)
    expected = "registry.account_id: expected 12 digits as a quoted string, got the number 333333333333"
    assert expected in message
    assert 'write it in quotes: "333333333333"' in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("arn:aws:kms:us-east-1:222222222222:mykey", "aws.kms_key_arn: expected a KMS key ARN like"),
        ("arn:aws:kms:us-east-1:2222:alias/x", "aws.kms_key_arn: expected a KMS key ARN like"),
        ("arn:aws:kms:us-east-1:222222222222:key/not-a-uuid", "aws.kms_key_arn: expected a KMS key ARN like"),
        ("arn:aws:kms:useast1:222222222222:alias/x", "aws.kms_key_arn: expected an AWS region"),
    ],
)
def test_bad_kms_key_arn(config_dir, value, expected):
    assert expected in load_prod_with(config_dir, "aws", kms_key_arn=value)


def test_kms_key_id_arn_is_accepted(config_dir):
    arn = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    edit_env(config_dir, "prod", lambda d: d["aws"].update(kms_key_arn=arn))
    assert load_environment("prod", config_dir).aws.kms_key_arn == arn


def test_bad_region(config_dir):
    message = load_prod_with(config_dir, "aws", region="US-East-1")
    assert "aws.region: expected an AWS region like 'us-east-1' (lower case), got 'US-East-1'" in message


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("Mammo-Prod", "may hold only lower-case letters"),
        ("mammo.prod.artifacts", "must not contain dots"),
        ("ab", "must be 3 to 63 characters long, got 2"),
        ("xn--mammo", "must not start with a prefix AWS reserves"),
        ("mammo-s3alias", "must not end with a suffix AWS reserves"),
    ],
)
def test_bad_bucket_name(config_dir, bucket, expected):
    message = load_prod_with(config_dir, "aws", artifact_bucket=bucket)
    assert f"aws.artifact_bucket: S3 bucket name '{bucket}' {expected}" in message


@pytest.mark.parametrize(
    "email", ["ml-oncall.example.org", "ops@example", "two@@example.org", "a b@example.org"]
)
def test_bad_email(config_dir, email):
    message = load_prod_with(config_dir, "notifications", emails=["mlops-team@example.org", email])
    assert (
        f"notifications.emails.1: expected an e-mail address like 'name@example.org', got '{email}'"
        in message
    )


def test_duplicate_email(config_dir):
    message = load_prod_with(config_dir, "notifications", emails=["a@example.org", "A@example.org"])
    assert "notifications.emails: ['a@example.org'] listed more than once" in message


def test_bad_github_repository(config_dir):
    message = load_prod_with(config_dir, "ci", github_repository="https://github.com/example-org/x")
    assert "ci.github_repository: expected a GitHub repository as 'owner/name'" in message


def test_bad_role_arn(config_dir):
    message = load_prod_with(config_dir, "ci", plan_role_arn="arn:aws:iam::222222222222:user/ci")
    assert (
        "ci.plan_role_arn: expected an IAM role ARN like 'arn:aws:iam::<12-digit account>:role/<name>'"
        in message
    )


def test_bad_s3_uri(config_dir):
    edit_env(config_dir, "prod", lambda d: d["sagemaker"]["data"].update(batch="mammo/batch.csv"))
    with pytest.raises(
        ConfigError, match=r"sagemaker.data.batch: expected an S3 URI like 's3://<bucket>/<key>'"
    ):
        load_environment("prod", config_dir)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "cron(0 6 * * *)",
            "AWS cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5",
        ),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("rate(2 weeks)", "rate unit must be minute(s), hour(s) or day(s), got 'weeks'"),
        ("daily", "expected cron(...) or rate(...)"),
    ],
)
def test_bad_schedule_names_the_field(config_dir, expression, expected):
    message = load_prod_with(config_dir, "schedule", inference=expression)
    assert "prod/environment.yaml: schedule.inference: " in message
    assert expected in message


def test_unknown_key_in_aws_section(config_dir):
    message = load_prod_with(config_dir, "aws", regoin="us-east-1")
    assert "prod/environment.yaml: aws.regoin: unknown key; remove it or fix its spelling" in message


def test_section_that_is_not_a_mapping(config_dir):
    edit_env(config_dir, "prod", lambda d: d.update(aws="222222222222"))
    with pytest.raises(
        ConfigError, match=r"prod/environment.yaml: aws: expected a section of key: value lines"
    ):
        load_environment("prod", config_dir)


def test_wrong_value_says_what_was_given(config_dir):
    message = load_prod_with(config_dir, "approvals", mode="merge_request")
    assert "approvals.mode: Input should be 'direct' or 'pull_request', got 'merge_request'" in message


def test_malformed_yaml_in_prod_names_file_and_line(config_dir):
    path = config_dir / "prod" / "environment.yaml"
    path.write_text(path.read_text().replace("region: us-east-1", "region: [us-east-1", 1))
    with pytest.raises(ConfigError, match=r"prod/environment.yaml: line \d+, column \d+: not valid YAML"):
        load_environment("prod", config_dir)
