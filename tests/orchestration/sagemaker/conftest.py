"""The dev environment on a moto server: its bucket, KMS key, topic and registry group, with moto's account.

`aws_config_dir` is a copy of configs/ whose dev file names moto's account (123456789012) for the workload
and the registry, so every resource the jobs and the Lambda address exists in moto.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ml.config.loader import load_environment
from ml.config.schema import EnvironmentConfig
from tests.aws_server import ACCOUNT_ID, MotoServer

REPO = Path(__file__).resolve().parents[3]
DEV_ACCOUNTS = ("111111111111", "333333333333")


@dataclass(frozen=True)
class AWSEnvironment:
    """The dev environment as the jobs see it, created in moto."""

    config: EnvironmentConfig
    config_dir: Path
    moto: MotoServer
    alerts_queue: str

    def notifications(self) -> list[dict]:
        """The events published to the environment's topic so far."""
        sqs = self.moto.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.alerts_queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]

    def upload(self, path: Path, key: str) -> str:
        self.moto.client("s3").upload_file(str(path), self.config.aws.artifact_bucket, key)
        return f"s3://{self.config.aws.artifact_bucket}/{key}"


# What rendering sets in the process when unset (session.py); set here so it is undone after each test.
SDK_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "SAGEMAKER_VALIDATE_ROLE": "false",  # moto does not implement iam:SimulatePrincipalPolicy
}


@pytest.fixture(autouse=True)
def sdk_environment(monkeypatch):
    for name, value in SDK_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws_config_dir(tmp_path) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(REPO / "configs", target)
    dev = target / "dev" / "environment.yaml"
    text = dev.read_text()
    for account in DEV_ACCOUNTS:
        text = text.replace(account, ACCOUNT_ID)
    dev.write_text(text)
    return target


@pytest.fixture
def aws_dev(fresh_moto: MotoServer, aws_config_dir: Path, monkeypatch) -> AWSEnvironment:
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(aws_config_dir))
    monkeypatch.setenv("MLOPS_ENV", "dev")
    monkeypatch.setenv("MLOPS_GIT_COMMIT", "c0ffee" * 6 + "c0ff")
    config = load_environment("dev", aws_config_dir)
    kms = fresh_moto.client("kms")
    key = kms.create_key(Description="dev artifacts")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=config.aws.kms_key_arn.split(":", 5)[5], TargetKeyId=key)
    fresh_moto.client("s3").create_bucket(Bucket=config.aws.artifact_bucket)
    fresh_moto.client("sns").create_topic(Name=config.notifications.topic_name)
    fresh_moto.client("sagemaker").create_model_package_group(ModelPackageGroupName=config.model_group)
    return AWSEnvironment(config, aws_config_dir, fresh_moto, _subscribe(fresh_moto, config))


def _subscribe(moto: MotoServer, config: EnvironmentConfig) -> str:
    """An SQS queue subscribed to the environment's topic, as an e-mail subscriber would be."""
    sqs = moto.client("sqs")
    queue = sqs.create_queue(QueueName="dev-alerts-reader")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = f"arn:aws:sns:{config.aws.region}:{ACCOUNT_ID}:{config.notifications.topic_name}"
    moto.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return queue
