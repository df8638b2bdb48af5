"""The expression evaluator the infra tests compute names with: it must give Terraform's answer or refuse."""

from __future__ import annotations

import pytest

from tests.infra.expressions import Scope, TemplateError, evaluate

SCOPE = Scope(
    locals={
        "prefix": "${local.env.project}-${var.environment}",
        "names": '${[for e in local.all : e.name if e.kind == "w"]}',
    },
    variables={"environment": "dev"},
    roots={
        "env": {"project": "p", "aws": {"id": "1"}},
        "all": [{"name": "a", "kind": "w"}, {"name": "b", "kind": "r"}],
    },
)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("${local.prefix}-x", "p-dev-x"),
        ("${local.names}", ["a"]),
        ('${try(local.env.aws.region, "none")}', "none"),
        ('${split(":", "arn:aws:kms")[1]}', "aws"),
        ('${regex("^arn:([^:]+):(\\\\d+)$", "arn:aws:12")}', ["aws", "12"]),
        ('${lookup({a = "1"}, "b", "2")}', "2"),
        ('${coalesce(null, "x")}', "x"),
        ('${contains(local.names, "a") && local.env.project == "p"}', True),
        ("${lower(local.env.project)}", "p"),
        ('${concat(["x", local.env.project], local.names)}', ["x", "p", "a"]),
        ('${slice(split(":", "a:b:c:d"), 0, 2)}', ["a", "b"]),
    ],
)
def test_evaluates_what_the_stacks_use(expression, value):
    assert evaluate(expression, SCOPE) == value


@pytest.mark.parametrize("expression", ["${max(1, 2)}", "${local.env.project ? 1 : 0}"])
def test_refuses_what_it_cannot_evaluate(expression):
    with pytest.raises(TemplateError):
        evaluate(expression, SCOPE)


def test_a_missing_key_fails_as_terraform_would():
    with pytest.raises(KeyError):
        evaluate("${local.env.aws.region}", SCOPE)
