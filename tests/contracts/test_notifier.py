"""One contract for every Notifier backend: the log file, and SNS read back through an SQS subscription."""

import json

import pytest

from ml.notify import EventKind, RunEvent
from ml.notify.log import LogNotifier


def _build_local(tmp_path, request):
    notifier = LogNotifier(tmp_path / "notifications.jsonl", echo=False)
    return notifier, notifier.read_events


def _build_sagemaker(tmp_path, request):
    from tests.notify.sns_reader import subscribed_notifier

    notifier, read_messages = subscribed_notifier(request.getfixturevalue("fresh_moto"))
    return notifier, lambda: [json.loads(message["Message"]) for message in read_messages()]


BACKENDS = {"local": _build_local, "sagemaker": _build_sagemaker}


@pytest.fixture(params=sorted(BACKENDS))
def notifier_and_reader(request, tmp_path):
    return BACKENDS[request.param](tmp_path, request)


def test_events_are_delivered_in_order_with_their_details(notifier_and_reader):
    notifier, read = notifier_and_reader
    notifier.notify(RunEvent(EventKind.TRAIN_FAILED, "train", "run-1", "boom", {"step": "train"}))
    notifier.notify(RunEvent(EventKind.MODEL_REGISTERED, "train", "run-2", "v1 registered", {"version": 1}))
    events = read()
    assert [e["kind"] for e in events] == ["train_failed", "model_registered"]
    assert events[0]["details"] == {"step": "train"}
    assert events[1]["run_id"] == "run-2"


def test_every_event_kind_serialises(notifier_and_reader):
    notifier, read = notifier_and_reader
    for kind in EventKind:
        notifier.notify(RunEvent(kind, "inference", "r", str(kind)))
    assert [e["kind"] for e in read()] == [str(k) for k in EventKind]


def test_log_lines_are_json_objects(tmp_path):
    notifier = LogNotifier(tmp_path / "n.jsonl", echo=False)
    notifier.notify(RunEvent(EventKind.INFERENCE_FAILED, "inference", "r", "no approved model"))
    line = (tmp_path / "n.jsonl").read_text().splitlines()[0]
    assert json.loads(line)["message"] == "no approved model"
