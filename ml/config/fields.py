"""Validated string types for AWS and GitHub identifiers, each with an error message that says the fix.

Each type checks the raw YAML value before pydantic coerces it, so an unquoted account id (which YAML
reads as a number and which would lose a leading zero) is refused with advice instead of silently
converted. The `pattern` on each type is only for editors reading configs/schema.json.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator, Field

from ml.config.schedule import check_schedule_expression

PARTITION = r"aws(?:-cn|-us-gov)?"
ACCOUNT_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}$"
KMS_PATTERN = (
    rf"^arn:{PARTITION}:kms:([a-z0-9-]+):(\d{{12}}):"
    r"(?:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
    r"|alias/[A-Za-z0-9/_-]{1,250})$"
)
ROLE_PATTERN = rf"^arn:{PARTITION}:iam::(\d{{12}}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}}$"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@(?:{_LABEL}\.)+[A-Za-z]{{2,}}$"
REPOSITORY_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
TOPIC_PATTERN = r"^[A-Za-z0-9_-]{1,256}$"
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
S3_URI_PATTERN = r"^s3://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]/.+$"


def _text(value: object, expected: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected {expected} as a string, got {type(value).__name__} {value!r}")
    return value


def check_account_id(value: object) -> str:
    """An AWS account id: exactly 12 digits, written as a quoted string."""
    if isinstance(value, int) and not isinstance(value, bool):
        hint = f'write it in quotes: "{value}"' if len(str(value)) == 12 else "write all 12 digits in quotes"
        raise ValueError(
            f"expected 12 digits as a quoted string, got the number {value} "
            f"(YAML reads unquoted digits as a number and drops leading zeros); {hint}"
        )
    text = _text(value, "12 digits")
    if not re.fullmatch(ACCOUNT_PATTERN, text):
        raise ValueError(f"expected 12 digits, got {text!r}")
    return text


def check_region(value: object) -> str:
    text = _text(value, "an AWS region")
    if not re.fullmatch(REGION_PATTERN, text):
        raise ValueError(f"expected an AWS region like 'us-east-1' (lower case), got {text!r}")
    return text


def bucket_problem(name: str) -> str | None:
    """The first S3 bucket naming rule `name` breaks, or None."""
    if not 3 <= len(name) <= 63:
        return f"must be 3 to 63 characters long, got {len(name)}"
    if "." in name:
        return "must not contain dots: they break TLS for virtual-hosted-style requests; use hyphens"
    if not re.fullmatch(BUCKET_PATTERN, name):
        return (
            "may hold only lower-case letters, digits and hyphens, and must start and end with a letter/digit"
        )
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return "must not start with a prefix AWS reserves (xn--, sthree-, amzn-s3-demo-)"
    if name.endswith(("-s3alias", "--ol-s3", "--x-s3", "--table-s3")):
        return "must not end with a suffix AWS reserves (-s3alias, --ol-s3, --x-s3, --table-s3)"
    return None


def check_bucket_name(value: object) -> str:
    text = _text(value, "an S3 bucket name")
    problem = bucket_problem(text)
    if problem:
        raise ValueError(f"S3 bucket name {text!r} {problem}")
    return text


def check_s3_uri(value: object) -> str:
    text = _text(value, "an S3 URI")
    bucket, _, key = text.removeprefix("s3://").partition("/")
    if not text.startswith("s3://") or not key:
        raise ValueError(f"expected an S3 URI like 's3://<bucket>/<key>', got {text!r}")
    problem = bucket_problem(bucket)
    if problem:
        raise ValueError(f"{text!r}: S3 bucket name {bucket!r} {problem}")
    return text


def check_kms_key_arn(value: object) -> str:
    text = _text(value, "a KMS key ARN")
    if not re.fullmatch(KMS_PATTERN, text):
        raise ValueError(
            "expected a KMS key ARN like 'arn:aws:kms:<region>:<12-digit account>:key/<key id>' "
            f"or '...:alias/<alias name>', got {text!r}"
        )
    check_region(arn_region(text))
    return text


def check_role_arn(value: object) -> str:
    text = _text(value, "an IAM role ARN")
    if not re.fullmatch(ROLE_PATTERN, text):
        raise ValueError(
            f"expected an IAM role ARN like 'arn:aws:iam::<12-digit account>:role/<name>', got {text!r}"
        )
    return text


def _pattern_checker(pattern: str, expected: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _text(value, expected)
        if not re.fullmatch(pattern, text):
            raise ValueError(f"expected {expected}, got {text!r}")
        return text

    return check


def arn_region(arn: str) -> str:
    return arn.split(":")[3]


def arn_account(arn: str) -> str:
    return arn.split(":")[4]


def _type(check: Callable[[object], str], pattern: str | None, description: str):
    return Annotated[str, BeforeValidator(check), Field(pattern=pattern, description=description)]


AccountId = _type(check_account_id, ACCOUNT_PATTERN, "AWS account id: 12 digits, quoted")
Region = _type(check_region, REGION_PATTERN, "AWS region, e.g. us-east-1")
BucketName = _type(check_bucket_name, BUCKET_PATTERN, "S3 bucket name (lower case, digits, hyphens)")
S3URI = _type(check_s3_uri, S3_URI_PATTERN, "S3 URI: s3://<bucket>/<key>")
KMSKeyARN = _type(check_kms_key_arn, KMS_PATTERN, "KMS key or alias ARN in the environment's account")
RoleARN = _type(check_role_arn, ROLE_PATTERN, "IAM role ARN")
Email = _type(
    _pattern_checker(EMAIL_PATTERN, "an e-mail address like 'name@example.org'"), EMAIL_PATTERN, "e-mail"
)
GitHubRepository = _type(
    _pattern_checker(REPOSITORY_PATTERN, "a GitHub repository as 'owner/name'"),
    REPOSITORY_PATTERN,
    "GitHub repository owner/name the OIDC trust is pinned to",
)
TopicName = _type(
    _pattern_checker(TOPIC_PATTERN, "an SNS topic name (letters, digits, '-' and '_', at most 256)"),
    TOPIC_PATTERN,
    "SNS topic name",
)
ScheduleExpression = _type(
    check_schedule_expression, r"^(cron|rate)\(.+\)$", "EventBridge cron(...) or rate(...) expression"
)
