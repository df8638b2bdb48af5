"""An SNSNotifier on moto whose messages are read back through an SQS subscription, as AWS delivers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ml.notify.sns import SNSNotifier

TOPIC = "contract-alerts"


def subscribed_notifier(moto: Any) -> tuple[SNSNotifier, Callable[[], list[dict[str, Any]]]]:
    """The notifier and a reader returning every SNS envelope delivered so far, oldest first."""
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic = sns.create_topic(Name=TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{TOPIC}-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    envelopes: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return list(envelopes)
            for message in batch:
                envelopes.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    return SNSNotifier(sns, topic, environment="dev"), read
