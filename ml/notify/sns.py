"""Notifications on AWS: one SNS message per event, filterable by its kind and pipeline."""

from __future__ import annotations

import json
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ml.notify import RunEvent

SUBJECT_LIMIT = 100  # SNS refuses longer subjects (and any line break in them)


class SNSNotifier:
    """A `Notifier` that publishes each event to one topic.

    Subject: a one-line summary for e-mail subscribers. Body: the event as JSON (what `LogNotifier` writes).
    Message attributes `kind`, `pipeline` and `environment` let a subscription filter, e.g. only
    `inference_violations`.
    """

    def __init__(self, client: Any, topic_arn: str, *, environment: str) -> None:
        self._client = client
        self.topic_arn = topic_arn
        self.environment = environment

    def notify(self, event: RunEvent) -> None:
        attributes = {"kind": str(event.kind), "pipeline": event.pipeline, "environment": self.environment}
        try:
            self._publish(event, attributes)
        except (BotoCoreError, ClientError) as error:
            # A lost notification must not turn a finished run into a crash; the run record still says
            # what happened, and the job's log (CloudWatch) keeps this line.
            print(f"notify [{event.kind}] not delivered to {self.topic_arn}: {error}", file=sys.stderr)

    def _publish(self, event: RunEvent, attributes: dict[str, str]) -> None:
        self._client.publish(
            TopicArn=self.topic_arn,
            Subject=subject_for(event, self.environment),
            Message=json.dumps(event.to_dict(), sort_keys=True),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            },
        )


def subject_for(event: RunEvent, environment: str) -> str:
    """`[env] kind: message`, on one line and within SNS's limit."""
    text = " ".join(f"[{environment}] {event.kind}: {event.message}".split())
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def topic_arn(region: str, account_id: str, topic_name: str, partition: str = "aws") -> str:
    """The ARN of the environment's topic, which Terraform creates from `notifications.topic_name`."""
    return f"arn:{partition}:sns:{region}:{account_id}:{topic_name}"
