"""SNS-only behaviour: subject line, filterable attributes, and a failed publish that does not crash a run.

The Protocol's behaviour is covered by tests/contracts/test_notifier.py and is not repeated here.
"""

from __future__ import annotations

import json

from ml.notify import EventKind, RunEvent
from ml.notify.sns import SNSNotifier, subject_for, topic_arn
from tests.notify.sns_reader import subscribed_notifier


def test_messages_carry_a_subject_and_attributes_to_filter_on(fresh_moto):
    notifier, read = subscribed_notifier(fresh_moto)
    notifier.notify(RunEvent(EventKind.INFERENCE_VIOLATIONS, "inference", "r-1", "Age drifted\\nbadly"))

    [envelope] = read()

    assert envelope["Subject"] == "[dev] inference_violations: Age drifted\\nbadly"
    attributes = {name: value["Value"] for name, value in envelope["MessageAttributes"].items()}
    assert attributes == {"kind": "inference_violations", "pipeline": "inference", "environment": "dev"}
    assert json.loads(envelope["Message"])["run_id"] == "r-1"


def test_a_long_multi_line_message_gives_a_one_line_subject_within_the_limit():
    event = RunEvent(EventKind.TRAIN_FAILED, "train", "r", "line one\nline two " + "x" * 200)

    subject = subject_for(event, "prod")

    assert len(subject) == 100 and "\n" not in subject and subject.startswith("[prod] train_failed: line one")


def test_a_publish_that_fails_is_reported_on_stderr_not_raised(fresh_moto, capsys):
    missing = topic_arn("us-east-1", "123456789012", "no-such-topic")
    notifier = SNSNotifier(fresh_moto.client("sns"), missing, environment="dev")

    notifier.notify(RunEvent(EventKind.TRAIN_FAILED, "train", "r", "boom"))

    assert f"not delivered to {missing}" in capsys.readouterr().err
